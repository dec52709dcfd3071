"""What coordinators and backend systems can tell a journey.

Facts from backend systems (a record arrived) are signals; coordinator decisions that can be
refused are updates. Every payload is a strict model: unknown fields and wrong types are refused
before anything is sent to Temporal.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Self

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationInfo

from domain.appointments import AppointmentKind, Attendee
from domain.case_file import INTAKE, Channel, Coordinator, DocumentId, LanguageTag, StaffId, at_intake
from domain.donors import DonorId, MatchGrade, NextStepHolder, Relation, TypingStatus
from domain.handover import HandoverAction, HandoverItemType
from domain.opt_out import Keyword
from domain.policy import QuietHours
from domain.records import RecordType, RejectionReason
from domain.stages import CloseReason, Milestone, Pathway, ReviewOutcome, Stage
from domain.validation import display_text_problem


def _check_note(value: str, info: ValidationInfo) -> str:
    """Display rules at intake only, so a note a running journey already holds still loads."""
    problem = display_text_problem(value, multiline=True) if at_intake(info) else None
    if problem:
        raise ValueError(problem)
    return value


# Free text from staff. Kept in the (encrypted) workflow state, never in logs or search
# attributes. Bounded so a journey's state stays small.
Note = Annotated[str, Field(max_length=500), AfterValidator(_check_note)]


# Who carried out a command: a staff id, or an API key acting as itself (``key:<key name>``).
Actor = Annotated[str, Field(pattern=r"^([a-z][a-z0-9_-]{1,39}|key:[a-z0-9][a-z0-9_.-]{0,39})$")]


class _Command(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @classmethod
    def intake(cls, data: object) -> Self:
        """Validate a command at the front door (API, dashboard, CLI), with every check."""
        return cls.model_validate(data, context=INTAKE)


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
    by: Actor | None = None
    claimed_by: StaffId | None = None  # a person the caller (an API key) says it acts for


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
    donor: DonorId | None = None  # donor_selected: the typed relative (mother, sibling-1...)
    note: Note | None = None
    by: Actor | None = None
    claimed_by: StaffId | None = None  # a person the caller (an API key) says it acts for


class AdvanceStage(_Command):
    to_stage: Stage
    by: Actor | None = None
    claimed_by: StaffId | None = None  # a person the caller (an API key) says it acts for


class PauseReason(StrEnum):
    CHILD_ADMITTED_LOCALLY = "child_admitted_locally"
    FAMILY_NEEDS_TIME = "family_needs_time"
    AWAITING_FUNDS = "awaiting_funds"
    OTHER = "other"


class PauseJourney(_Command):
    reason: PauseReason
    note: Note | None = None
    by: Actor | None = None
    claimed_by: StaffId | None = None  # a person the caller (an API key) says it acts for


class ResumeJourney(_Command):
    note: Note | None = None
    by: Actor | None = None
    claimed_by: StaffId | None = None  # a person the caller (an API key) says it acts for


class CloseJourney(_Command):
    reason: CloseReason
    note: Note | None = None
    by: Actor | None = None
    claimed_by: StaffId | None = None  # a person the caller (an API key) says it acts for


class SetConsent(_Command):
    """The family's consent to inform their local treating team (recorded or withdrawn)."""

    granted: bool
    by: Actor | None = None
    claimed_by: StaffId | None = None  # a person the caller (an API key) says it acts for


class SetChannelOptOut(_Command):
    """A recipient's channel preference: opted out (STOP) or back in (explicit START)."""

    recipient: Annotated[str, Field(pattern=r"^guardian-[12]$")]
    channel: Channel
    opted_out: bool
    by: Actor | None = None
    claimed_by: StaffId | None = None  # a person the caller (an API key) says it acts for


class ChannelReply(_Command):
    """Signal from the inbound-SMS entry point: a guardian replied STOP or START on a channel.
    Only the keyword travels; the reply's text never enters the journey."""

    recipient: Annotated[str, Field(pattern=r"^guardian-[12]$")]
    channel: Channel
    keyword: Keyword


class LinkRequested(_Command):
    """Signal from the family page: a guardian whose link expired asked for a fresh one, to be
    sent on the channel the expired link came by (the page never learns an address)."""

    recipient: Annotated[str, Field(pattern=r"^guardian-[12]$")]
    channel: Channel


class GuardianPreferences(_Command):
    """Signal from the family page: a guardian set their own quiet hours and message language.
    Only what they chose travels; the page validates both before sending."""

    recipient: Annotated[str, Field(pattern=r"^guardian-[12]$")]
    language: LanguageTag | None = None
    quiet_hours: QuietHours | None = None


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


# ---------------------------------------------------------------------------------------------
# Timekeeping after the records: appointments, donor typing, the handover, the follow-up plan.

AppointmentId = Annotated[str, Field(pattern=r"^A[0-9]{1,4}$")]
# A place is a reference (a hospital or room code), never free text about the child.
PlaceRef = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:/-]{0,39}$")]
ZoneName = Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9_+\-]*(/[A-Za-z0-9_+\-]+){0,2}$", max_length=64)]


class ScheduleAppointment(_Command):
    """Book an appointment. ``starts_at`` is the venue's wall-clock time (an offset, if given,
    is honoured); it is shown to each person in their own zone."""

    kind: AppointmentKind
    starts_at: datetime
    venue_timezone: ZoneName = "Asia/Shanghai"
    place: PlaceRef | None = None
    attendees: Annotated[list[Attendee], Field(min_length=1, max_length=3)] = [Attendee.FAMILY]
    check_day: Annotated[int, Field(ge=1, le=400)] | None = None
    note: Note | None = None
    by: Actor | None = None
    claimed_by: StaffId | None = None  # a person the caller (an API key) says it acts for


class RescheduleAppointment(_Command):
    appointment_id: AppointmentId
    starts_at: datetime
    venue_timezone: ZoneName | None = None
    place: PlaceRef | None = None
    note: Note | None = None
    by: Actor | None = None
    claimed_by: StaffId | None = None  # a person the caller (an API key) says it acts for


class CancelAppointment(_Command):
    appointment_id: AppointmentId
    note: Note | None = None
    by: Actor | None = None
    claimed_by: StaffId | None = None  # a person the caller (an API key) says it acts for


class AppointmentOutcome(StrEnum):
    DONE = "done"
    MISSED = "missed"


class RecordAppointmentOutcome(_Command):
    appointment_id: AppointmentId
    outcome: AppointmentOutcome
    note: Note | None = None
    by: Actor | None = None
    claimed_by: StaffId | None = None  # a person the caller (an API key) says it acts for


class RecordDonorTyping(_Command):
    """A relative's HLA typing moved on (first report: the kit is sent or a sample requested)."""

    relation: Relation
    number: Annotated[int, Field(ge=1, le=9)] | None = None  # sibling 1, 2...; other relative 1, 2...
    status: TypingStatus
    holder: NextStepHolder = NextStepHolder.FAMILY
    match_grade: MatchGrade | None = None
    by: Actor | None = None
    claimed_by: StaffId | None = None  # a person the caller (an API key) says it acts for


class UpdateHandoverItem(_Command):
    item: HandoverItemType
    action: HandoverAction
    by: Actor | None = None
    claimed_by: StaffId | None = None  # a person the caller (an API key) says it acts for


class ExtendFollowUp(_Command):
    """More check-ins before the journey completes by itself."""

    check_ins: Annotated[int, Field(ge=1, le=12)]
    note: Note | None = None
    by: Actor | None = None
    claimed_by: StaffId | None = None  # a person the caller (an API key) says it acts for


class ReassignJourney(_Command):
    """A supervisor (or a backend) hands the journey to another coordinator."""

    coordinator: Coordinator
    note: Note | None = None
    by: Actor | None = None
    claimed_by: StaffId | None = None  # a person the caller (an API key) says it acts for


# A family's own words, as they wrote them: kept in the (encrypted) workflow state for the
# coordinator, never in logs or search attributes. Bounded (an SMS is at most ten segments of
# 153 characters; longer e-mails are cut and say so).
ReplyText = Annotated[str, Field(min_length=1, max_length=2000)]


class FamilyReply(_Command):
    """Signal from an inbound SMS or e-mail that is not STOP/START: a guardian wrote to us."""

    recipient: Annotated[str, Field(pattern=r"^guardian-[12]$")]
    channel: Channel
    text: ReplyText


class MarkReplyHandled(_Command):
    """Update from a coordinator: a family's reply has been answered or dealt with by a person."""

    reply_id: Annotated[str, Field(pattern=r"^[A-Z]{2,4}-[0-9]{4}-[0-9]{3,6}:reply:[0-9]{1,6}$")]
    note: Note | None = None
    by: Actor | None = None
    claimed_by: StaffId | None = None  # a person the caller (an API key) says it acts for
