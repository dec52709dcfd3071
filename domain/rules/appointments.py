"""Appointments a coordinator books, moves, cancels and marks done or missed.

The family hears of each (with a calendar invitation) and is reminded before it; the local team
hears of it only with consent (the notice rules see to that). A change raises the appointment's
sequence, so reminders and waiting messages of the earlier version are dropped, never sent."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from domain.appointments import KIND_RULES, Appointment, AppointmentKind, AppointmentStatus, Attendee
from domain.commands import (
    AppointmentOutcome,
    CancelAppointment,
    RecordAppointmentOutcome,
    RescheduleAppointment,
    ScheduleAppointment,
)
from domain.rules.effects import Refused, log, note, notify, refuse_if_inactive
from domain.rules.timekeeping import appointment_params, resolve_alerts
from domain.state import Audience, JourneyState, MessageEvent, MessageStatus, Notice



def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise Refused(f"unknown time zone '{name}' (an IANA name such as Asia/Shanghai)") from None


def _moment(starts_at: datetime, zone: str) -> datetime:
    """The venue's wall-clock time as an aware moment (an offset given with it is honoured)."""
    tz = _zone(zone)
    return starts_at.replace(tzinfo=tz) if starts_at.tzinfo is None else starts_at.astimezone(tz)


def _refuse_unless_timekeeping(state: JourneyState) -> None:
    if not state.timekeeping:
        raise Refused("this journey was started before appointments existed; it keeps its earlier behaviour")


def _find(state: JourneyState, appointment_id: str) -> Appointment:
    for a in state.appointments:
        if a.id == appointment_id:
            return a
    known = ", ".join(a.id for a in state.appointments) or "none"
    raise Refused(f"no appointment {appointment_id} on this journey (it has: {known})")


def _refuse_past(starts: datetime, now: datetime) -> None:
    if starts <= now:
        raise Refused("that time is in the past; give a time still to come (the venue's local time)")


def check_schedule(state: JourneyState, cmd: ScheduleAppointment, now: datetime) -> None:
    refuse_if_inactive(state)
    _refuse_unless_timekeeping(state)
    pathways, stages = KIND_RULES[cmd.kind]
    if state.pathway not in pathways:
        raise Refused(f"a {cmd.kind.value} appointment does not belong to the {state.pathway.value} pathway")
    if state.stage not in stages:
        allowed = ", ".join(sorted(s.value for s in stages))
        raise Refused(f"a {cmd.kind.value} appointment is not booked in stage {state.stage.value} (only in: {allowed})")
    if cmd.check_day is not None and cmd.kind != AppointmentKind.MONITORING_CHECK:
        raise Refused("check_day is given only for a monitoring_check appointment")
    if Attendee.LOCAL_TEAM in cmd.attendees and state.case.local_team is None:
        raise Refused("this case names no local treating team to attend")
    _refuse_past(_moment(cmd.starts_at, cmd.venue_timezone), now)


def apply_schedule(state: JourneyState, cmd: ScheduleAppointment, now: datetime) -> None:
    check_schedule(state, cmd, now)
    appointment = Appointment(
        id=f"A{len(state.appointments) + 1}",
        kind=cmd.kind,
        starts_at=_moment(cmd.starts_at, cmd.venue_timezone),
        venue_timezone=cmd.venue_timezone,
        place=cmd.place,
        attendees=list(dict.fromkeys(cmd.attendees)),
        check_day=cmd.check_day,
        booked_at=now,
        updated_at=now,
    )
    state.appointments.append(appointment)
    log(state, now, "appointment_scheduled", by=cmd.by, appointment=appointment.id, appointment_kind=appointment.kind.value)
    note(state, now, "appointment_scheduled", cmd.note, cmd.by)
    _announce(state, appointment, MessageEvent.APPOINTMENT_SCHEDULED, now)
    resolve_alerts(state)


def check_reschedule(state: JourneyState, cmd: RescheduleAppointment, now: datetime) -> None:
    refuse_if_inactive(state)
    _refuse_unless_timekeeping(state)
    a = _find(state, cmd.appointment_id)
    if not a.upcoming:
        raise Refused(f"appointment {a.id} is {a.status.value}; book a new one instead")
    _refuse_past(_moment(cmd.starts_at, cmd.venue_timezone or a.venue_timezone), now)


def apply_reschedule(state: JourneyState, cmd: RescheduleAppointment, now: datetime) -> None:
    check_reschedule(state, cmd, now)
    a = _find(state, cmd.appointment_id)
    _drop_waiting(state, a, "rescheduled")
    zone = cmd.venue_timezone or a.venue_timezone
    a.starts_at, a.venue_timezone = _moment(cmd.starts_at, zone), zone
    if cmd.place is not None:
        a.place = cmd.place
    a.status, a.sequence, a.updated_at = AppointmentStatus.RESCHEDULED, a.sequence + 1, now
    log(state, now, "appointment_rescheduled", by=cmd.by, appointment=a.id, sequence=str(a.sequence))
    note(state, now, "appointment_rescheduled", cmd.note, cmd.by)
    _announce(state, a, MessageEvent.APPOINTMENT_SCHEDULED, now)
    resolve_alerts(state)


def check_cancel(state: JourneyState, cmd: CancelAppointment) -> None:
    refuse_if_inactive(state, allow_paused=True)
    _refuse_unless_timekeeping(state)
    a = _find(state, cmd.appointment_id)
    if not a.upcoming:
        raise Refused(f"appointment {a.id} is already {a.status.value}")


def apply_cancel(state: JourneyState, cmd: CancelAppointment, now: datetime) -> None:
    check_cancel(state, cmd)
    a = _find(state, cmd.appointment_id)
    _drop_waiting(state, a, "cancelled")
    a.status, a.sequence, a.updated_at = AppointmentStatus.CANCELLED, a.sequence + 1, now
    log(state, now, "appointment_cancelled", by=cmd.by, appointment=a.id)
    note(state, now, "appointment_cancelled", cmd.note, cmd.by)
    if not state.paused:
        _announce(state, a, MessageEvent.APPOINTMENT_CANCELLED, now)
    resolve_alerts(state)


def check_outcome(state: JourneyState, cmd: RecordAppointmentOutcome, now: datetime) -> None:
    refuse_if_inactive(state, allow_paused=True)
    _refuse_unless_timekeeping(state)
    a = _find(state, cmd.appointment_id)
    if not a.upcoming:
        raise Refused(f"appointment {a.id} is already {a.status.value}")
    if a.starts_at > now:
        raise Refused(f"appointment {a.id} has not taken place yet; reschedule or cancel it instead")


def apply_outcome(state: JourneyState, cmd: RecordAppointmentOutcome, now: datetime) -> None:
    check_outcome(state, cmd, now)
    a = _find(state, cmd.appointment_id)
    _drop_waiting(state, a, f"marked {cmd.outcome.value}")
    a.status = AppointmentStatus.DONE if cmd.outcome == AppointmentOutcome.DONE else AppointmentStatus.MISSED
    a.updated_at = now
    log(state, now, f"appointment_{a.status.value}", by=cmd.by, appointment=a.id)
    note(state, now, f"appointment_{a.status.value}", cmd.note, cmd.by)
    resolve_alerts(state)


def _announce(state: JourneyState, a: Appointment, event: MessageEvent, now: datetime) -> None:
    params = appointment_params(a)
    if Attendee.FAMILY in a.attendees:
        notify(state, Notice(event=event, audience=Audience.FAMILY, params=params), now)
    notify(state, Notice(event=event, audience=Audience.LOCAL_TEAM, params=params), now)


def _drop_waiting(state: JourneyState, a: Appointment, why: str) -> None:
    """Messages about an earlier version that have not gone out yet are never sent."""
    for m in state.messages:
        if m.status == MessageStatus.SCHEDULED and m.params.get("appointment_id") == a.id:
            m.status, m.outcome = MessageStatus.SKIPPED, f"appointment {why}"
