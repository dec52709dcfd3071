"""The one settings object: every variable any process reads (worker, API, CLI, codec server).

``Settings.from_env()`` reads the process environment; ``Settings.from_env(mapping)`` reads only
that mapping (tests, and processes that add a default such as the API's process name). Each part
of the service takes its section: ``settings.family`` (the family page), ``settings.delivery``
(providers and the ledger), ``settings.http`` (the API process), ``settings.codec`` (payload keys
and the codec server); the top level holds what every process shares.

Secrets are ``SecretStr``: they show as ``**********`` in reprs and logs and are unwrapped only
where they are used. A bad value raises ``ConfigurationError`` (a ``ValueError``) naming each
variable and what it must be, never its value.

The Temporal connection (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS_*,
TEMPORAL_CONFIG_FILE) is read by ``temporalio.envconfig`` in ``service.client.connect``, so the
same code runs against a dev server, a cluster or Temporal Cloud; only the profile name is here.
"""

from __future__ import annotations

import os
import re
import socket
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import timedelta
from email.utils import parseaddr
from pathlib import Path
from typing import Annotated, Any, Literal, Self
from urllib.parse import urlsplit

from pydantic import AfterValidator, BeforeValidator, Field, SecretStr, ValidationError, model_validator
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
)
from pydantic_settings.sources.utils import parse_env_vars

DEFAULT_TASK_QUEUE = "waypoint-journeys"

# A worker's sticky queue: how long a journey's next task (or a query) waits for the worker that
# ran it last before going to any worker. Queries are given less time than that, and are retried:
# a query that outlived a dead worker's sticky queue would be handed to a fresh worker together
# with events that arrived meanwhile, and temporalio 1.35 then computes the journey's next
# commands at a stale time (docs/investigations/replay-divergence-after-worker-kill/).
STICKY_QUEUE_TIMEOUT = timedelta(seconds=10)
QUERY_ATTEMPT_TIMEOUT = timedelta(seconds=4)
QUERY_ATTEMPTS = 3
assert QUERY_ATTEMPT_TIMEOUT < STICKY_QUEUE_TIMEOUT
# A full status read asks the journey only if a worker polled its task queue this recently (a
# worker's long poll lasts up to a minute, so an idle worker's last poll can be that old).
WORKER_SEEN_WITHIN = timedelta(seconds=70)

# The longest link base and sender name messages are built with: every SMS of every event in
# every language is tested to fit two segments with these and the longest case reference.
MAX_CASE_LINK_BASE_LENGTH = 48
MAX_SENDER_NAME_LENGTH = 20
# A family-page link (<public URL>/family/<token>) is never longer than the longest portal link
# above with the longest case reference (WJPX-2026-123456), so the same proof covers it.
MAX_FAMILY_LINK_LENGTH = MAX_CASE_LINK_BASE_LENGTH + 1 + 16
FAMILY_TOKEN_CHARS = 22  # 128 random bits, URL-safe base64
MAX_PUBLIC_BASE_URL_LENGTH = MAX_FAMILY_LINK_LENGTH - len("/family/") - FAMILY_TOKEN_CHARS
DEFAULT_PUBLIC_BASE_URL = "http://127.0.0.1:8000"
DEFAULT_LEDGER_URL = "sqlite:///var/ledger.sqlite"
# How long the ledger remembers each provider event a webhook took, so a replay changes nothing.
# Providers retry within hours to a few days (Resend's signatures expire after 5 minutes).
DEFAULT_INBOUND_EVENTS_KEEP = timedelta(days=30)
MIN_HASH_KEY_LENGTH = 16
MIN_SESSION_SECRET_LENGTH = 32

# Operations (metrics, health, logs, tracing): see service/metrics.py, service/health.py,
# service/logs.py and service/tracing.py.
GAUGE_INTERVAL = timedelta(seconds=30)  # how often a worker refreshes the ledger/journey gauges
HEALTH_CHECK_TIMEOUT = timedelta(seconds=3)  # each dependency a readiness check asks
LOG_FILE_BYTES = 20 * 1024 * 1024  # a log file is rotated (never truncated) past this size
LOG_FILES_KEPT = 5


class ConfigurationError(ValueError):
    """Unusable configuration. The message names each variable and the rule it breaks; it never
    holds a value (tokens, passwords, keys and database URLs must not reach logs)."""


# --- reading the environment ----------------------------------------------------------------

_GIVEN: ContextVar[Mapping[str, str] | None] = ContextVar("waypoint_environment", default=None)


class _Environment(EnvSettingsSource):
    """Variables by their exact names, from ``Settings.from_env``'s mapping when one was given,
    else from the process environment. A variable set to nothing (or only spaces) is unset."""

    def _load_env_vars(self) -> Mapping[str, str | None]:
        given = _GIVEN.get()
        source = os.environ if given is None else given
        return parse_env_vars({k: v for k, v in source.items() if v.strip()}, True, True, None)


@contextmanager
def _reading(env: Mapping[str, str] | None) -> Iterator[None]:
    token = _GIVEN.set(env)
    try:
        yield
    finally:
        _GIVEN.reset(token)


class _Section(BaseSettings):
    """A part of the settings. Each field is read from the variable its ``validation_alias``
    names; tests and code may also pass fields by name."""

    model_config = SettingsConfigDict(case_sensitive=True, frozen=True, extra="ignore", validate_by_name=True,
                                      validate_by_alias=True, hide_input_in_errors=True)

    @classmethod
    def settings_customise_sources(cls, settings_cls: type[BaseSettings], init_settings: PydanticBaseSettingsSource,
                                   env_settings: PydanticBaseSettingsSource, dotenv_settings: PydanticBaseSettingsSource,
                                   file_secret_settings: PydanticBaseSettingsSource) -> tuple[PydanticBaseSettingsSource, ...]:
        return init_settings, _Environment(settings_cls)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Self:
        """This section (and the sections within it) from ``env``, or from the process environment."""
        try:
            with _reading(env):
                return cls()
        except ValidationError as err:
            raise ConfigurationError(explain(err)) from None
        except SettingsError as err:  # a value the source could not parse; names the field only
            raise ConfigurationError(str(err)) from None

    @classmethod
    def variables(cls) -> tuple[str, ...]:
        """The names of the variables this section reads itself (not its sections')."""
        return tuple(f.validation_alias for f in cls.model_fields.values() if isinstance(f.validation_alias, str))


def revealed(secret: SecretStr | None) -> str:
    """A secret's value where it is used ("" when unset); nowhere else."""
    return secret.get_secret_value() if secret is not None else ""


def explain(err: ValidationError) -> str:
    """Each problem as "<VARIABLE>: <rule>", from pydantic's messages, which never hold the input."""
    problems = []
    for problem in err.errors(include_url=False, include_input=False, include_context=False):
        where = str(problem["loc"][-1]) if problem["loc"] else ""
        rule = problem["msg"].removeprefix("Value error, ").removeprefix("Assertion failed, ")
        problems.append(f"{where}: {rule}" if where and not rule.startswith(where) else rule)
    return "; ".join(problems)


def _var(name: str, default: Any = None, **kwargs: Any) -> Any:
    if "default_factory" in kwargs:
        return Field(validation_alias=name, **kwargs)
    return Field(default, validation_alias=name, **kwargs)


# --- value rules, each stated once ------------------------------------------------------------

def _stripped(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def _http_url(value: str | None) -> str | None:
    if value is not None:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc or " " in value:
            raise ValueError("must be an http(s) URL, e.g. http://127.0.0.1:4318")
        return value.rstrip("/")
    return value


def _listen_address(value: str | None) -> str | None:
    if value is not None:
        host, _, port = value.rpartition(":")
        if not host or not port.isdigit() or not 1 <= int(port) <= 65535:
            raise ValueError("must be host:port, e.g. 127.0.0.1:9464")
    return value


def _file_name(value: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}", value):
        raise ValueError("may hold letters, digits, '.', '_' and '-' only (at most 64)")
    return value


def _at_most(limit: int, why: str) -> AfterValidator:
    def check(value: str | None) -> str | None:
        if value is not None and len(value) > limit:
            raise ValueError(f"must be at most {limit} characters ({why})")
        return value
    return AfterValidator(check)


def _in_units(unit: str) -> BeforeValidator:
    """A whole number of ``unit`` from the environment; a timedelta passes as it is."""
    def read(value: Any) -> Any:
        if isinstance(value, str):
            if not value.isdigit():
                raise ValueError(f"must be a whole number of {unit}")
            return timedelta(**{unit: int(value)})
        return value
    return BeforeValidator(read)


def _within(low: timedelta, high: timedelta, unit: str) -> AfterValidator:
    def check(value: timedelta) -> timedelta:
        if not low <= value <= high:
            span = timedelta(**{unit: 1})
            raise ValueError(f"must be between {low // span} and {high // span} {unit}")
        return value
    return AfterValidator(check)


def _shaped(pattern: str, looks_like: str) -> AfterValidator:
    def check(value: str | None) -> str | None:
        if value is not None and not re.fullmatch(pattern, value):
            raise ValueError(f"must look like {looks_like}")
        return value
    return AfterValidator(check)


def _keys(value: SecretStr | None) -> SecretStr | None:
    """``<key id>:<base64 32 bytes>,...``: parsed now, so a bad key stops the process at start."""
    from service.codec import parse_keys  # noqa: PLC0415 - the codec module owns the format

    if value is not None:
        parse_keys(value.get_secret_value(), variable="")
    return value


def _secret_at_least(length: int) -> AfterValidator:
    def check(value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < length:
            raise ValueError(f"must be at least {length} characters")
        return value
    return AfterValidator(check)


def _listed(value: Any, normal: Any = str) -> Any:
    if isinstance(value, str):
        return tuple(normal(part.strip()) for part in value.split(",") if part.strip())
    return value


Text = Annotated[str, BeforeValidator(_stripped)]
OptionalText = Annotated[str | None, BeforeValidator(_stripped)]
Secret = Annotated[SecretStr | None, BeforeValidator(_stripped)]
SecretUrl = Annotated[SecretStr, BeforeValidator(_stripped)]  # a database URL may hold a password
HttpUrl = Annotated[str | None, BeforeValidator(_stripped), AfterValidator(_http_url)]
ListenAddress = Annotated[str | None, BeforeValidator(_stripped), AfterValidator(_listen_address)]
Port = Annotated[int, Field(ge=1, le=65535)]
Keys = Annotated[SecretStr | None, BeforeValidator(_stripped), AfterValidator(_keys)]
SMS_SEGMENTS = "every SMS must fit two segments"


# --- the sections ------------------------------------------------------------------------------

class FamilySettings(_Section):
    """The family page. ``public_base_url`` is where families reach this API process; the page's
    links are ``<public_base_url>/family/<token>`` unless an organisation sends families to its
    own portal (``WAYPOINT_CASE_LINK_BASE``), in which case no link is minted here."""

    public_base_url: Annotated[str, BeforeValidator(lambda v: _stripped(v).rstrip("/") if isinstance(v, str) else v),
                               _at_most(MAX_PUBLIC_BASE_URL_LENGTH, "for the family page's links; " + SMS_SEGMENTS)] = \
        _var("WAYPOINT_PUBLIC_BASE_URL", DEFAULT_PUBLIC_BASE_URL)
    link_valid_for: Annotated[timedelta, _in_units("days"), _within(timedelta(days=1), timedelta(days=365), "days")] = \
        _var("WAYPOINT_FAMILY_LINK_DAYS", timedelta(days=30))
    database_url: SecretUrl = _var("WAYPOINT_FAMILY_DB", SecretStr("sqlite:///var/family.sqlite"))
    # "folder:<path>" (the embedded default) or "s3://<bucket>/<prefix>" (with WAYPOINT_S3_ENDPOINT
    # for an S3-compatible server other than AWS; credentials from the usual AWS_* variables).
    document_store: Text = _var("WAYPOINT_DOCUMENT_STORE", "folder:var/documents")
    document_keys: Keys = _var("WAYPOINT_DOCUMENT_KEYS")  # "<key id>:<base64 32 bytes>,..." the first seals, all open
    s3_endpoint: HttpUrl = _var("WAYPOINT_S3_ENDPOINT")
    upload_max_bytes: int = _var("WAYPOINT_UPLOAD_MAX_BYTES", 20 * 1024 * 1024, ge=1024, le=512 * 1024 * 1024)
    upload_max_files: int = _var("WAYPOINT_UPLOAD_MAX_FILES", 10, ge=1, le=50)
    fresh_link_every: Annotated[timedelta, _in_units("minutes"),
                                _within(timedelta(minutes=1), timedelta(days=7), "minutes")] = \
        _var("WAYPOINT_FRESH_LINK_EVERY_MINUTES", timedelta(minutes=60))

    @property
    def link_base(self) -> str:
        return f"{self.public_base_url}/family"

    @property
    def public_base_url_given(self) -> bool:
        """Set by the operator (the URL providers sign their webhooks with), not the default."""
        return "public_base_url" in self.model_fields_set


class DeliverySettings(_Section):
    """Which provider carries each channel, and the ledger they share (messaging/provider_config.py).
    Nothing set is the embedded default: both channels write to the outbox."""

    sms_provider: Annotated[Literal["outbox", "twilio"], BeforeValidator(lambda v: _stripped(v).lower())] = \
        _var("WAYPOINT_SMS_PROVIDER", "outbox")
    email_provider: Annotated[Literal["outbox", "resend", "smtp"], BeforeValidator(lambda v: _stripped(v).lower())] = \
        _var("WAYPOINT_EMAIL_PROVIDER", "outbox")
    twilio_account_sid: Annotated[OptionalText, _shaped(r"AC[0-9A-Za-z]{32}", "AC followed by 32 hexadecimal characters")] = \
        _var("TWILIO_ACCOUNT_SID")
    twilio_auth_token: Secret = _var("TWILIO_AUTH_TOKEN")  # also checks Twilio's webhook signatures (API)
    twilio_from_number: Annotated[OptionalText, _shaped(r"\+[0-9]{7,15}", "an E.164 number such as +15551234567")] = \
        _var("TWILIO_FROM_NUMBER")
    twilio_messaging_service_sid: Annotated[OptionalText, _shaped(r"MG[0-9A-Za-z]{32}",
                                                                  "MG followed by 32 hexadecimal characters")] = \
        _var("TWILIO_MESSAGING_SERVICE_SID")
    twilio_api_base: HttpUrl = _var("TWILIO_API_BASE")
    resend_api_key: Secret = _var("RESEND_API_KEY")
    resend_api_base: HttpUrl = _var("RESEND_API_BASE")
    email_from: OptionalText = _var("WAYPOINT_EMAIL_FROM")
    smtp_host: OptionalText = _var("SMTP_HOST")
    smtp_port: Port | None = _var("SMTP_PORT")
    smtp_username: OptionalText = _var("SMTP_USERNAME")
    smtp_password: SecretStr | None = _var("SMTP_PASSWORD")  # taken as it is: spaces may belong to it
    smtp_security: Annotated[Literal["starttls", "ssl", "none"], BeforeValidator(lambda v: _stripped(v).lower())] = \
        _var("SMTP_SECURITY", "starttls")
    status_callback_base: HttpUrl = _var("WAYPOINT_STATUS_CALLBACK_BASE")
    ledger_url: SecretUrl = _var("WAYPOINT_LEDGER_URL", SecretStr(DEFAULT_LEDGER_URL))
    contact_hash_key: Annotated[Secret, _secret_at_least(MIN_HASH_KEY_LENGTH)] = _var("WAYPOINT_CONTACT_HASH_KEY")
    inbound_events_keep: Annotated[timedelta, _in_units("days"), _within(timedelta(days=7), timedelta(days=3650), "days")] = \
        _var("WAYPOINT_INBOUND_EVENTS_KEEP_DAYS", DEFAULT_INBOUND_EVENTS_KEEP)

    @property
    def outbox_only(self) -> bool:
        return self.sms_provider == "outbox" and self.email_provider == "outbox"

    @model_validator(mode="after")
    def _providers_have_what_they_need(self) -> Self:
        if self.email_from is not None and "@" not in parseaddr(self.email_from)[1]:
            raise ValueError('WAYPOINT_EMAIL_FROM must be an address such as "Waypoint Journeys <care@example.org>"')
        if self.sms_provider == "twilio":
            why = "when WAYPOINT_SMS_PROVIDER=twilio"
            _required(why, TWILIO_ACCOUNT_SID=self.twilio_account_sid, TWILIO_AUTH_TOKEN=self.twilio_auth_token)
            if not (self.twilio_from_number or self.twilio_messaging_service_sid):
                raise ValueError(f"TWILIO_FROM_NUMBER or TWILIO_MESSAGING_SERVICE_SID is required {why}")
        if self.email_provider == "resend":
            _required("when WAYPOINT_EMAIL_PROVIDER=resend", RESEND_API_KEY=self.resend_api_key,
                      WAYPOINT_EMAIL_FROM=self.email_from)
        if self.email_provider == "smtp":
            _required("when WAYPOINT_EMAIL_PROVIDER=smtp", SMTP_HOST=self.smtp_host, WAYPOINT_EMAIL_FROM=self.email_from)
        if self.smtp_username and not self.smtp_password:
            raise ValueError("SMTP_PASSWORD is required when SMTP_USERNAME is set")
        if self.smtp_password and not self.smtp_username:
            raise ValueError("SMTP_USERNAME is required when SMTP_PASSWORD is set")
        if not self.outbox_only:
            _required("when a real SMS or e-mail provider is configured (secret for hashing contact addresses)",
                      WAYPOINT_CONTACT_HASH_KEY=self.contact_hash_key)
        return self


def _required(why: str, **values: object) -> None:
    for name, value in values.items():
        if value is None:
            raise ValueError(f"{name} is required {why}")


class HttpSettings(_Section):
    """The API process (api/app.py): where it listens, who may call it, the dashboard's accounts
    and sessions, and the secret Resend signs its webhooks with."""

    host: Text = _var("WAYPOINT_API_HOST", "127.0.0.1")
    port: Port = _var("WAYPOINT_API_PORT", 8000)
    # "name:sha256hex" entries, or the path of a file of them (api/keys.py parses them).
    api_keys: Text = _var("WAYPOINT_API_KEYS", "")
    max_body_bytes: int = _var("WAYPOINT_API_MAX_BODY_BYTES", 64 * 1024, ge=1024, le=10 * 1024 * 1024)
    # Inline JSON or a JSON/TOML file of accounts with argon2 hashes (api/dashboard/accounts.py).
    coordinators: Secret = _var("WAYPOINT_COORDINATORS")
    session_secret: Annotated[Secret, _secret_at_least(MIN_SESSION_SECRET_LENGTH)] = _var("WAYPOINT_SESSION_SECRET")
    session_store_url: SecretUrl = _var("WAYPOINT_SESSION_STORE_URL", SecretStr("sqlite://"))  # sessions and sign-in brake; default: in memory
    resend_webhook_secret: Secret = _var("RESEND_WEBHOOK_SECRET")  # whsec_...

    @model_validator(mode="after")
    def _dashboard_needs_a_session_secret(self) -> Self:
        if self.coordinators is not None and self.session_secret is None:
            raise ValueError(f"WAYPOINT_SESSION_SECRET (at least {MIN_SESSION_SECRET_LENGTH} characters) is required "
                             "when WAYPOINT_COORDINATORS is set")
        return self


class CodecSettings(_Section):
    """Payload encryption (service/codec.py) and the codec server the Temporal UI and CLI use to
    show decrypted payloads to people with a token (service/codec_server.py)."""

    payload_keys: Keys = _var("WAYPOINT_PAYLOAD_KEYS")  # "<key id>:<base64 32 bytes>,..." the first seals
    token_hashes: Annotated[tuple[str, ...], NoDecode, BeforeValidator(lambda v: _listed(v, str.lower))] = \
        _var("WAYPOINT_CODEC_TOKENS", ())
    local_token: Secret = _var("WAYPOINT_CODEC_TOKEN")  # `make run`'s local token (service/local_keys.py)
    cors_origins: Annotated[tuple[str, ...], NoDecode, BeforeValidator(_listed)] = \
        _var("WAYPOINT_CODEC_CORS_ORIGINS", ("http://127.0.0.1:8233",))
    host: Text = _var("WAYPOINT_CODEC_HOST", "127.0.0.1")
    port: Port = _var("WAYPOINT_CODEC_PORT", 8081)

    @model_validator(mode="after")
    def _hashes_are_sha256(self) -> Self:
        if any(not re.fullmatch(r"[0-9a-f]{64}", h) for h in self.token_hashes):
            raise ValueError("WAYPOINT_CODEC_TOKENS must hold SHA-256 hashes (64 hex digits), separated by commas")
        return self


class Settings(_Section):
    """What every process shares, and its sections."""

    task_queue: Text = _var("WAYPOINT_TASK_QUEUE", DEFAULT_TASK_QUEUE)
    outbox_dir: Path = _var("WAYPOINT_OUTBOX_DIR", Path("var/outbox"))
    # An organisation's own portal: links are "<base>/<case reference>". Unset, the links lead to
    # this service's family page (FamilySettings).
    case_link_base: Annotated[str | None, BeforeValidator(lambda v: _stripped(v).rstrip("/") or None
                                                          if isinstance(v, str) else v),
                              _at_most(MAX_CASE_LINK_BASE_LENGTH, SMS_SEGMENTS)] = _var("WAYPOINT_CASE_LINK_BASE")
    sender_name: Annotated[Text, _at_most(MAX_SENDER_NAME_LENGTH, SMS_SEGMENTS)] = \
        _var("WAYPOINT_SENDER_NAME", "Waypoint Journeys")
    log_level: Annotated[Literal["DEBUG", "INFO", "WARNING", "ERROR"], BeforeValidator(lambda v: _stripped(v).upper())] = \
        _var("WAYPOINT_LOG_LEVEL", "INFO")
    temporal_profile: OptionalText = _var("TEMPORAL_PROFILE")  # a profile of temporalio.envconfig's file
    # Operations. Unset means off: no metrics or health listener, logs only to stderr, no tracing.
    log_dir: Path | None = _var("WAYPOINT_LOG_DIR")  # JSON lines in <log_dir>/<process_name>.log, rotated
    # Names the log file and the service in traces and metrics. Unset: named after the host, so
    # replicas sharing a log folder write files of their own.
    process_name: Annotated[str, BeforeValidator(_stripped), AfterValidator(_file_name)] = \
        _var("WAYPOINT_PROCESS_NAME", default_factory=lambda: f"worker-{socket.gethostname()}")
    metrics_address: ListenAddress = _var("WAYPOINT_METRICS_ADDRESS")  # host:port of the Prometheus endpoint
    health_address: ListenAddress = _var("WAYPOINT_HEALTH_ADDRESS")  # host:port of /livez and /readyz (workers)
    otlp_endpoint: HttpUrl = _var("OTEL_EXPORTER_OTLP_ENDPOINT")  # OTLP/HTTP collector
    ready_file: Path | None = _var("WAYPOINT_READY_FILE")  # written once the worker polls (`make run` waits on it)
    family: FamilySettings = Field(default_factory=FamilySettings)
    delivery: DeliverySettings = Field(default_factory=DeliverySettings)
    http: HttpSettings = Field(default_factory=HttpSettings)
    codec: CodecSettings = Field(default_factory=CodecSettings)

    @classmethod
    def for_process(cls, name: str) -> Self:
        """The process environment's settings for a process named ``name`` unless
        WAYPOINT_PROCESS_NAME says otherwise (it names the log file, traces and metrics)."""
        return cls.from_env({"WAYPOINT_PROCESS_NAME": name, **os.environ})

    @classmethod
    def every_variable(cls) -> tuple[str, ...]:
        """Its own variables, then each section's, in field order."""
        sections = [f.annotation for f in cls.model_fields.values()
                    if isinstance(f.annotation, type) and issubclass(f.annotation, _Section)]
        return (*cls.variables(), *(name for section in sections for name in section.variables()))


# What each process needs set in a deployment (the compose test checks docker-compose.yml
# provides them). The Temporal ones are read by temporalio.envconfig.
TEMPORAL_ENV = ("TEMPORAL_ADDRESS", "TEMPORAL_NAMESPACE")
FAMILY_LINK_ENV = ("WAYPOINT_PUBLIC_BASE_URL", "WAYPOINT_FAMILY_LINK_DAYS", "WAYPOINT_FAMILY_DB")  # the worker mints links
FAMILY_ENV = FamilySettings.variables()
PROVIDER_ENV = DeliverySettings.variables()
WORKER_ENV = (
    *TEMPORAL_ENV,
    "WAYPOINT_TASK_QUEUE",
    "WAYPOINT_OUTBOX_DIR",
    "WAYPOINT_CASE_LINK_BASE",
    "WAYPOINT_SENDER_NAME",
    "WAYPOINT_LOG_LEVEL",
    *FAMILY_LINK_ENV,
    "WAYPOINT_LOG_DIR",
    "WAYPOINT_PROCESS_NAME",
    "WAYPOINT_METRICS_ADDRESS",
    "WAYPOINT_HEALTH_ADDRESS",
    "OTEL_EXPORTER_OTLP_ENDPOINT",
)
# Variables of WORKER_ENV that may be left empty (their default is meaningful: off, or the host).
WORKER_ENV_OPTIONAL = ("WAYPOINT_PROCESS_NAME", "OTEL_EXPORTER_OTLP_ENDPOINT")
API_ENV = (*HttpSettings.variables(), *FAMILY_ENV)
