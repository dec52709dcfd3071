"""Which provider carries each channel: senders built from the delivery settings.

``senders_for(delivery, outbox_sender)`` returns ``({Channel: Sender}, ledger or None)``.
Nothing configured (the embedded default) -> both channels use the outbox, and the ledger (a
local SQLite file with a contact hash key kept beside it, unless WAYPOINT_CONTACT_HASH_KEY is set)
only remembers whom each journey wrote to, so replies find their journey. A real provider
(Twilio for SMS; Resend or SMTP for e-mail) is wrapped in ``LedgeredSender`` with one shared
``Ledger`` (``WAYPOINT_LEDGER_URL``); ``DeliverySettings`` has already checked that everything
it needs is set (service/config.py), so nothing here reads the environment.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
from pathlib import Path


from domain.case_file import Channel
from messaging.delivery_contract import DeliveryRequest, Rendered, Sender
from messaging.exactly_once import LedgeredSender
from messaging.ledger import Ledger
from messaging.providers import resend as resend_mod
from messaging.providers import twilio as twilio_mod
from messaging.providers.resend import ResendEmail
from messaging.providers.smtp import SmtpEmail, SmtpSecurity
from messaging.providers.twilio import TwilioSms
from service.config import ConfigurationError, DeliverySettings, revealed

log = logging.getLogger(__name__)


def senders_for(delivery: DeliverySettings, outbox_sender: Sender) -> tuple[dict[Channel, Sender], Ledger | None]:
    """Senders per channel and the ledger they share. With only the outbox (the embedded
    default) the ledger, when it can be opened, only keeps the contact index that routes replies."""
    senders: dict[Channel, Sender] = {Channel.SMS: outbox_sender, Channel.EMAIL: outbox_sender}
    if delivery.outbox_only:
        ledger = _outbox_ledger(delivery)
        if ledger is not None:
            remembering = RemembersContacts(outbox_sender, ledger)
            senders = {Channel.SMS: remembering, Channel.EMAIL: remembering}
        return senders, ledger
    ledger = _open_ledger(delivery)
    if delivery.sms_provider == "twilio":
        senders[Channel.SMS] = LedgeredSender(_twilio(delivery), ledger, "twilio", idempotent=False)
    if delivery.email_provider == "resend":
        senders[Channel.EMAIL] = LedgeredSender(_resend(delivery), ledger, "resend", idempotent=True)
    elif delivery.email_provider == "smtp":
        senders[Channel.EMAIL] = LedgeredSender(_smtp(delivery), ledger, "smtp", idempotent=False)
    return senders, ledger


def open_ledger(delivery: DeliverySettings) -> Ledger | None:
    """The delivery ledger the senders share, for the parts that read it without sending: the
    API's webhooks and the CLI's inbound events (None when it cannot be had: outbox only, with
    a ledger that is not a local SQLite file and no WAYPOINT_CONTACT_HASH_KEY)."""
    return _outbox_ledger(delivery) if delivery.outbox_only else _open_ledger(delivery)


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


def _outbox_ledger(delivery: DeliverySettings) -> Ledger | None:
    """The embedded default's ledger: WAYPOINT_LEDGER_URL (default var/ledger.sqlite) with
    WAYPOINT_CONTACT_HASH_KEY or, for a local SQLite file, a key made once beside it (0600), so
    the worker, the API and the CLI started separately hash addresses alike."""
    url = delivery.ledger_url.get_secret_value()
    key = revealed(delivery.contact_hash_key) or _local_hash_key(url)
    if key is None:
        return None
    try:
        return Ledger(url, contact_hash_key=key, inbound_keep=delivery.inbound_events_keep)
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


def _open_ledger(delivery: DeliverySettings) -> Ledger:
    try:
        return Ledger(delivery.ledger_url.get_secret_value(), contact_hash_key=revealed(delivery.contact_hash_key),
                      inbound_keep=delivery.inbound_events_keep)
    except Exception as exc:  # noqa: BLE001 - the message may contain the URL (and a password)
        raise ConfigurationError("WAYPOINT_LEDGER_URL: the ledger database cannot be opened "
                                 f"({type(exc).__name__})") from None


def _twilio(delivery: DeliverySettings) -> TwilioSms:
    return TwilioSms(
        delivery.twilio_account_sid or "",
        revealed(delivery.twilio_auth_token),
        from_number=None if delivery.twilio_messaging_service_sid else delivery.twilio_from_number,
        messaging_service_sid=delivery.twilio_messaging_service_sid,
        api_base=delivery.twilio_api_base or twilio_mod.DEFAULT_API_BASE,
        status_callback_base=delivery.status_callback_base,
    )


def _resend(delivery: DeliverySettings) -> ResendEmail:
    return ResendEmail(
        revealed(delivery.resend_api_key),
        from_address=delivery.email_from or "",
        api_base=delivery.resend_api_base or resend_mod.DEFAULT_API_BASE,
    )


def _smtp(delivery: DeliverySettings) -> SmtpEmail:
    return SmtpEmail(
        delivery.smtp_host or "",
        delivery.smtp_port,
        from_address=delivery.email_from or "",
        username=delivery.smtp_username,
        password=revealed(delivery.smtp_password) or None,
        security=SmtpSecurity(delivery.smtp_security),
    )
