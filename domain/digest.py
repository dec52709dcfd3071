"""The journey's digest: the compact read model behind listings and Today.

A journey publishes its digest (a small memo) only when it changes, and two search attributes
derived from it, so the listing query itself selects the families that need a person: the
time-independent reasons as one flag, and the earliest deadline of a record still awaited (the
only reason that becomes true by the passing of time). The full detail (records checklist,
next steps, messages) is read from the journey by query.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from pydantic import BaseModel

from domain.appointments import Appointment
from domain.plans import upcoming_appointments
from domain.records import RecordType
from domain.reminders import deadline_of
from domain.stages import Pathway, Stage
from domain.state import AlertKind, JourneyState, Message, MessageStatus
from domain.status import JourneyStatus

# A deadline this close puts a family on Today; so does an appointment this close.
DEADLINE_SOON = timedelta(days=7)
APPOINTMENT_SOON = timedelta(days=2)
# Timekeeping alerts put a family on Today until they close by themselves: each its own reason.
TIMEKEEPING_ALERTS = (
    AlertKind.APPOINTMENT_UNRESOLVED,
    AlertKind.CHECK_NOT_BOOKED,
    AlertKind.ENGRAFTMENT_OVERDUE,
    AlertKind.STAGE_OVERDUE,
    AlertKind.VISA_EXPIRING,
    AlertKind.FOLLOW_UP_CALL_DUE,
    AlertKind.TYPING_RESULT_PENDING,
    AlertKind.HANDOVER_ITEM_AWAITED,
)
FAILED_DELIVERY = {"failed", "undelivered", "bounced"}
_ANY_TIME = datetime(2000, 1, 1, tzinfo=UTC)  # for the reasons that do not depend on time


class JourneyDigest(BaseModel):
    case_reference: str
    coordinator: str
    pathway: Pathway
    stage: Stage
    started_at: datetime
    stage_entered_at: datetime
    paused: bool = False
    closed: bool = False
    overdue: bool = False
    open_alerts: list[AlertKind] = []
    escalated: list[RecordType] = []
    # The earliest deadline of a record still awaited. Only this, not the records, so the digest
    # does not change with every record that arrives (the journey's page lists them).
    records_deadline: datetime | None = None
    delivery_failed: bool = False
    # The next appointment (timekeeping): on Today from two days before it.
    next_appointment_at: datetime | None = None
    next_appointment_kind: str | None = None
    open_replies: int = 0  # what the family wrote that a person has not dealt with yet (no text)


def failed_delivery(message: Message) -> bool:
    return message.status == MessageStatus.FAILED or (message.delivery or "") in FAILED_DELIVERY


def digest(state: JourneyState, overdue: bool) -> JourneyDigest:
    policy = state.case.policy.chase
    return JourneyDigest(
        case_reference=state.case.case_reference,
        coordinator=state.case.coordinator.id,
        pathway=state.pathway,
        stage=state.stage,
        started_at=state.started_at,
        stage_entered_at=state.stage_entered_at,
        paused=state.paused,
        closed=state.closed,
        overdue=overdue,
        open_alerts=sorted({a.kind for a in state.alerts if a.open}),
        escalated=sorted(t for t, item in state.records.items() if item.escalated),
        records_deadline=min((deadline_of(item, policy) for item in state.records.values() if item.outstanding),
                             default=None),
        delivery_failed=any(failed_delivery(m) for m in state.messages),
        **_next_appointment(upcoming_appointments(state)),
        open_replies=sum(1 for r in state.replies if r.open),
    )


def _next_appointment(upcoming: list[Appointment]) -> dict[str, object]:
    if not upcoming:
        return {}
    return {"next_appointment_at": upcoming[0].starts_at, "next_appointment_kind": upcoming[0].kind.value}


@dataclass
class Reason:
    code: str  # a key of the dashboard's words: r_escalated, r_overdue, ...
    records: list[str] = field(default_factory=list)  # record type codes, if any


def reasons(d: JourneyDigest, now: datetime) -> list[Reason]:
    """Why this family needs a person today (none: it does not)."""
    if d.closed:
        return []
    found: list[Reason] = []
    kinds = set(d.open_alerts)
    escalated = sorted(t.value for t in d.escalated)
    if escalated or kinds & {AlertKind.RECORDS_OVERDUE, AlertKind.RECORDS_DEADLINE_PASSED}:
        found.append(Reason("r_escalated", escalated))
    deadline = d.records_deadline
    if (deadline is not None and deadline <= now) or d.overdue:
        found.append(Reason("r_overdue", escalated))
    if deadline is not None and now < deadline <= now + DEADLINE_SOON:
        found.append(Reason("r_deadline"))
    if AlertKind.DELIVERY_FAILED in kinds or d.delivery_failed:
        found.append(Reason("r_delivery"))
    if AlertKind.VISA_EXPIRES_TOO_SOON in kinds:
        found.append(Reason("r_visa"))
    if AlertKind.RECORDS_READY_FOR_REVIEW in kinds:
        found.append(Reason("r_ready"))
    found += [Reason(f"r_{kind.value}") for kind in TIMEKEEPING_ALERTS if kind in kinds]
    at = d.next_appointment_at
    if at is not None and now - timedelta(hours=12) <= at <= now + APPOINTMENT_SOON:
        found.append(Reason("r_appointment_soon"))
    if d.open_replies:
        found.append(Reason("r_reply"))
    return found


def needs_person(d: JourneyDigest) -> bool:
    """The reasons that hold whatever the time: the flag the listing query selects on."""
    return bool(reasons(d.model_copy(update={"records_deadline": None, "next_appointment_at": None}), _ANY_TIME))


def records_deadline(d: JourneyDigest) -> datetime | None:
    """From a week before it, the family is on Today (the listing query compares it with the
    time of the read)."""
    return None if d.closed else d.records_deadline


def digest_of_status(status: JourneyStatus) -> JourneyDigest:
    """The digest of a journey that published only its full status (started before the digest)."""
    return JourneyDigest(
        case_reference=status.case_reference,
        coordinator=status.coordinator,
        pathway=status.pathway,
        stage=status.stage,
        started_at=status.started_at,
        stage_entered_at=status.stage_entered_at,
        paused=status.paused,
        closed=status.closed,
        overdue=status.overdue,
        open_alerts=sorted({a.kind for a in status.open_alerts}),
        escalated=sorted(r.record_type for r in status.records if r.escalated),
        records_deadline=min((r.deadline for r in status.records if r.status.outstanding and r.deadline is not None),
                             default=None),
        delivery_failed=any(failed_delivery(m) for m in status.delivery_problems),
        **_next_appointment(status.appointments),
        open_replies=len(status.open_replies),
    )
