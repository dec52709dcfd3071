"""Appointments: a kind, a start in the venue's own time zone, an optional place reference, who
attends, and a status. Each has a stable id (``A1``, ``A2``...) and a sequence raised on every
change, so calendar invitations update in place and nothing planned for an earlier version
(a reminder, a confirmation waiting for quiet hours to end) survives the change."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict

from domain.stages import Pathway, Stage

ANY_PATHWAY = frozenset(Pathway)
TREATMENT = frozenset({Pathway.TRANSPLANT, Pathway.CAR_T})


class AppointmentKind(StrEnum):
    PRE_TREATMENT_EVALUATION = "pre_treatment_evaluation"
    ADMISSION = "admission"
    DAY_ZERO = "day_zero"
    MONITORING_CHECK = "monitoring_check"
    RETURN_FLIGHT = "return_flight"
    FOLLOW_UP_CALL = "follow_up_call"
    VIDEO_CONSULTATION = "video_consultation"


class AppointmentStatus(StrEnum):
    SCHEDULED = "scheduled"
    RESCHEDULED = "rescheduled"
    CANCELLED = "cancelled"
    DONE = "done"
    MISSED = "missed"

    @property
    def upcoming(self) -> bool:
        return self in (AppointmentStatus.SCHEDULED, AppointmentStatus.RESCHEDULED)


class Attendee(StrEnum):
    FAMILY = "family"
    LOCAL_TEAM = "local_team"
    COORDINATOR = "coordinator"


# Which kinds belong to which pathways and stages (a day +100 check is often done at home, with
# the local team: monitoring checks stay possible after the family has returned).
KIND_RULES: dict[AppointmentKind, tuple[frozenset[Pathway], frozenset[Stage]]] = {
    AppointmentKind.PRE_TREATMENT_EVALUATION: (TREATMENT, frozenset({Stage.VISA_TRAVEL, Stage.PRE_TREATMENT})),
    AppointmentKind.ADMISSION: (TREATMENT, frozenset({Stage.PRE_TREATMENT, Stage.TREATMENT_STAY})),
    AppointmentKind.DAY_ZERO: (TREATMENT, frozenset({Stage.PRE_TREATMENT, Stage.TREATMENT_STAY})),
    AppointmentKind.MONITORING_CHECK: (
        TREATMENT,
        frozenset({Stage.TREATMENT_STAY, Stage.MONITORING, Stage.RETURN_HOME, Stage.FOLLOW_UP}),
    ),
    AppointmentKind.RETURN_FLIGHT: (TREATMENT, frozenset({Stage.MONITORING, Stage.RETURN_HOME})),
    AppointmentKind.FOLLOW_UP_CALL: (ANY_PATHWAY, frozenset({Stage.REMOTE_REVIEW, Stage.RETURN_HOME, Stage.FOLLOW_UP})),
    AppointmentKind.VIDEO_CONSULTATION: (ANY_PATHWAY, frozenset(Stage) - {Stage.CLOSED}),
}


class Appointment(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str  # A1, A2, ... (stable: the calendar UID is built from it)
    kind: AppointmentKind
    starts_at: datetime  # an aware moment; shown in each recipient's own zone
    venue_timezone: str  # the venue's IANA zone (a hospital in China: Asia/Shanghai)
    place: str | None = None  # a reference (e.g. GZ-HOSP-3), never free text about the child
    attendees: list[Attendee] = [Attendee.FAMILY]
    check_day: int | None = None  # the day +N of the monitoring plan this appointment serves
    status: AppointmentStatus = AppointmentStatus.SCHEDULED
    sequence: int = 0  # raised on every change (the calendar's SEQUENCE)
    booked_at: datetime
    updated_at: datetime

    @property
    def upcoming(self) -> bool:
        return self.status.upcoming


def local_moment(on: date, at: time, zone: str) -> datetime:
    """``at`` o'clock on ``on`` in ``zone``, as an aware moment."""
    return datetime.combine(on, at, tzinfo=ZoneInfo(zone))


def reminder_times(appointment: Appointment, recipient_zone: str, before: tuple[timedelta, ...], at: time) -> list[datetime]:
    """When a recipient is reminded: on the calendar day ``before`` the appointment's day (in the
    recipient's own zone), at the local hour ``at``; never after the appointment has begun.
    Policies given in hours or seconds (tests, the demo) are taken as they are."""
    start_local = appointment.starts_at.astimezone(ZoneInfo(recipient_zone))
    times = []
    for gap in before:
        if gap >= timedelta(days=1) and gap % timedelta(days=1) == timedelta(0):
            moment = local_moment(start_local.date() - gap, at, recipient_zone)
        else:
            moment = appointment.starts_at - gap
        if moment < appointment.starts_at:
            times.append(moment)
    return times
