"""Which provider carries each channel, from the environment.

``senders_from_env(env, outbox_sender)`` returns ``({Channel: Sender}, ledger or None)``.
Nothing configured (the embedded default) -> both channels use the outbox, and the ledger (a
local SQLite file with a contact hash key kept beside it, unless WAYPOINT_CONTACT_HASH_KEY is set)
only remembers whom each journey wrote to, so replies find their journey. A real provider
(Twilio for SMS; Resend or SMTP for e-mail) is wrapped in ``LedgeredSender`` with one shared
``Ledger`` (``WAYPOINT_LEDGER_URL``), and then ``WAYPOINT_CONTACT_HASH_KEY`` is required.

Bad or missing configuration raises ``ValueError`` naming the variable, never its value
(tokens, passwords and keys must not reach logs, exceptions or reprs).
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
from collections.abc import Mapping
from email.utils import parseaddr
from pathlib import Path
from urllib.parse import urlsplit

from domain.case_file import Channel
from messaging.delivery_contract import DeliveryRequest, Rendered, Sender
from messaging.exactly_once import LedgeredSender
from messaging.ledger import DEFAULT_LEDGER_URL, Ledger
from messaging.providers import resend as resend_mod
from messaging.providers import twilio as twilio_mod
from messaging.providers.resend import ResendEmail
from messaging.providers.smtp import SmtpEmail, SmtpSecurity
from messaging.providers.twilio import TwilioSms

# Every variable read here (the lead adds them to the worker's documented environment).
PROVIDER_ENV = (
    "WAYPOINT_SMS_PROVIDER",
    "WAYPOINT_EMAIL_PROVIDER",
    "TWILIO_ACCOUNT_SID",
    "TWILIO_AUTH_TOKEN",
    "TWILIO_FROM_NUMBER",
    "TWILIO_MESSAGING_SERVICE_SID",
    "TWILIO_API_BASE",
    "RESEND_API_KEY",
    "RESEND_API_BASE",
    "WAYPOINT_EMAIL_FROM",
    "SMTP_HOST",
    "SMTP_PORT",
    "SMTP_USERNAME",
    "SMTP_PASSWORD",
    "SMTP_SECURITY",
    "WAYPOINT_STATUS_CALLBACK_BASE",
    "WAYPOINT_LEDGER_URL",
    "WAYPOINT_CONTACT_HASH_KEY",
)

log = logging.getLogger(__name__)

SMS_PROVIDERS = ("outbox", "twilio")
EMAIL_PROVIDERS = ("outbox", "resend", "smtp")
MIN_HASH_KEY_LENGTH = 16


def _get(env: Mapping[str, str], name: str) -> str | None:
    value = env.get(name)
    value = value.strip() if value is not None else None
    return value or None


def _require(env: Mapping[str, str], name: str, why: str) -> str:
    value = _get(env, name)
    if value is None:
        raise ValueError(f"{name} is required {why}")
    return value


def _http_base(env: Mapping[str, str], name: str, default: str) -> str:
    value = _get(env, name) or default
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"{name} must be an http(s) URL")
    return value.rstrip("/")


def _choice(env: Mapping[str, str], name: str, choices: tuple[str, ...]) -> str:
    value = (_get(env, name) or choices[0]).lower()
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(choices)}")
    return value


def senders_from_env(env: Mapping[str, str], outbox_sender: Sender) -> tuple[dict[Channel, Sender], Ledger | None]:
    """Senders per channel and the ledger they share. With only the outbox (the embedded
    default) the ledger, when it can be opened, only keeps the contact index that routes replies."""
    senders: dict[Channel, Sender] = {Channel.SMS: outbox_sender, Channel.EMAIL: outbox_sender}
    sms_provider, email_provider = _providers(env)
    if sms_provider is None and email_provider is None:
        ledger = _outbox_ledger(env)
        if ledger is not None:
            remembering = RemembersContacts(outbox_sender, ledger)
            senders = {Channel.SMS: remembering, Channel.EMAIL: remembering}
        return senders, ledger
    ledger = _open_ledger(env)
    if sms_provider is not None:
        senders[Channel.SMS] = LedgeredSender(sms_provider, ledger, "twilio", idempotent=False)
    if isinstance(email_provider, ResendEmail):
        senders[Channel.EMAIL] = LedgeredSender(email_provider, ledger, "resend", idempotent=True)
    elif isinstance(email_provider, SmtpEmail):
        senders[Channel.EMAIL] = LedgeredSender(email_provider, ledger, "smtp", idempotent=False)
    return senders, ledger


def open_ledger(env: Mapping[str, str]) -> Ledger | None:
    """The delivery ledger the senders share, for the parts that read it without sending: the
    API's webhooks and the CLI's inbound events (None when it cannot be had: outbox only, with
    a ledger that is not a local SQLite file and no WAYPOINT_CONTACT_HASH_KEY)."""
    sms_provider, email_provider = _providers(env)
    if sms_provider is None and email_provider is None:
        return _outbox_ledger(env)
    return _open_ledger(env)


class RemembersContacts:
    """The outbox as a channel that also notes each recipient's address (hashed) in the ledger's
    contact index, so a reply on the embedded default finds its journey as with a provider."""

    def __init__(self, sender: Sender, ledger: Ledger) -> None:
        self.sender, self.ledger = sender, ledger

    async def send(self, request: DeliveryRequest, message: Rendered) -> tuple[str, bool]:
        await asyncio.to_thread(
            self.ledger.remember_contact, request.to_address, request.case_reference, request.recipient,
            request.channel.value,
        )
        return await self.sender.send(request, message)


LOCAL_HASH_KEY_FILE = "contact-hash.key"


def _outbox_ledger(env: Mapping[str, str]) -> Ledger | None:
    """The embedded default's ledger: WAYPOINT_LEDGER_URL (default var/ledger.sqlite) with
    WAYPOINT_CONTACT_HASH_KEY or, for a local SQLite file, a key made once beside it (0600), so
    the worker, the API and the CLI started separately hash addresses alike."""
    url = _get(env, "WAYPOINT_LEDGER_URL") or DEFAULT_LEDGER_URL
    key = _get(env, "WAYPOINT_CONTACT_HASH_KEY") or _local_hash_key(url)
    if key is None:
        return None
    try:
        return Ledger(url, contact_hash_key=key)
    except Exception as exc:  # noqa: BLE001 - the message may contain the URL
        log.warning("replies cannot be routed: the ledger cannot be opened (%s)", type(exc).__name__)
        return None


def _local_hash_key(url: str) -> str | None:
    if not url.startswith("sqlite:///") or url == "sqlite:///:memory:":
        return None
    path = Path(url.removeprefix("sqlite:///")).with_name(LOCAL_HASH_KEY_FILE)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return path.read_text(encoding="ascii").strip() or None
        with os.fdopen(fd, "w") as out:
            key = secrets.token_urlsafe(32)
            out.write(key + "\n")
        return key
    except OSError:
        log.warning("replies cannot be routed: no contact hash key could be kept beside the ledger")
        return None


def _providers(env: Mapping[str, str]) -> tuple[TwilioSms | None, ResendEmail | SmtpEmail | None]:
    """The configured providers, every setting validated before anything is opened, so a typo
    fails fast and touches nothing."""
    sms_name = _choice(env, "WAYPOINT_SMS_PROVIDER", SMS_PROVIDERS)
    email_name = _choice(env, "WAYPOINT_EMAIL_PROVIDER", EMAIL_PROVIDERS)
    if sms_name == "outbox" and email_name == "outbox":
        return None, None
    callback_base = None
    if _get(env, "WAYPOINT_STATUS_CALLBACK_BASE"):
        callback_base = _http_base(env, "WAYPOINT_STATUS_CALLBACK_BASE", "")
    sms_provider = _twilio(env, callback_base) if sms_name == "twilio" else None
    email_provider: ResendEmail | SmtpEmail | None = None
    if email_name == "resend":
        email_provider = _resend(env)
    elif email_name == "smtp":
        email_provider = _smtp(env)
    _hash_key(env)  # checked now: a provider without it must not start
    return sms_provider, email_provider


def _hash_key(env: Mapping[str, str]) -> str:
    why = "when a real SMS or e-mail provider is configured (secret for hashing contact addresses)"
    hash_key = _require(env, "WAYPOINT_CONTACT_HASH_KEY", why)
    if len(hash_key) < MIN_HASH_KEY_LENGTH:
        raise ValueError(f"WAYPOINT_CONTACT_HASH_KEY must be at least {MIN_HASH_KEY_LENGTH} characters (32 random bytes recommended)")
    return hash_key


def _open_ledger(env: Mapping[str, str]) -> Ledger:
    hash_key = _hash_key(env)
    url = _get(env, "WAYPOINT_LEDGER_URL") or DEFAULT_LEDGER_URL
    try:
        ledger = Ledger(url, contact_hash_key=hash_key)
    except Exception as exc:  # noqa: BLE001 - the message may contain the URL (and a password)
        raise ValueError(f"WAYPOINT_LEDGER_URL: the ledger database cannot be opened ({type(exc).__name__})") from None
    return ledger


def _twilio(env: Mapping[str, str], callback_base: str | None) -> TwilioSms:
    why = "when WAYPOINT_SMS_PROVIDER=twilio"
    sid = _require(env, "TWILIO_ACCOUNT_SID", why)
    if not (sid.startswith("AC") and len(sid) == 34 and sid[2:].isalnum()):
        raise ValueError("TWILIO_ACCOUNT_SID must look like AC followed by 32 hexadecimal characters")
    token = _require(env, "TWILIO_AUTH_TOKEN", why)
    from_number = _get(env, "TWILIO_FROM_NUMBER")
    service_sid = _get(env, "TWILIO_MESSAGING_SERVICE_SID")
    if not (from_number or service_sid):
        raise ValueError(f"TWILIO_FROM_NUMBER or TWILIO_MESSAGING_SERVICE_SID is required {why}")
    if from_number and not (from_number.startswith("+") and from_number[1:].isdigit() and 8 <= len(from_number) <= 16):
        raise ValueError("TWILIO_FROM_NUMBER must be an E.164 number such as +15551234567")
    if service_sid and not (service_sid.startswith("MG") and len(service_sid) == 34):
        raise ValueError("TWILIO_MESSAGING_SERVICE_SID must look like MG followed by 32 hexadecimal characters")
    return TwilioSms(
        sid,
        token,
        from_number=None if service_sid else from_number,
        messaging_service_sid=service_sid,
        api_base=_http_base(env, "TWILIO_API_BASE", twilio_mod.DEFAULT_API_BASE),
        status_callback_base=callback_base,
    )


def _email_from(env: Mapping[str, str], why: str) -> str:
    value = _require(env, "WAYPOINT_EMAIL_FROM", why)
    if "@" not in parseaddr(value)[1]:
        raise ValueError('WAYPOINT_EMAIL_FROM must be an address such as "Waypoint Journeys <care@example.org>"')
    return value


def _resend(env: Mapping[str, str]) -> ResendEmail:
    why = "when WAYPOINT_EMAIL_PROVIDER=resend"
    api_key = _require(env, "RESEND_API_KEY", why)
    return ResendEmail(
        api_key,
        from_address=_email_from(env, why),
        api_base=_http_base(env, "RESEND_API_BASE", resend_mod.DEFAULT_API_BASE),
    )


def _smtp(env: Mapping[str, str]) -> SmtpEmail:
    why = "when WAYPOINT_EMAIL_PROVIDER=smtp"
    host = _require(env, "SMTP_HOST", why)
    security = SmtpSecurity(_choice(env, "SMTP_SECURITY", ("starttls", "ssl", "none")))
    port: int | None = None
    if _get(env, "SMTP_PORT"):
        try:
            port = int(_get(env, "SMTP_PORT") or "")
        except ValueError:
            raise ValueError("SMTP_PORT must be a port number (1-65535)") from None
        if not 1 <= port <= 65535:
            raise ValueError("SMTP_PORT must be a port number (1-65535)")
    username = _get(env, "SMTP_USERNAME")
    password = env.get("SMTP_PASSWORD") or None
    if username and not password:
        raise ValueError("SMTP_PASSWORD is required when SMTP_USERNAME is set")
    if password and not username:
        raise ValueError("SMTP_USERNAME is required when SMTP_PASSWORD is set")
    return SmtpEmail(
        host,
        port,
        from_address=_email_from(env, why),
        username=username,
        password=password,
        security=security,
    )
