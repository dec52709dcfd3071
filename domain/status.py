"""Read models: what a coordinator (or a backend) sees when asking where a journey stands."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel

from domain.derived import next_wakeup, overdue, projected_return, unmet_requirements
from domain.notices import asked_of
from domain.appointments import Appointment
from domain.donors import DonorTyping
from domain.handover import HandoverItem
from domain.plans import check_booked, follow_up_plan, planned_checks, upcoming_appointments
from domain.policy import QuietHours
from domain.records import Holder, RecordStatus, RecordType
from domain.reminders import deadline_of, reminder_schedule
from domain.stages import (
    PATHWAY_STAGES,
    Pathway,
    Stage,
    milestones_for,
    transitions_from,
)
from domain.state import Alert, JourneyState, Message, MessageStatus, Reply


class RecordLine(BaseModel):
    record_type: RecordType
    status: RecordStatus
    holder: Holder
    asked_of: str  # who is actually being chased: family, local_team, or family (for the team)
    reminders_sent: int
    last_asked_at: datetime
    next_reminder_at: datetime | None
    deadline: datetime | None
    escalated: bool
    rejection_reason: str | None = None

    @property
    def outstanding(self) -> bool:
        return self.status.outstanding


class NextStep(BaseModel):
    stage: Stage
    ready: bool
    missing: list[str]


class PlannedCheck(BaseModel):
    day: int  # day +N of the monitoring plan
    due_on: date
    booked: bool  # an appointment covers it, or it is recorded as done


class FollowUpProgress(BaseModel):
    check_ins_done: int
    check_ins_planned: int
    next_check_in_at: datetime | None
    completing: bool  # the family has been told; the journey closes itself


class JourneyStatus(BaseModel):
    case_reference: str
    coordinator: str
    pathway: Pathway
    stage: Stage
    stage_entered_at: datetime
    started_at: datetime
    paused: bool
    pause_reason: str | None
    closed: bool
    close_reason: str | None
    overdue: bool
    local_team_consent: bool
    opted_out: dict[str, list[str]]
    stages_ahead: list[Stage]
    next_steps: list[NextStep]
    milestones_open: list[str]
    milestones_done: list[str]
    records: list[RecordLine]
    next_wakeup: datetime | None
    projected_return: date | None
    open_alerts: list[Alert]
    scheduled_messages: list[Message]
    delivery_problems: list[Message]  # failed sends and provider reports other than delivered
    runs: int
    # Timekeeping after the records (empty for journeys without it, and in older memos).
    appointments: list[Appointment] = []  # upcoming, soonest first
    planned_checks: list[PlannedCheck] = []
    follow_up: FollowUpProgress | None = None
    donors: list[DonorTyping] = []
    handover: list[HandoverItem] = []
    # What the family wrote that a person has not dealt with yet (the text is in the memo, which
    # is encrypted with every payload; never in search attributes or logs).
    open_replies: list[Reply] = []


def journey_status(state: JourneyState) -> JourneyStatus:
    policy = state.case.policy.chase
    lines = []
    for item in state.records.values():
        schedule = reminder_schedule(item, policy)
        audience, via_family = asked_of(state, item.holder)
        lines.append(
            RecordLine(
                record_type=item.record_type,
                status=item.status,
                holder=item.holder,
                asked_of="family (for the local team)" if via_family else audience.value,
                reminders_sent=item.reminders_sent,
                last_asked_at=item.last_asked_at,
                next_reminder_at=schedule[0] if schedule else None,
                deadline=deadline_of(item, policy) if item.outstanding else None,
                escalated=item.escalated and item.outstanding,  # in hand: no longer escalated
                rejection_reason=item.rejection_reason.value if item.rejection_reason else None,
            )
        )
    route = PATHWAY_STAGES[state.pathway]
    ahead = list(route[route.index(state.stage) + 1 :]) if state.stage in route else []
    done = {m.milestone for m in state.milestones}
    open_ = [r.milestone.value for r in milestones_for(state.stage, state.pathway) if r.milestone not in done]
    return JourneyStatus(
        case_reference=state.case.case_reference,
        coordinator=state.case.coordinator.id,
        pathway=state.pathway,
        stage=state.stage,
        # "closed since" is when it was closed, not when the stage it was closed in began
        stage_entered_at=state.closure.at if state.closure else state.stage_entered_at,
        started_at=state.started_at,
        paused=state.paused,
        pause_reason=state.pause.reason.value if state.pause else None,
        closed=state.closed,
        close_reason=state.closure.reason.value if state.closure else None,
        overdue=overdue(state),
        local_team_consent=state.local_team_consent,
        opted_out={k: [c.value for c in v] for k, v in state.opted_out.items() if v},
        stages_ahead=ahead,
        next_steps=[
            NextStep(stage=t.target, ready=not (m := unmet_requirements(state, t.target)), missing=m)
            for t in ([] if state.closed else transitions_from(state.stage, state.pathway))
        ],
        milestones_open=open_,
        milestones_done=[m.milestone.value for m in state.milestones],
        records=lines,
        next_wakeup=next_wakeup(state),
        projected_return=projected_return(state),
        open_alerts=[a for a in state.alerts if a.open],
        scheduled_messages=[m for m in state.messages if m.status == MessageStatus.SCHEDULED],
        delivery_problems=[
            m for m in state.messages
            if m.status == MessageStatus.FAILED or (m.delivery is not None and m.delivery != "delivered")
        ],
        runs=state.runs,
        appointments=upcoming_appointments(state),
        planned_checks=[PlannedCheck(day=n, due_on=on, booked=check_booked(state, n)) for n, on in planned_checks(state)],
        follow_up=_follow_up(state),
        donors=list(state.donors),
        handover=list(state.handover.values()),
        open_replies=[r for r in state.replies if r.open],
    )


def _follow_up(state: JourneyState) -> FollowUpProgress | None:
    plan = follow_up_plan(state)
    if state.follow_up_from is None:
        return None
    done = sum(1 for k, _ in plan if any(key.endswith(f":{k}") and key.startswith("follow:") for key in state.fired))
    upcoming = [at for k, at in plan if k > done]
    return FollowUpProgress(
        check_ins_done=done,
        check_ins_planned=len(plan),
        next_check_in_at=upcoming[0] if upcoming else None,
        completing=state.completing_since is not None,
    )


class JourneySummary(BaseModel):
    """What an update returns and the workflow's result: small, no personal data."""

    case_reference: str
    stage: Stage
    pathway: Pathway
    paused: bool
    closed: bool
    close_reason: str | None = None


def summarize(state: JourneyState) -> JourneySummary:
    return JourneySummary(
        case_reference=state.case.case_reference,
        stage=state.stage,
        pathway=state.pathway,
        paused=state.paused,
        closed=state.closed,
        close_reason=state.closure.reason.value if state.closure else None,
    )



class GuardianView(BaseModel):
    """One guardian's own settings, for their family page (no address, no name)."""

    recipient: str
    language: str
    timezone: str
    quiet_hours: QuietHours
    channels: list[str]


def guardian_view(state: JourneyState, recipient: str) -> GuardianView | None:
    index = int(recipient.split("-")[1]) - 1 if recipient.startswith("guardian-") and recipient[9:].isdigit() else -1
    if not 0 <= index < len(state.case.guardians):
        return None
    g = state.case.guardians[index]
    return GuardianView(recipient=recipient, language=g.language, timezone=g.timezone, quiet_hours=g.quiet_hours,
                        channels=[c.value for c in g.channels])
