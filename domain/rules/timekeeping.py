"""Carrying out the plans' duties as they fall due (driven by the workflow's clock), and closing
the timekeeping alerts that no longer hold. Each duty happens once (its key is kept in
``state.fired``); nothing happens while paused or after close."""

from __future__ import annotations

from datetime import datetime, timedelta

from domain.appointments import Appointment, AppointmentStatus
from domain.commands import CloseJourney
from domain.derived import projected_return
from domain.notices import asked_of
from domain.donors import NextStepHolder, TypingStatus
from domain.handover import HandoverStatus
from domain.plans import (
    Duty,
    DutyKind,
    check_booked,
    clock_start,
    clock_stopped,
    due,
    follow_up_check_ins,
    returned_home,
)
from domain.records import Holder
from domain.rules.effects import log, notify, raise_alert
from domain.stages import CloseReason, Milestone
from domain.state import AlertKind, Audience, JourneyState, MessageEvent, Notice

SYSTEM = "waypoint"  # the actor of what the journey does by itself
GROUP_WITHIN = timedelta(hours=1)


def run_due_duties(state: JourneyState, now: datetime) -> bool:
    """Carry out every duty due at ``now``. True if anything was due."""
    if state.closed or state.paused or not state.timekeeping:
        return False
    found = due(state, now)
    for duty in found:
        if state.closed:
            break
        if duty.key in state.fired:  # carried out together with an earlier one in this batch
            continue
        state.fired.append(duty.key)
        _carry_out(state, duty, now)
    resolve_alerts(state)
    return bool(found)


def _carry_out(state: JourneyState, duty: Duty, now: datetime) -> None:
    p = duty.params
    if duty.kind == DutyKind.APPOINTMENT_REMINDER:
        a = next(a for a in state.appointments if a.id == p["appointment_id"])
        notify(state, Notice(event=MessageEvent.APPOINTMENT_REMINDER, audience=Audience.FAMILY,
                             params=appointment_params(a), only_recipient=p["recipient"]), now)
    elif duty.kind == DutyKind.APPOINTMENT_UNRESOLVED:
        a = next(a for a in state.appointments if a.id == p["appointment_id"])
        raise_alert(state, now, AlertKind.APPOINTMENT_UNRESOLVED, urgent=False,
                    appointment_id=a.id, appointment_kind=a.kind.value, starts_at=a.starts_at.isoformat())
    elif duty.kind == DutyKind.BOOK_CHECK:
        if not check_booked(state, p["day"]):
            raise_alert(state, now, AlertKind.CHECK_NOT_BOOKED, urgent=False, day=str(p["day"]), due_on=p["due_on"])
    elif duty.kind == DutyKind.ENGRAFTMENT_DUE:
        if not state.recorded(Milestone.ENGRAFTED):
            raise_alert(state, now, AlertKind.ENGRAFTMENT_OVERDUE, urgent=False, by_day=str(p["by_day"]))
    elif duty.kind == DutyKind.STAGE_CLOCK:
        raise_alert(state, now, AlertKind.STAGE_OVERDUE, urgent=False, stage=state.stage.value,
                    clock=str(p["clock"]), since=p["since"])
    elif duty.kind == DutyKind.VISA_WATCH:
        _visa_watch(state, duty, now)
    elif duty.kind == DutyKind.FOLLOW_UP_CHECK_IN:
        params = {"check_in": p["check_in"], "of": follow_up_check_ins(state), "pathway": state.pathway.value}
        notify(state, Notice(event=MessageEvent.FOLLOW_UP_CHECK_IN, audience=Audience.FAMILY, params=params), now)
        notify(state, Notice(event=MessageEvent.FOLLOW_UP_CHECK_IN, audience=Audience.LOCAL_TEAM, params=params), now)
        if state.case.policy.timekeeping.follow_up_needs_person:
            raise_alert(state, now, AlertKind.FOLLOW_UP_CALL_DUE, urgent=False, check_in=str(p["check_in"]))
        log(state, now, "follow_up_check_in", check_in=str(p["check_in"]), of=str(follow_up_check_ins(state)))
    elif duty.kind == DutyKind.FAREWELL:
        state.completing_since = now
        params = {"pathway": state.pathway.value}
        notify(state, Notice(event=MessageEvent.JOURNEY_COMPLETED, audience=Audience.FAMILY, params=params), now)
        notify(state, Notice(event=MessageEvent.JOURNEY_COMPLETED, audience=Audience.LOCAL_TEAM, params=params), now)
        log(state, now, "follow_up_plan_done")
    elif duty.kind == DutyKind.COMPLETE:
        from domain.rules.lifecycle import apply_close  # noqa: PLC0415 - lifecycle imports this module

        apply_close(state, CloseJourney(reason=CloseReason.COMPLETED, by=SYSTEM), now)
    elif duty.kind == DutyKind.TYPING_FOLLOW_UP:
        _typing_follow_up(state, p["donor"], now)
    elif duty.kind == DutyKind.HANDOVER_FOLLOW_UP:
        _handover_follow_up(state, now)


def appointment_params(a: Appointment) -> dict[str, object]:
    return {
        "appointment_id": a.id,
        "kind": a.kind.value,
        "starts_at": a.starts_at.isoformat(),
        "venue_timezone": a.venue_timezone,
        "place": a.place,
        "sequence": a.sequence,
        "status": a.status.value,
        "check_day": a.check_day,
    }


def _visa_watch(state: JourneyState, duty: Duty, now: datetime) -> None:
    """Only while the family is still expected to be in China when the visa ends."""
    ends = projected_return(state)
    if returned_home(state) or (ends is not None and ends < duty.at.date()):
        return
    if ends is not None and ends.isoformat() < duty.params["expires_on"]:
        return  # expected home before the visa ends
    detail = {"applicant": duty.params["applicant"], "expires_on": duty.params["expires_on"],
              "days_left": str(duty.params["days"])}
    raise_alert(state, now, AlertKind.VISA_EXPIRING, **detail)
    notify(state, Notice(event=MessageEvent.VISA_EXPIRY_WARNING, audience=Audience.FAMILY,
                         params={**detail, "projected_return": ends.isoformat() if ends else ""}), now)


def _typing_follow_up(state: JourneyState, donor_id: str, now: datetime) -> None:
    donor = next(d for d in state.donors if d.id == donor_id)
    donor.reminders_sent += 1
    donor.last_asked_at = now
    if donor.holder == NextStepHolder.CENTRE:
        raise_alert(state, now, AlertKind.TYPING_RESULT_PENDING, urgent=False, donor=donor.id, status=donor.status.value)
        return
    holder = Holder.LOCAL_TEAM if donor.holder == NextStepHolder.LOCAL_TEAM else Holder.FAMILY
    audience, via_family = asked_of(state, holder)
    number = int(donor.id.rsplit("-", 1)[1]) if "-" in donor.id else None
    params = {"donor": donor.id, "relation": donor.relation.value, "number": number, "status": donor.status.value,
              "via_family": via_family, "reminder_number": donor.reminders_sent}
    notify(state, Notice(event=MessageEvent.DONOR_TYPING_REMINDER, audience=audience, params=params), now)


def _handover_follow_up(state: JourneyState, now: datetime) -> None:
    """Everything in the package that is due at once: one alert, one reminder."""
    interval = state.case.policy.timekeeping.handover_reminder_interval
    # Items moved one after another (moments apart) fall due together: one reminder for all.
    soon = now + min(GROUP_WITHIN, interval / 10)
    awaited: list[str] = []
    unacknowledged: list[str] = []
    for h in state.handover.values():
        if h.status not in (HandoverStatus.AWAITED, HandoverStatus.SENT) or h.last_asked_at + interval > soon:
            continue
        state.fired.append(f"handover:{h.item.value}:{h.status.value}:{h.reminders_sent + 1}")
        h.reminders_sent += 1
        h.last_asked_at = now
        (awaited if h.status == HandoverStatus.AWAITED else unacknowledged).append(h.item.value)
    if awaited:
        raise_alert(state, now, AlertKind.HANDOVER_ITEM_AWAITED, urgent=False, items=",".join(sorted(awaited)))
    if unacknowledged:
        notify(state, Notice(event=MessageEvent.HANDOVER_REMINDER, audience=Audience.LOCAL_TEAM,
                             params={"items": sorted(unacknowledged)}), now)


# ---------------------------------------------------------------------------------------------
# Alerts that close by themselves


def resolve_alerts(state: JourneyState) -> None:
    """Close the timekeeping alerts whose cause is gone (a booked check, a moved stage...)."""
    if not state.timekeeping:
        return
    for alert in state.alerts:
        if alert.open and not _still_true(state, alert.kind, alert.detail, alert.at):
            alert.open = False


def _still_true(state: JourneyState, kind: AlertKind, d: dict[str, str], at: datetime) -> bool:
    if kind == AlertKind.APPOINTMENT_UNRESOLVED:
        return any(a.id == d.get("appointment_id") and a.upcoming for a in state.appointments)
    if kind == AlertKind.CHECK_NOT_BOOKED:
        return not check_booked(state, int(d.get("day", "0")))
    if kind == AlertKind.ENGRAFTMENT_OVERDUE:
        return not state.recorded(Milestone.ENGRAFTED)
    if kind == AlertKind.STAGE_OVERDUE:
        if state.stage.value != d.get("stage"):
            return False
        clock = state.case.policy.timekeeping.stage_clocks[int(d.get("clock", "0"))]
        start = clock_start(state, clock.starts_with)
        return start is not None and not clock_stopped(state, clock.ends_with, start)
    if kind == AlertKind.VISA_EXPIRING:
        return not returned_home(state)
    if kind == AlertKind.FOLLOW_UP_CALL_DUE:
        spoken = any(m.at >= at for m in state.recorded(Milestone.FOLLOW_UP_CHECK))
        called = any(a.kind.value == "follow_up_call" and a.status == AppointmentStatus.DONE and a.updated_at >= at
                     for a in state.appointments)
        return not (spoken or called)
    if kind == AlertKind.TYPING_RESULT_PENDING:
        return any(x.id == d.get("donor") and x.status != TypingStatus.RESULT_RECEIVED for x in state.donors)
    if kind == AlertKind.HANDOVER_ITEM_AWAITED:
        return any(h.status == HandoverStatus.AWAITED for h in state.handover.values())
    if kind == AlertKind.RECORDS_READY_FOR_REVIEW:
        return state.stage.value == "remote_review" and not state.recorded(Milestone.REVIEW_STARTED)
    return True
