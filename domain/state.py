"""The journey's state: one object, carried whole through continue-as-new."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict

from domain.appointments import Appointment
from domain.case_file import CaseFile, Channel
from domain.commands import PauseReason
from domain.donors import DonorTyping
from domain.handover import HandoverItem, HandoverItemType
from domain.records import RecordItem, RecordType
from domain.stages import CloseReason, Milestone, Pathway, Stage


class _State(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MessageEvent(StrEnum):
    """Each event has a template per language and channel (see templates/)."""

    RECORD_REQUEST = "record_request"
    RECORD_REMINDER = "record_reminder"
    STAGE_CHANGE = "stage_change"
    APPOINTMENT = "appointment"
    VISA_EXPIRY_WARNING = "visa_expiry_warning"
    LOCAL_TEAM_UPDATE = "local_team_update"
    COORDINATOR_ALERT = "coordinator_alert"
    OPT_OUT_CONFIRMATION = "opt_out_confirmation"
    # Timekeeping after the records.
    APPOINTMENT_SCHEDULED = "appointment_scheduled"  # booked or changed: with a calendar invitation
    APPOINTMENT_REMINDER = "appointment_reminder"
    APPOINTMENT_CANCELLED = "appointment_cancelled"
    FOLLOW_UP_CHECK_IN = "follow_up_check_in"
    JOURNEY_COMPLETED = "journey_completed"  # the kind last word before a journey ends itself
    DONOR_TYPING_REMINDER = "donor_typing_reminder"
    HANDOVER_PACKAGE = "handover_package"  # to the local team: what was sent, please acknowledge
    HANDOVER_REMINDER = "handover_reminder"
    FAMILY_LINK = "family_link"  # a fresh link to the family page, asked for from an expired one
    REPLY_ACKNOWLEDGEMENT = "reply_acknowledgement"


class Audience(StrEnum):
    FAMILY = "family"
    LOCAL_TEAM = "local_team"
    COORDINATOR = "coordinator"


class AlertKind(StrEnum):
    RECORDS_OVERDUE = "records_overdue"
    RECORDS_DEADLINE_PASSED = "records_deadline_passed"
    RECORDS_READY_FOR_REVIEW = "records_ready_for_review"
    VISA_EXPIRES_TOO_SOON = "visa_expires_too_soon"
    DELIVERY_FAILED = "delivery_failed"
    APPOINTMENT_UNRESOLVED = "appointment_unresolved"  # neither done nor missed by the next day
    CHECK_NOT_BOOKED = "check_not_booked"  # a planned monitoring check with no appointment
    ENGRAFTMENT_OVERDUE = "engraftment_overdue"
    STAGE_OVERDUE = "stage_overdue"
    VISA_EXPIRING = "visa_expiring"  # ends soon while the family is expected in China
    FOLLOW_UP_CALL_DUE = "follow_up_call_due"
    TYPING_RESULT_PENDING = "typing_result_pending"
    HANDOVER_ITEM_AWAITED = "handover_item_awaited"


class MessageStatus(StrEnum):
    SCHEDULED = "scheduled"  # waiting for its time (quiet hours) or for the loop
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    SKIPPED = "skipped"  # no longer relevant at send time (record arrived, consent withdrawn...)
    CANCELLED = "cancelled"  # journey closed


class Notice(_State):
    """Something a group of people should hear about; planned into one message per channel."""

    event: MessageEvent
    audience: Audience
    params: dict[str, Any] = {}
    # For record requests and reminders: re-checked at send time, sent only while outstanding.
    record_types: list[RecordType] = []
    urgent: bool = False
    # Narrow the audience to one recipient and channel (e.g. an opt-out confirmation).
    only_recipient: str | None = None
    only_channel: Channel | None = None


class Message(_State):
    """One message to one recipient on one channel; its key makes delivery idempotent."""

    key: str
    event: MessageEvent
    recipient: str  # guardian-1, guardian-2, local-team, coordinator
    channel: Channel
    created_at: datetime
    not_before: datetime
    status: MessageStatus = MessageStatus.SCHEDULED
    params: dict[str, Any] = {}
    record_types: list[RecordType] = []
    urgent: bool = False
    sent_at: datetime | None = None
    outcome: str | None = None  # provider reference, skip or failure reason (no personal data)
    delivery: str | None = None  # the provider's later report: delivered, undelivered, failed, bounced
    delivery_at: datetime | None = None
    merged: list[str] = []  # keys of the messages this one says too (sent as one)

    @property
    def notice_key(self) -> str:
        """The key of the notice this message belongs to (case:event:seq)."""
        return self.key.rsplit(":", 2)[0]


class TimelineEntry(_State):
    at: datetime
    kind: str
    detail: dict[str, str] = {}
    by: str | None = None


class MilestoneEntry(_State):
    milestone: Milestone
    stage: Stage
    at: datetime
    details: dict[str, Any] = {}
    by: str | None = None


class Visa(_State):
    visa_type: str
    applicant: str
    expires_on: date
    granted_at: datetime | None = None  # when it was recorded (journeys with timekeeping)


class Alert(_State):
    key: str
    kind: AlertKind
    at: datetime
    record_types: list[RecordType] = []
    detail: dict[str, str] = {}
    open: bool = True


class Reply(_State):
    """What a guardian wrote to us (not STOP/START), waiting for a person until marked handled."""

    id: str  # case:reply:n
    at: datetime
    recipient: str
    channel: Channel
    text: str
    handled_at: datetime | None = None
    handled_by: str | None = None

    @property
    def open(self) -> bool:
        return self.handled_at is None


class Pause(_State):
    since: datetime
    reason: PauseReason


class Closure(_State):
    at: datetime
    reason: CloseReason
    by: str | None = None


class JourneyState(_State):
    case: CaseFile
    pathway: Pathway
    stage: Stage
    started_at: datetime
    stage_entered_at: datetime
    records: dict[RecordType, RecordItem] = {}
    milestones: list[MilestoneEntry] = []
    visas: list[Visa] = []
    day_zero: date | None = None
    travel_date: date | None = None
    local_team_consent: bool = False
    opted_out: dict[str, list[Channel]] = {}
    pause: Pause | None = None
    closure: Closure | None = None
    notice_seq: int = 0
    messages: list[Message] = []
    alerts: list[Alert] = []
    timeline: list[TimelineEntry] = []
    notes: list[TimelineEntry] = []  # staff free text, kept apart from the timeline
    replies: list[Reply] = []  # the family's own words, for the coordinator
    # One calm message instead of a burst (domain/batching.py); set by the patch that brought it,
    # so journeys recorded before it replay as they ran.
    calm_messages: bool = False
    runs: int = 1  # how many workflow runs (continue-as-new) this journey has had
    # Timekeeping after the records (journeys started before it, or not yet through the patch
    # that brought it, keep False and behave as they always did: see docs/changing-workflows.md).
    timekeeping: bool = False
    timeline_trimmed: int = 0  # older entries left to earlier runs' histories (bounded state)
    appointments: list[Appointment] = []
    fired: list[str] = []  # keys of plan duties already carried out (each happens once)
    paused_spans: list[tuple[datetime, datetime]] = []  # plans move on by the time spent paused
    monitoring_from: datetime | None = None  # when the monitoring plan was (re)made from day 0
    discharged_on: date | None = None
    follow_up_from: datetime | None = None  # return home, or a second opinion's advice
    follow_up_extra: int = 0  # check-ins added by a coordinator
    completing_since: datetime | None = None  # the last word was planned; the close follows it
    donors: list[DonorTyping] = []
    handover: dict[HandoverItemType, HandoverItem] = {}

    @property
    def closed(self) -> bool:
        return self.closure is not None

    @property
    def paused(self) -> bool:
        return self.pause is not None

    def recorded(self, milestone: Milestone) -> list[MilestoneEntry]:
        return [m for m in self.milestones if m.milestone == milestone]
