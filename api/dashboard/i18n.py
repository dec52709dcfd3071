"""The dashboard's words: the ``dashboard`` gettext catalog for its own words, the shared ``labels``
catalog for the names of codes (a stage has one name everywhere), and dates in the coordinator's
time zone. Templates say ``_("Today")``; words chosen at run time (a reason, a confirmation) are
looked up by key in ``MESSAGES``. Adding a language is adding its catalogs
(``locale/<lang>/LC_MESSAGES/dashboard.po`` and ``labels.po``; see ``translations.catalogs``).
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale
from babel.dates import format_datetime

from translations import catalogs
from translations.labels import label as name_of

DOMAIN = "dashboard"


def N_(message: str) -> str:  # noqa: N802 - gettext's name for "mark for extraction"
    return message


# Words chosen at run time, by key (a Today reason's code, a done/error message's key).
MESSAGES: dict[str, str] = {
    "bad_login": N_("Wrong coordinator id or password."),
    "locked": N_("Too many failed sign-ins. Wait a few minutes, then try again."),
    "not_yours": N_("This journey is assigned to another coordinator's team."),
    "done_reassign": N_("Journey reassigned."),
    "busy": N_("This journey is busy with other changes. Try again in a moment."),
    "csrf": N_("This form has expired. Please try again."),
    "unavailable": N_("The journey service did not answer. Try again shortly."),
    "not_found": N_("No journey with that case reference."),
    "done_received": N_("Record marked received."),
    "done_revoke-links": N_("The family's links are revoked; their next message brings a new one."),
    "done_review-record": N_("Record decision saved."),
    "done_apply-milestone": N_("Milestone recorded."),
    "done_advance-stage": N_("Stage changed."),
    "done_pause": N_("Journey paused."),
    "done_resume": N_("Journey resumed."),
    "done_close": N_("Journey closed. Nothing more will be sent."),
    "done_set-consent": N_("Consent saved."),
    "r_escalated": N_("escalated"),
    "r_overdue": N_("records overdue"),
    "r_deadline": N_("records due this week"),
    "r_delivery": N_("a message could not be delivered"),
    "r_visa": N_("a visa expires too soon"),
    "r_ready": N_("records ready for review"),
    "r_paused": N_("paused"),
    "r_appointment_unresolved": N_("an appointment to mark done or missed"),
    "r_check_not_booked": N_("a planned check to book"),
    "r_engraftment_overdue": N_("engraftment not recorded in its window"),
    "r_stage_overdue": N_("stage taking longer than expected"),
    "r_visa_expiring": N_("a visa ends soon"),
    "r_follow_up_call_due": N_("a follow-up call is due"),
    "r_typing_result_pending": N_("a donor typing result is pending"),
    "r_handover_item_awaited": N_("handover documents awaited"),
    "r_appointment_soon": N_("an appointment within two days"),
    "done_schedule-appointment": N_("Appointment booked; the family is told, with a calendar invitation."),
    "done_reschedule-appointment": N_("Appointment moved; the family is told and the invitation updated."),
    "done_cancel-appointment": N_("Appointment cancelled; the family is told."),
    "done_record-appointment-outcome": N_("Appointment marked."),
    "r_reply": N_("the family wrote to us"),
    "done_mark-reply-handled": N_("Reply marked handled."),
}


def languages() -> dict[str, str]:
    """The dashboard's languages (those with a catalog), each named in itself."""
    return {code: Locale.parse(code).get_display_name(code) or code for code in catalogs.languages(DOMAIN)}


LANGUAGES = languages()


class Words:
    """One coordinator's language and time zone, for one page."""

    def __init__(self, lang: str, timezone: str = "UTC") -> None:
        self.translations, self.lang, _ = catalogs.translations(lang if lang in LANGUAGES else "en", DOMAIN)
        self.html_lang = "zh-Hans" if self.lang == "zh" else self.lang
        self.locale = Locale.parse(self.lang)
        try:
            self.tz = ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            self.tz = ZoneInfo("UTC")

    def word(self, key: str) -> str:
        """The words for a key (a KeyError for a key with none: a typo is a defect, not a code
        shown to a coordinator)."""
        return self.translations.gettext(MESSAGES[key])

    def label(self, group: str, code: object) -> str:
        try:
            return name_of(group, code, self.lang)
        except KeyError:
            return str(getattr(code, "value", code)).replace("_", " ")

    def when(self, dt: datetime | None) -> str:
        """A moment in the coordinator's time zone, with the zone named."""
        if dt is None:
            return "–"
        local = format_datetime(dt, "yyyy-MM-dd HH:mm", tzinfo=self.tz, locale=self.locale)
        return f"{local} ({self.tz.key})"

    def days_since(self, dt: datetime | None, now: datetime | None = None) -> int:
        """Whole days since ``dt`` (how long a stage has lasted)."""
        if dt is None:
            return 0
        return max(0, ((now or datetime.now(dt.tzinfo)) - dt).days)

    def day(self, dt: datetime | None) -> str:
        """A date in the coordinator's time zone."""
        return dt.astimezone(self.tz).strftime("%Y-%m-%d") if dt else "–"
