"""Configuration from the environment. One place lists every variable the code reads."""

from __future__ import annotations

import os
import re
import socket
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

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

# The family page (api/family/): where its links point, how long a link is valid, where the
# links and the documents' index live, the document store and its keys, upload limits.
FAMILY_LINK_ENV = ("WAYPOINT_PUBLIC_BASE_URL", "WAYPOINT_FAMILY_LINK_DAYS", "WAYPOINT_FAMILY_DB")  # the worker mints links
FAMILY_ENV = (
    *FAMILY_LINK_ENV,
    "WAYPOINT_DOCUMENT_STORE",
    "WAYPOINT_DOCUMENT_KEYS",
    "WAYPOINT_S3_ENDPOINT",
    "WAYPOINT_UPLOAD_MAX_BYTES",
    "WAYPOINT_UPLOAD_MAX_FILES",
    "WAYPOINT_FRESH_LINK_EVERY_MINUTES",
)
DEFAULT_PUBLIC_BASE_URL = "http://127.0.0.1:8000"


def _number(env: dict[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = (env.get(name) or "").strip()
    if not raw:
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise ValueError(f"{name} must be a whole number between {low} and {high}")
    return int(raw)


@dataclass(frozen=True)
class FamilySettings:
    """The family page. ``public_base_url`` is where families reach this API process; the page's
    links are ``<public_base_url>/family/<token>`` unless an organisation sends families to its
    own portal (``WAYPOINT_CASE_LINK_BASE``), in which case no link is minted here."""

    public_base_url: str = DEFAULT_PUBLIC_BASE_URL
    link_valid_for: timedelta = timedelta(days=30)
    database_url: str = "sqlite:///var/family.sqlite"
    # "folder:<path>" (the embedded default) or "s3://<bucket>/<prefix>" (with WAYPOINT_S3_ENDPOINT
    # for an S3-compatible server other than AWS; credentials from the usual AWS_* variables).
    document_store: str = "folder:var/documents"
    document_keys: str = ""  # "<key id>:<base64 32 bytes>,..." the first seals, all open
    s3_endpoint: str | None = None
    upload_max_bytes: int = 20 * 1024 * 1024
    upload_max_files: int = 10
    fresh_link_every: timedelta = timedelta(minutes=60)

    @property
    def link_base(self) -> str:
        return f"{self.public_base_url}/family"

    @classmethod
    def from_env(cls, e: dict[str, str]) -> "FamilySettings":
        public = (e.get("WAYPOINT_PUBLIC_BASE_URL") or DEFAULT_PUBLIC_BASE_URL).strip().rstrip("/")
        room = MAX_FAMILY_LINK_LENGTH - len("/family/") - FAMILY_TOKEN_CHARS
        if len(public) > room:
            raise ValueError(f"WAYPOINT_PUBLIC_BASE_URL must be at most {room} characters for the family page's links "
                             "(every SMS must fit two segments)")
        return cls(
            public_base_url=public,
            link_valid_for=timedelta(days=_number(e, "WAYPOINT_FAMILY_LINK_DAYS", 30, 1, 365)),
            database_url=(e.get("WAYPOINT_FAMILY_DB") or cls.database_url).strip(),
            document_store=(e.get("WAYPOINT_DOCUMENT_STORE") or cls.document_store).strip(),
            document_keys=(e.get("WAYPOINT_DOCUMENT_KEYS") or "").strip(),
            s3_endpoint=(e.get("WAYPOINT_S3_ENDPOINT") or "").strip() or None,
            upload_max_bytes=_number(e, "WAYPOINT_UPLOAD_MAX_BYTES", cls.upload_max_bytes, 1024, 512 * 1024 * 1024),
            upload_max_files=_number(e, "WAYPOINT_UPLOAD_MAX_FILES", cls.upload_max_files, 1, 50),
            fresh_link_every=timedelta(minutes=_number(e, "WAYPOINT_FRESH_LINK_EVERY_MINUTES", 60, 1, 7 * 24 * 60)),
        )


# Every variable the worker reads (the compose test checks they are all provided).
WORKER_ENV = (
    "TEMPORAL_ADDRESS",
    "TEMPORAL_NAMESPACE",
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

# Operations (metrics, health, logs, tracing): see service/metrics.py, service/health.py,
# service/logs.py and service/tracing.py.
GAUGE_INTERVAL = timedelta(seconds=30)  # how often a worker refreshes the ledger/journey gauges
HEALTH_CHECK_TIMEOUT = timedelta(seconds=3)  # each dependency a readiness check asks
LOG_FILE_BYTES = 20 * 1024 * 1024  # a log file is rotated (never truncated) past this size
LOG_FILES_KEPT = 5


@dataclass(frozen=True)
class Settings:
    task_queue: str = DEFAULT_TASK_QUEUE
    outbox_dir: Path = Path("var/outbox")
    # An organisation's own portal: links are "<base>/<case reference>". Unset, the links lead to
    # this service's family page (FamilySettings).
    case_link_base: str | None = None
    sender_name: str = "Waypoint Journeys"
    log_level: str = "INFO"
    # Temporal connection: address / namespace / TLS / API key come from temporalio.envconfig
    # (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS_*, TEMPORAL_PROFILE,
    # TEMPORAL_CONFIG_FILE), so the same code runs against a dev server, a cluster or Cloud.
    temporal_profile: str | None = None
    family: FamilySettings = field(default_factory=FamilySettings)
    # Operations. Empty means off: no metrics or health listener, logs only to stderr, no tracing.
    log_dir: Path | None = None  # JSON lines in <log_dir>/<process_name>.log, appended and rotated
    process_name: str = "worker"  # names the log file and the service in traces and metrics
    metrics_address: str | None = None  # host:port of the Prometheus endpoint (/metrics)
    health_address: str | None = None  # host:port of /livez and /readyz (workers)
    otlp_endpoint: str | None = None  # OTLP/HTTP collector, e.g. http://127.0.0.1:4318

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> "Settings":
        e = dict(os.environ if env is None else env)
        for name, limit in (("WAYPOINT_CASE_LINK_BASE", MAX_CASE_LINK_BASE_LENGTH), ("WAYPOINT_SENDER_NAME", MAX_SENDER_NAME_LENGTH)):
            if len(e.get(name, "").rstrip("/")) > limit:
                raise ValueError(f"{name} must be at most {limit} characters (every SMS must fit two segments)")
        return cls(
            task_queue=e.get("WAYPOINT_TASK_QUEUE", DEFAULT_TASK_QUEUE),
            outbox_dir=Path(e.get("WAYPOINT_OUTBOX_DIR", "var/outbox")),
            case_link_base=(e.get("WAYPOINT_CASE_LINK_BASE") or "").strip().rstrip("/") or None,
            sender_name=e.get("WAYPOINT_SENDER_NAME", cls.sender_name),
            log_level=e.get("WAYPOINT_LOG_LEVEL", "INFO").upper(),
            temporal_profile=e.get("TEMPORAL_PROFILE") or None,
            family=FamilySettings.from_env(e),
            log_dir=Path(e["WAYPOINT_LOG_DIR"]) if e.get("WAYPOINT_LOG_DIR") else None,
            # Unset: named after the host, so replicas sharing a log folder write files of their own.
            process_name=_process_name(e.get("WAYPOINT_PROCESS_NAME") or f"worker-{socket.gethostname()}"),
            metrics_address=_listen_address(e, "WAYPOINT_METRICS_ADDRESS"),
            health_address=_listen_address(e, "WAYPOINT_HEALTH_ADDRESS"),
            otlp_endpoint=_http_url(e, "OTEL_EXPORTER_OTLP_ENDPOINT"),
        )


def _process_name(value: str) -> str:
    """It names a file: letters, digits, '.', '_' and '-' only."""
    if not re.fullmatch(r"[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}", value):
        raise ValueError("WAYPOINT_PROCESS_NAME may hold letters, digits, '.', '_' and '-' only (at most 64)")
    return value


def _listen_address(env: dict[str, str], name: str) -> str | None:
    value = (env.get(name) or "").strip()
    if not value:
        return None
    host, _, port = value.rpartition(":")
    if not host or not port.isdigit() or not 1 <= int(port) <= 65535:
        raise ValueError(f"{name} must be host:port, e.g. 127.0.0.1:9464")
    return value


def _http_url(env: dict[str, str], name: str) -> str | None:
    value = (env.get(name) or "").strip()
    if not value:
        return None
    if not re.fullmatch(r"https?://[^/\s]+(/\S*)?", value):
        raise ValueError(f"{name} must be an http(s) URL, e.g. http://127.0.0.1:4318")
    return value
