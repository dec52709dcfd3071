"""The delivery activity's contract: what the journey workflow asks of it (its name, request,
result and retry policy) and what every channel below it implements (``Sender``)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict
from temporalio.common import RetryPolicy

from domain.case_file import Channel
from domain.records import RecordType
from domain.state import MessageEvent

# The activity's name: the workflow calls it by name so it never imports the activity code.
DELIVER_MESSAGE = "deliver-message"

# Transient provider trouble is retried with backoff for up to two days; a permanent failure
# (non-retryable ApplicationError) ends the attempt at once and alerts the coordinator. The
# workflow schedules the activity with it; the activity reads its numbers to honour Retry-After.
DELIVERY_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=5),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=10),
)


class MessagePart(BaseModel):
    """One of the things a merged message says (see domain/batching.py)."""

    model_config = ConfigDict(extra="forbid")

    event: MessageEvent
    params: dict[str, Any] = {}
    record_types: list[RecordType] = []


class DeliveryRequest(BaseModel):
    """Everything needed to render and send one message; built by the workflow at send time."""

    model_config = ConfigDict(extra="forbid")

    key: str  # idempotency key from the business event: case:event:seq:recipient:channel
    case_reference: str
    event: MessageEvent
    channel: Channel
    recipient: str  # role id: guardian-1, local-team, coordinator
    to_address: str
    to_name: str | None = None
    language: str
    timezone: str
    params: dict[str, Any] = {}
    record_types: list[RecordType] = []
    # A message that says several things at once (a burst merged, or what waited through quiet
    # hours), in the order they happened; empty for a message that says one thing.
    parts: list[MessagePart] = []


class DeliveryResult(BaseModel):
    key: str
    reference: str  # where it went (outbox file, provider message id)
    duplicate: bool = False  # already delivered earlier under the same key
    language: str  # the language actually used (after fallback)


class Attachment(BaseModel):
    """A file sent with an e-mail (a calendar invitation): text content, named and typed."""

    filename: str
    content_type: str  # e.g. "text/calendar; method=REQUEST"
    content: str


class Rendered(BaseModel):
    subject: str | None
    text: str
    html: str | None = None
    language: str
    fell_back: bool = False
    attachments: list[Attachment] = []


class Sender(Protocol):
    """A channel the delivery activity hands a rendered message to (outbox, Twilio, Resend, SMTP)."""

    async def send(self, request: DeliveryRequest, message: Rendered) -> tuple[str, bool]:
        """Deliver once per key. Returns (reference, duplicate)."""
        ...
