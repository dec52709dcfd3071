"""The journey's plans after the records, as data: every duty that falls due by itself, derived
from the state and the timekeeping policy, each with a key that makes it happen once.

Nothing here changes state or sends: ``duties`` lists what is planned, ``due`` what has come due
at a moment. ``domain/rules/timekeeping.py`` carries them out, and the workflow sleeps until the
earliest (``next_duty_at``). Plans move on by the time a journey spent paused; a booked
appointment does not (it is a real booking). A plan re-made (day 0 changed) has new keys, and a
duty whose moment had already passed when its plan was made is not carried out late.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from domain.appointments import Appointment, AppointmentKind, AppointmentStatus, local_moment, reminder_times
from domain.donors import TypingStatus
from domain.handover import HandoverStatus
from domain.notices import recipients
from domain.stages import Milestone, Pathway
from domain.state import Audience, JourneyState, MessageStatus


class DutyKind(StrEnum):
    APPOINTMENT_REMINDER = "appointment_reminder"
    APPOINTMENT_UNRESOLVED = "appointment_unresolved"
    BOOK_CHECK = "book_check"
    ENGRAFTMENT_DUE = "engraftment_due"
    FOLLOW_UP_CHECK_IN = "follow_up_check_in"
    FAREWELL = "farewell"
    COMPLETE = "complete"
    STAGE_CLOCK = "stage_clock"
    VISA_WATCH = "visa_watch"
    TYPING_FOLLOW_UP = "typing_follow_up"
    HANDOVER_FOLLOW_UP = "handover_follow_up"


@dataclass(frozen=True)
class Duty:
    key: str
    at: datetime
    kind: DutyKind
    params: dict[str, Any] = field(default_factory=dict)


def paused_since(state: JourneyState, anchor: datetime) -> timedelta:
    """Time spent paused after ``anchor``: what a plan anchored there moves on by."""
    return sum((until - since for since, until in state.paused_spans if since >= anchor), timedelta(0))


def duties(state: JourneyState) -> list[Duty]:
    """Everything planned and not yet carried out (empty for journeys without timekeeping)."""
    if not state.timekeeping or state.closed:
        return []
    found = [
        *_appointment_duties(state),
        *_monitoring_duties(state),
        *_follow_up_duties(state),
        *_stage_clock_duties(state),
        *_visa_duties(state),
        *_typing_duties(state),
        *_handover_duties(state),
    ]
    done = set(state.fired)
    return sorted((d for d in found if d.key not in done), key=lambda d: (d.at, d.key))


def due(state: JourneyState, now: datetime) -> list[Duty]:
    if state.paused:
        return []
    return [d for d in duties(state) if d.at <= now]


def next_duty_at(state: JourneyState) -> datetime | None:
    upcoming = duties(state)
    return upcoming[0].at if upcoming else None


# ---------------------------------------------------------------------------------------------


def _coordinator_moment(state: JourneyState, on: date) -> datetime:
    """A plan's day, at the policy's local hour in the coordinator's zone."""
    policy = state.case.policy.timekeeping
    return local_moment(on, policy.reminder_local_time, state.case.coordinator.timezone)


def _appointment_duties(state: JourneyState) -> list[Duty]:
    policy = state.case.policy.timekeeping
    found: list[Duty] = []
    for a in state.appointments:
        if not a.upcoming:
            continue
        base = f"appt:{a.id}:{a.sequence}"
        if "family" in a.attendees:
            for r in recipients(state, Audience.FAMILY):
                for i, at in enumerate(reminder_times(a, r.timezone, policy.appointment_reminders, policy.reminder_local_time)):
                    if at > a.updated_at:  # a reminder time already past when booked is not sent late
                        found.append(Duty(f"{base}:remind{i}:{r.id}", at, DutyKind.APPOINTMENT_REMINDER,
                                          {"appointment_id": a.id, "recipient": r.id}))
        found.append(Duty(f"{base}:unresolved", a.starts_at + policy.appointment_unresolved_after,
                          DutyKind.APPOINTMENT_UNRESOLVED, {"appointment_id": a.id}))
    return found


def planned_checks(state: JourneyState) -> list[tuple[int, date]]:
    """The monitoring plan: (day +N, the date it is due), moved on by any pause since day 0."""
    if state.day_zero is None or state.monitoring_from is None:
        return []
    days = state.case.policy.timekeeping.monitoring_days.get(state.pathway.value, ())
    shift = paused_since(state, state.monitoring_from)
    return [(n, state.day_zero + timedelta(days=n) + shift) for n in days]


def check_booked(state: JourneyState, day: int) -> bool:
    """A planned check is covered by a booked (or done) appointment, or recorded as done."""
    booked = any(
        a.kind == AppointmentKind.MONITORING_CHECK and a.check_day == day
        and a.status in (AppointmentStatus.SCHEDULED, AppointmentStatus.RESCHEDULED, AppointmentStatus.DONE)
        for a in state.appointments
    )
    recorded = any(m.details.get("day") == day for m in state.recorded(Milestone.MONITORING_CHECK))
    return booked or recorded


def _monitoring_duties(state: JourneyState) -> list[Duty]:
    if state.day_zero is None or state.monitoring_from is None:
        return []
    policy = state.case.policy.timekeeping
    made = state.monitoring_from
    found = []
    for n, on in planned_checks(state):
        at = _coordinator_moment(state, on) - policy.book_check_ahead
        if at >= made:
            found.append(Duty(f"check:{state.day_zero}:{n}:book", at, DutyKind.BOOK_CHECK, {"day": n, "due_on": on.isoformat()}))
    by_day = policy.engraftment_by_day.get(state.pathway.value)
    if by_day is not None:
        on = state.day_zero + timedelta(days=by_day) + paused_since(state, made)
        at = _coordinator_moment(state, on)
        if at >= made:
            found.append(Duty(f"engraftment:{state.day_zero}", at, DutyKind.ENGRAFTMENT_DUE, {"by_day": by_day}))
    return found


def follow_up_check_ins(state: JourneyState) -> int:
    planned = state.case.policy.timekeeping.follow_up_check_ins.get(state.pathway.value, 0)
    return planned + state.follow_up_extra


def follow_up_plan(state: JourneyState) -> list[tuple[int, datetime]]:
    """The follow-up check-ins: (number, when), moved on by any pause since the plan began."""
    start = state.follow_up_from
    if start is None:
        return []
    interval = state.case.policy.timekeeping.follow_up_interval
    shift = paused_since(state, start)
    return [(k, start + k * interval + shift) for k in range(1, follow_up_check_ins(state) + 1)]


def _follow_up_duties(state: JourneyState) -> list[Duty]:
    start = state.follow_up_from
    if start is None:
        return []
    policy = state.case.policy.timekeeping
    anchor = start.strftime("%Y%m%dT%H%M%S")
    plan = follow_up_plan(state)
    found = [Duty(f"follow:{anchor}:{k}", at, DutyKind.FOLLOW_UP_CHECK_IN, {"check_in": k, "of": len(plan)}) for k, at in plan]
    last = plan[-1][1] if plan else start
    farewell_at = last + policy.complete_after_last_check_in
    found.append(Duty(f"follow:{anchor}:farewell", farewell_at, DutyKind.FAREWELL))
    if state.completing_since is not None:
        # The close follows the last word: once it has gone out (or could not), never before.
        farewell = [m for m in state.messages if m.event.value == "journey_completed"]
        if not any(m.status in (MessageStatus.SCHEDULED, MessageStatus.SENDING) for m in farewell):
            found.append(Duty(f"follow:{anchor}:complete", state.completing_since, DutyKind.COMPLETE))
    return found


def clock_start(state: JourneyState, starts_with: str | None) -> datetime | None:
    if starts_with is None:
        return state.stage_entered_at
    entries = [m for m in state.recorded(Milestone(starts_with)) if m.at >= state.stage_entered_at]
    return entries[-1].at if entries else None


def clock_stopped(state: JourneyState, ends_with: tuple[str, ...], since: datetime) -> bool:
    return any(m.at >= since for name in ends_with for m in state.recorded(Milestone(name)))


def _stage_clock_duties(state: JourneyState) -> list[Duty]:
    found = []
    for i, clock in enumerate(state.case.policy.timekeeping.stage_clocks):
        if clock.stage != state.stage.value:
            continue
        start = clock_start(state, clock.starts_with)
        if start is None or clock_stopped(state, clock.ends_with, start):
            continue
        at = start + clock.within + paused_since(state, start)
        found.append(Duty(f"clock:{clock.stage}:{i}:{start.strftime('%Y%m%dT%H%M%S')}", at, DutyKind.STAGE_CLOCK,
                          {"clock": i, "since": start.isoformat()}))
    return found


def returned_home(state: JourneyState) -> bool:
    return bool(state.recorded(Milestone.RETURNED_HOME))


def _visa_duties(state: JourneyState) -> list[Duty]:
    if returned_home(state) or state.pathway == Pathway.SECOND_OPINION:
        return []
    found = []
    for visa in state.visas:
        for days in state.case.policy.timekeeping.visa_warning_days:
            at = _coordinator_moment(state, visa.expires_on - timedelta(days=days))
            if visa.granted_at is not None and at < visa.granted_at:
                continue  # already that close when recorded: the check at recording covers it
            found.append(Duty(f"visa:{visa.applicant}:{visa.expires_on}:{days}", at, DutyKind.VISA_WATCH,
                              {"applicant": visa.applicant, "expires_on": visa.expires_on.isoformat(), "days": days}))
    return found


def _typing_duties(state: JourneyState) -> list[Duty]:
    interval = state.case.policy.timekeeping.typing_reminder_interval
    return [
        Duty(f"typing:{d.id}:{d.reminders_sent + 1}", d.last_asked_at + interval + paused_since(state, d.last_asked_at),
             DutyKind.TYPING_FOLLOW_UP, {"donor": d.id})
        for d in state.donors
        if d.status != TypingStatus.RESULT_RECEIVED
    ]


def _handover_duties(state: JourneyState) -> list[Duty]:
    interval = state.case.policy.timekeeping.handover_reminder_interval
    return [
        Duty(f"handover:{h.item.value}:{h.status.value}:{h.reminders_sent + 1}",
             h.last_asked_at + interval + paused_since(state, h.last_asked_at),
             DutyKind.HANDOVER_FOLLOW_UP, {"item": h.item.value})
        for h in state.handover.values()
        if h.status in (HandoverStatus.AWAITED, HandoverStatus.SENT)
    ]


def upcoming_appointments(state: JourneyState) -> list[Appointment]:
    return sorted((a for a in state.appointments if a.upcoming), key=lambda a: a.starts_at)
