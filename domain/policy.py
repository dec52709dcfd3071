"""Policies with sensible defaults, overridable per journey from the case file.

Durations are ``timedelta`` (JSON: ISO 8601 such as ``"P3D"`` or ``"PT20S"``), so the demo and
tests can run a month of reminders in seconds without a second code path.
"""

from __future__ import annotations

from datetime import time, timedelta

from pydantic import BaseModel, ConfigDict, Field, model_validator

from domain.sms_caps import SmsCaps


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
    def _positive(self) -> "ChasePolicy":
        for name in ("first_reminder_after", "reminder_interval", "records_deadline"):
            if getattr(self, name) <= timedelta(0):
                raise ValueError(f"{name} must be a positive duration")
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


class JourneyPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    chase: ChasePolicy = ChasePolicy()
    travel: TravelPolicy = TravelPolicy()
    # Urgent coordinator alerts (escalations, delivery failures) may ignore quiet hours.
    urgent_alerts_bypass_quiet_hours: bool = True
    # Family SMS caps per guardian (US healthcare exemption practice: 1 a day, 3 a week).
    sms_caps: SmsCaps = SmsCaps()
    # Continue-as-new once the history holds this many events (the server also suggests it).
    continue_as_new_after_events: int = Field(default=8_000, ge=50, le=40_000)
