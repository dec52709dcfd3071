"""How a provider's answer is classified. Activities turn these into Temporal failures:
transient ones are retried with backoff, permanent ones are non-retryable with their kind as
the error type (the workflow alerts the coordinator and falls back to another channel)."""

from __future__ import annotations

import re
from enum import StrEnum


class PermanentKind(StrEnum):
    INVALID_ADDRESS = "InvalidAddress"  # invalid phone number or e-mail address
    LANDLINE = "Landline"  # the number cannot receive SMS
    OPTED_OUT_AT_PROVIDER = "OptedOutAtProvider"  # e.g. Twilio 21610: the recipient replied STOP
    INACTIVE_RECIPIENT = "InactiveRecipient"  # bounced / suppressed e-mail recipient
    BAD_CREDENTIALS = "BadCredentials"  # 401/403: our configuration is wrong
    REJECTED = "Rejected"  # any other 4xx the provider will keep refusing
    UNCERTAIN = "DeliveryUncertain"  # an earlier attempt may have gone out; not resent


class PermanentDeliveryError(Exception):
    """The provider will not deliver this message, however often we try."""

    def __init__(self, kind: PermanentKind, detail: str) -> None:
        super().__init__(f"{kind.value}: {detail}")
        self.kind = kind
        self.detail = detail


class TransientDeliveryError(Exception):
    """Timeouts, 429, 5xx, connection trouble: worth trying again later."""

    def __init__(self, detail: str, retry_after_seconds: float | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.retry_after_seconds = retry_after_seconds


def transient(detail: str, retry_after: float | None = None, *, not_sent: bool) -> TransientDeliveryError:
    """A TransientDeliveryError that says whether the message certainly did not go out."""
    exc = TransientDeliveryError(detail, retry_after)
    exc.not_sent = not_sent  # type: ignore[attr-defined]
    return exc


_PHONE_OR_EMAIL = re.compile(r"\+?\d[\d\s().-]{5,}\d|[^\s@<>\"']+@[^\s@<>\"']+")


def redact(text: str, limit: int = 200) -> str:
    """A provider's message without phone numbers or e-mail addresses, shortened."""
    return _PHONE_OR_EMAIL.sub("<redacted>", text)[:limit]
