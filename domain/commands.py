"""What coordinators and backend systems can tell a journey.

Facts from backend systems (a record arrived) are signals; coordinator decisions that can be
refused are updates. Every payload is a strict model: unknown fields and wrong types are refused
before anything is sent to Temporal.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from domain.case_file import Channel, DocumentId, StaffId
from domain.opt_out import Keyword
from domain.records import RecordType, RejectionReason
from domain.stages import CloseReason, Milestone, Pathway, ReviewOutcome, Stage

# Free text from staff. Kept in the (encrypted) workflow state, never in logs or search
# attributes. Bounded so a journey's state stays small.
Note = Annotated[str, Field(max_length=500)]


class _Command(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class RecordReceived(_Command):
    """Signal from a document store: a record for the checklist was uploaded."""

    record_type: RecordType
    document_id: DocumentId


class RecordDecision(StrEnum):
    ACCEPT = "accept"
    REJECT = "reject"
    WAIVE = "waive"


class ReviewRecord(_Command):
    """Update from a coordinator: accept, reject (with a reason) or waive a checklist item."""

    record_type: RecordType
    decision: RecordDecision
    reason: RejectionReason | None = None
    note: Note | None = None
    by: StaffId | None = None


class Applicant(StrEnum):
    PATIENT = "patient"
    CAREGIVER = "caregiver"


class ApplyMilestone(_Command):
    milestone: Milestone
    outcome: ReviewOutcome | None = None
    pathway: Pathway | None = None
    eligible: bool | None = None
    visa_type: Annotated[str, Field(pattern=r"^[A-Z][A-Z0-9]{0,3}$")] | None = None
    applicant: Applicant | None = None
    expires_on: date | None = None
    on_date: date | None = None
    day: Annotated[int, Field(ge=0, le=3650)] | None = None
    note: Note | None = None
    by: StaffId | None = None


class AdvanceStage(_Command):
    to_stage: Stage
    by: StaffId | None = None


class PauseReason(StrEnum):
    CHILD_ADMITTED_LOCALLY = "child_admitted_locally"
    FAMILY_NEEDS_TIME = "family_needs_time"
    AWAITING_FUNDS = "awaiting_funds"
    OTHER = "other"


class PauseJourney(_Command):
    reason: PauseReason
    note: Note | None = None
    by: StaffId | None = None


class ResumeJourney(_Command):
    note: Note | None = None
    by: StaffId | None = None


class CloseJourney(_Command):
    reason: CloseReason
    note: Note | None = None
    by: StaffId | None = None


class SetConsent(_Command):
    """The family's consent to inform their local treating team (recorded or withdrawn)."""

    granted: bool
    by: StaffId | None = None


class SetChannelOptOut(_Command):
    """A recipient's channel preference: opted out (STOP) or back in (explicit START)."""

    recipient: Annotated[str, Field(pattern=r"^guardian-[12]$")]
    channel: Channel
    opted_out: bool
    by: StaffId | None = None


class ChannelReply(_Command):
    """Signal from the inbound-SMS entry point: a guardian replied STOP or START on a channel.
    Only the keyword travels; the reply's text never enters the journey."""

    recipient: Annotated[str, Field(pattern=r"^guardian-[12]$")]
    channel: Channel
    keyword: Keyword


class DeliveryStatus(StrEnum):
    DELIVERED = "delivered"
    UNDELIVERED = "undelivered"
    FAILED = "failed"
    BOUNCED = "bounced"


class DeliveryReport(_Command):
    """Signal from a provider's status callback, matched to our message by its key."""

    key: Annotated[str, Field(pattern=r"^[A-Z]{2,4}-[0-9]{4}-[0-9]{3,6}:[a-z_]+:[0-9]+:[a-z0-9-]+:(email|sms)$")]
    status: DeliveryStatus
    provider_code: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]{1,32}$")] | None = None
