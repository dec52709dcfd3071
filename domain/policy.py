"""Policies with sensible defaults, overridable per journey from the case file.

Durations are ``timedelta`` (JSON: ISO 8601 such as ``"P3D"`` or ``"PT20S"``), so the demo and
tests can run a month of reminders in seconds without a second code path.
"""

from __future__ import annotations

from datetime import time, timedelta

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, model_validator

from domain.sms_caps import SmsCaps
from domain.validation import at_intake


# The shortest chase step a case file may ask for (the demo and tests count in seconds; anything
# shorter only floods the journey's history with timers).
MIN_CHASE_STEP = timedelta(seconds=1)


class ChasePolicy(BaseModel):
    """How records are chased from whoever holds them."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    first_reminder_after: timedelta = timedelta(days=3)
    reminder_interval: timedelta = timedelta(days=4)
    # After this many unanswered reminders the next due reminder becomes an escalation.
    escalate_after_reminders: int = Field(default=3, ge=1, le=20)
    # Items still outstanding this long after being requested escalate regardless.
    records_deadline: timedelta = timedelta(days=21)

    @model_validator(mode="after")
    def _positive(self, info: ValidationInfo) -> "ChasePolicy":
        # The lower bound only at intake: a journey already running keeps loading its policy.
        strict = at_intake(info)
        for name in ("first_reminder_after", "reminder_interval", "records_deadline"):
            if getattr(self, name) <= timedelta(0):
                raise ValueError(f"{name} must be a positive duration")
            if strict and getattr(self, name) < MIN_CHASE_STEP:
                raise ValueError(f"{name} must be at least {int(MIN_CHASE_STEP.total_seconds())} second")
        return self


class BatchingPolicy(BaseModel):
    """Family messages that fall due close together go out as one message per recipient and
    channel: each waits ``window`` after it was planned for others to join it, then everything
    due within the window (and everything that waited through quiet hours) goes as one."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    window: timedelta = timedelta(minutes=3)

    @model_validator(mode="after")
    def _bounded(self) -> "BatchingPolicy":
        if not timedelta(0) <= self.window <= timedelta(hours=1):
            raise ValueError("window must be between PT0S and PT1H")
        return self


class QuietHours(BaseModel):
    """A daily window in the recipient's own time zone when nothing is sent (deferred)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    start: time = time(21, 0)
    end: time = time(8, 0)


class VisaType(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    code: str = Field(pattern=r"^[A-Z][A-Z0-9]{0,3}$")
    max_stay_days: int = Field(ge=1, le=3650)
    note: str = ""


DEFAULT_VISA_TYPES: tuple[VisaType, ...] = (
    VisaType(code="S2", max_stay_days=180, note="short private stay; caregivers"),
    VisaType(code="S1", max_stay_days=365, note="long stay, convertible to residence permit"),
    VisaType(code="L", max_stay_days=90, note="used by some facilitators"),
)


class TravelPolicy(BaseModel):
    """Visa types and stay lengths are data: facilitators and centres differ."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    visa_types: tuple[VisaType, ...] = DEFAULT_VISA_TYPES
    # Days from day 0 (transplant or infusion) the family is expected to stay near the centre.
    stay_after_day_zero_days: dict[str, int] = {"transplant": 100, "car_t": 60}
    # Before day 0 is known: days from arrival to day 0 (pre-treatment evaluation, conditioning).
    arrival_to_day_zero_days: int = Field(default=21, ge=0, le=365)
    # Warn when a visa ends less than this many days after the projected return.
    visa_margin_days: int = Field(default=14, ge=0, le=365)

    def visa_codes(self) -> list[str]:
        return [v.code for v in self.visa_types]


class StageClock(BaseModel):
    """How long part of a stage is expected to take. The clock starts when the stage is entered
    (``starts_with`` None) or when a milestone is recorded in it, and stops when one of
    ``ends_with`` is recorded or the stage moves on. Over time: one coordinator alert."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    stage: str
    starts_with: str | None = None
    ends_with: tuple[str, ...] = ()
    within: timedelta


DEFAULT_STAGE_CLOCKS: tuple[StageClock, ...] = (
    # A written review outcome within ~14 days of complete records ("within weeks").
    StageClock(stage="remote_review", starts_with="records_complete", ends_with=("review_outcome",), within=timedelta(days=14)),
    StageClock(stage="eligibility", ends_with=("eligibility_decided",), within=timedelta(days=14)),
    # A visa decision within ~30 days of the application; the family's arrival within ~30 days of the visa.
    StageClock(stage="visa_travel", starts_with="visa_applied", ends_with=("visa_granted", "visa_refused"), within=timedelta(days=30)),
    StageClock(stage="visa_travel", starts_with="visa_granted", within=timedelta(days=30)),
)


class TimekeepingPolicy(BaseModel):
    """The journey's clocks after the records: appointments, plans, stage clocks, visas, donor
    typing and the handover. Defaults from the domain; each overridable per journey, so tests
    and the demo can compress months into seconds."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # Appointments: reminders this long before (on that calendar day, at the local hour).
    appointment_reminders: tuple[timedelta, ...] = (timedelta(days=2), timedelta(days=1))
    reminder_local_time: time = time(10, 0)
    # Neither done nor missed this long after its start: the coordinator is asked.
    appointment_unresolved_after: timedelta = timedelta(days=1)
    # Monitoring plan from day 0, per pathway (days after day 0).
    monitoring_days: dict[str, tuple[int, ...]] = {"transplant": (7, 14, 21, 30, 60, 100), "car_t": (7, 14, 21, 28, 60)}
    # Ask the coordinator to book a planned check this long before it is due.
    book_check_ahead: timedelta = timedelta(days=3)
    # Engraftment expected by this many days after day 0 (transplant).
    engraftment_by_day: dict[str, int] = {"transplant": 42}
    # Follow-up: a check-in every interval, this many times after return (or after the advice
    # of a second opinion), then the journey completes by itself unless extended.
    follow_up_interval: timedelta = timedelta(days=30)
    follow_up_check_ins: dict[str, int] = {"transplant": 12, "car_t": 12, "second_opinion": 2}
    follow_up_needs_person: bool = True  # each check-in is also a call for the coordinator
    complete_after_last_check_in: timedelta = timedelta(days=14)
    stage_clocks: tuple[StageClock, ...] = DEFAULT_STAGE_CLOCKS
    # Visa watch: alert this many days before a visa ends while the family is expected in China.
    visa_warning_days: tuple[int, ...] = (30, 7)
    # Donor typing and the handover package: reminders to whoever holds the next step.
    typing_reminder_interval: timedelta = timedelta(days=7)
    handover_reminder_interval: timedelta = timedelta(days=5)

    @model_validator(mode="after")
    def _sane(self) -> "TimekeepingPolicy":
        floor = timedelta(seconds=1)
        named = {
            "appointment_unresolved_after": self.appointment_unresolved_after,
            "follow_up_interval": self.follow_up_interval,
            "complete_after_last_check_in": self.complete_after_last_check_in,
            "typing_reminder_interval": self.typing_reminder_interval,
            "handover_reminder_interval": self.handover_reminder_interval,
        }
        for name, value in named.items():
            if value < floor:
                raise ValueError(f"{name} must be at least one second")
        if any(r <= timedelta(0) for r in self.appointment_reminders):
            raise ValueError("appointment_reminders must be positive durations")
        if self.book_check_ahead < timedelta(0):
            raise ValueError("book_check_ahead must not be negative")
        return self


class JourneyPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    chase: ChasePolicy = ChasePolicy()
    travel: TravelPolicy = TravelPolicy()
    timekeeping: TimekeepingPolicy = TimekeepingPolicy()
    # Urgent coordinator alerts (escalations, delivery failures) may ignore quiet hours.
    urgent_alerts_bypass_quiet_hours: bool = True
    # Family SMS caps per guardian (US healthcare exemption practice: 1 a day, 3 a week).
    sms_caps: SmsCaps = SmsCaps()
    # One calm message instead of a burst.
    batching: BatchingPolicy = BatchingPolicy()
    # Continue-as-new once the history holds this many events (the server also suggests it).
    continue_as_new_after_events: int = Field(default=8_000, ge=50, le=40_000)
