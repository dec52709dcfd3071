"""The contract between the journey workflow and the delivery activity."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from domain.case_file import Channel
from domain.records import RecordType
from domain.state import MessageEvent

# The activity's name: the workflow calls it by name so it never imports the activity code.
DELIVER_MESSAGE = "deliver-message"


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


class DeliveryResult(BaseModel):
    key: str
    reference: str  # where it went (outbox file, provider message id)
    duplicate: bool = False  # already delivered earlier under the same key
    language: str  # the language actually used (after fallback)


class Rendered(BaseModel):
    subject: str | None
    text: str
    html: str | None = None
    language: str
    fell_back: bool = False
