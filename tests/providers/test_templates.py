"""Every message event renders in every language and kind, safely and within SMS limits."""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path
from typing import Any

import pytest

from domain.case_file import Channel
from domain.commands import Applicant
from domain.records import RecordType, RejectionReason
from domain.stages import Milestone, Stage
from domain.state import AlertKind, MessageEvent
from messaging.delivery_contract import DeliveryRequest, Rendered
from messaging.render import TEMPLATES_DIR, Renderer, TemplateProblem
from messaging.sms_segments import segments
from translations import catalogs
from translations.labels import NAMES, label

CASE = "WJ-2026-0042"
LINK_BASE = "https://portal.waypoint.example/case"
LINK = f"{LINK_BASE}/{CASE}"
HOSTILE = "<script>alert(1)</script>"
KINDS = ("txt", "html", "sms")
REQUIRED_LANGUAGES = {"en", "zh", "ru", "ar"}
BIDI_MARKS = "\u200e\u200f\u061c"

LABEL_ENUMS: dict[str, type] = {
    "stages": Stage,
    "milestones": Milestone,
    "records": RecordType,
    "rejection_reasons": RejectionReason,
    "alerts": AlertKind,
    "applicants": Applicant,
    "channels": Channel,
}

R = RecordType
# For each event: (variant name, params, record_types). The first variant carries every optional
# parameter, the last only the required ones.
VARIANTS: dict[MessageEvent, list[tuple[str, dict[str, Any], list[RecordType]]]] = {
    MessageEvent.RECORD_REQUEST: [
        ("family-via-rejected", {"via_family": True, "holder": "local_team", "rejection_reason": "illegible"},
         [R.PATHOLOGY, R.CYTOGENETICS_MOLECULAR, R.FLOW_CYTOMETRY_MRD]),
        ("to-local-team", {"via_family": False, "holder": "local_team"}, [R.TREATMENT_HISTORY, R.CSF_CYTOLOGY]),
        ("family-holds", {"via_family": False, "holder": "family"}, [R.PASSPORT_COPY]),
        ("no-items", {"via_family": False, "holder": "family"}, []),
    ],
    MessageEvent.RECORD_REMINDER: [
        ("to-local-team-rejected",
         {"via_family": False, "holder": "local_team", "reminder_number": 3, "rejection_reason": "needs_translation"},
         [R.BONE_MARROW, R.HLA_TYPING]),
        ("family-via", {"via_family": True, "holder": "local_team", "reminder_number": 1}, [R.IMAGING]),
        ("family-holds", {"via_family": False, "holder": "family", "reminder_number": 2}, []),
    ],
    MessageEvent.STAGE_CHANGE: [
        ("all", {"stage": "eligibility", "milestone": "review_outcome", "previous_stage": "remote_review"}, []),
        ("milestone", {"stage": "remote_review", "milestone": "records_complete"}, []),
        ("closed", {"stage": "closed", "previous_stage": "follow_up"}, []),
        ("minimal", {"stage": "treatment_stay"}, []),
    ],
    MessageEvent.APPOINTMENT: [
        ("admission", {"stage": "treatment_stay", "milestone": "admitted", "on_date": "2026-03-12"}, []),
        ("return", {"stage": "return_home", "milestone": "return_flight_booked", "on_date": "2026-11-30"}, []),
    ],
    MessageEvent.VISA_EXPIRY_WARNING: [
        ("caregiver", {"applicant": "caregiver", "visa_type": "S2", "expires_on": "2026-05-03",
                       "projected_return": "2026-05-20"}, []),
        ("patient", {"applicant": "patient", "visa_type": "M", "expires_on": "2026-08-01",
                     "projected_return": "2026-09-15"}, []),
    ],
    MessageEvent.LOCAL_TEAM_UPDATE: [
        ("all", {"stage": "treatment_stay", "milestone": "discharged", "on_date": "2026-04-02",
                 "previous_stage": "pre_treatment"}, []),
        ("minimal", {"stage": "monitoring"}, []),
    ],
    MessageEvent.COORDINATOR_ALERT: [
        ("all", {"alert": "delivery_failed", "record_types": ["pathology"], "waived": "2", "applicant": "patient",
                 "visa_type": "S2", "expires_on": "2026-05-03", "projected_return": "2026-05-20",
                 "failed_event": "appointment", "failed_recipient": "guardian-1", "failed_channel": "sms",
                 "failure": "provider rejected the number"}, [R.PATHOLOGY, R.ECHO_ECG]),
        ("overdue", {"alert": "records_overdue", "record_types": ["imaging"]}, [R.IMAGING]),
        ("visa", {"alert": "visa_expires_too_soon", "applicant": "caregiver", "visa_type": "S2",
                  "expires_on": "2026-05-03", "projected_return": "2026-05-20"}, []),
        ("ready", {"alert": "records_ready_for_review", "waived": "0"}, []),
        ("minimal", {"alert": "records_deadline_passed"}, []),
    ],
    MessageEvent.OPT_OUT_CONFIRMATION: [
        ("sms", {"channel": "sms"}, []),
        ("email", {"channel": "email"}, []),
    ],
    MessageEvent.APPOINTMENT_SCHEDULED: [
        ("booked", {"appointment_id": "A1", "kind": "monitoring_check", "starts_at": "2027-03-04T09:30:00+08:00", "venue_timezone": "Asia/Shanghai", "place": "GZ-HOSP-3", "sequence": 0, "status": "scheduled", "check_day": 30, "updated_at": "2027-02-20T10:00:00+00:00"}, []),
        ("changed-no-place", {**{"appointment_id": "A1", "kind": "monitoring_check", "starts_at": "2027-03-04T09:30:00+08:00", "venue_timezone": "Asia/Shanghai", "place": "GZ-HOSP-3", "sequence": 0, "status": "scheduled", "check_day": 30, "updated_at": "2027-02-20T10:00:00+00:00"}, "sequence": 2, "place": None, "status": "rescheduled"}, []),
    ],
    MessageEvent.APPOINTMENT_REMINDER: [("reminder", {"appointment_id": "A1", "kind": "monitoring_check", "starts_at": "2027-03-04T09:30:00+08:00", "venue_timezone": "Asia/Shanghai", "place": "GZ-HOSP-3", "sequence": 0, "status": "scheduled", "check_day": 30, "updated_at": "2027-02-20T10:00:00+00:00"}, [])],
    MessageEvent.APPOINTMENT_CANCELLED: [("cancelled", {**{"appointment_id": "A1", "kind": "monitoring_check", "starts_at": "2027-03-04T09:30:00+08:00", "venue_timezone": "Asia/Shanghai", "place": "GZ-HOSP-3", "sequence": 0, "status": "scheduled", "check_day": 30, "updated_at": "2027-02-20T10:00:00+00:00"}, "sequence": 1, "status": "cancelled"}, [])],
    MessageEvent.FOLLOW_UP_CHECK_IN: [("third", {"check_in": 3, "of": 12, "pathway": "transplant"}, [])],
    MessageEvent.JOURNEY_COMPLETED: [("done", {"pathway": "car_t"}, [])],
    MessageEvent.DONOR_TYPING_REMINDER: [
        ("sibling-via", {"relation": "sibling", "number": 2, "status": "kit_sent", "via_family": True, "reminder_number": 1}, []),
        ("mother", {"relation": "mother", "number": None, "status": "sample_requested", "via_family": False, "reminder_number": 2}, []),
    ],
    MessageEvent.HANDOVER_PACKAGE: [("two", {"items": ["discharge_summary", "medication_list"]}, [])],
    MessageEvent.HANDOVER_REMINDER: [("one", {"items": ["vaccination_schedule"]}, [])],
    MessageEvent.FAMILY_LINK: [
        ("minimal", {}, []),
    ],
    MessageEvent.REPLY_ACKNOWLEDGEMENT: [
        ("plain", {}, []),
    ],
}

# Parameters without which an e-mail cannot be written (dropping one must fail loudly).
REQUIRED: dict[MessageEvent, list[str]] = {
    MessageEvent.RECORD_REQUEST: [],  # the recipient decides the wording; the items come from the journey
    MessageEvent.RECORD_REMINDER: [],
    MessageEvent.STAGE_CHANGE: ["stage"],
    MessageEvent.APPOINTMENT: ["stage", "milestone", "on_date"],
    MessageEvent.VISA_EXPIRY_WARNING: ["applicant", "visa_type", "expires_on", "projected_return"],
    MessageEvent.LOCAL_TEAM_UPDATE: ["stage"],
    MessageEvent.COORDINATOR_ALERT: ["alert"],
    MessageEvent.OPT_OUT_CONFIRMATION: ["channel"],
    MessageEvent.APPOINTMENT_SCHEDULED: ["kind", "starts_at", "sequence"],
    MessageEvent.APPOINTMENT_REMINDER: ["kind", "starts_at"],
    MessageEvent.APPOINTMENT_CANCELLED: ["kind", "starts_at"],
    MessageEvent.FOLLOW_UP_CHECK_IN: ["check_in", "of"],
    MessageEvent.JOURNEY_COMPLETED: [],
    MessageEvent.DONOR_TYPING_REMINDER: ["relation", "status"],
    MessageEvent.HANDOVER_PACKAGE: ["items"],
    MessageEvent.HANDOVER_REMINDER: ["items"],
    MessageEvent.FAMILY_LINK: [],
    MessageEvent.REPLY_ACKNOWLEDGEMENT: [],
}

RENDERER = Renderer(case_link_base=LINK_BASE)
LANGUAGES = RENDERER.languages()


def request(
    event: MessageEvent,
    channel: Channel,
    language: str,
    params: dict[str, Any],
    record_types: list[RecordType] | None = None,
    to_name: str | None = "Amina Haddad",
) -> DeliveryRequest:
    return DeliveryRequest(
        key=f"{CASE}:{event.value}:1:guardian-1:{channel.value}",
        case_reference=CASE,
        event=event,
        channel=channel,
        recipient="guardian-1",
        to_address="+8613800000000" if channel == Channel.SMS else "family@example.org",
        to_name=to_name,
        language=language,
        timezone="Asia/Shanghai",
        params=params,
        record_types=record_types or [],
    )


def all_cases(*events: MessageEvent) -> list[Any]:
    cases = []
    for language in LANGUAGES:
        for event, variants in VARIANTS.items():
            if events and event not in events:
                continue
            for name, params, record_types in variants:
                cases.append(pytest.param(language, event, params, record_types, id=f"{language}-{event.value}-{name}"))
    return cases


def clinical_labels(language: str) -> list[str]:
    """Label text that must never appear in an SMS (records, stages, milestones, reasons)."""
    return [
        label(key, code, language)
        for key in ("records", "stages", "milestones", "rejection_reasons")
        for code in NAMES[key]
    ]


# ---------------------------------------------------------------------------------------------
# Files and labels


def test_the_working_languages_are_present() -> None:
    assert REQUIRED_LANGUAGES <= set(LANGUAGES)


def test_every_variant_table_covers_every_event() -> None:
    assert set(VARIANTS) == set(MessageEvent)
    assert set(REQUIRED) == set(MessageEvent)


def test_every_event_has_every_kind_of_template() -> None:
    missing = [
        f"{event.value}.{kind}.j2"
        for event in MessageEvent
        for kind in KINDS
        if not (TEMPLATES_DIR / f"{event.value}.{kind}.j2").is_file()
    ]
    assert not missing, f"templates/ lacks {missing}"


@pytest.mark.parametrize("key", sorted(LABEL_ENUMS))
def test_every_enum_value_has_a_name(key: str) -> None:
    values = {member.value for member in LABEL_ENUMS[key]}
    missing = values - set(NAMES[key])
    assert not missing, f"translations/labels.py {key} lacks {sorted(missing)}"
    unknown = set(NAMES[key]) - values
    assert not unknown, f"translations/labels.py {key} has unknown codes {sorted(unknown)}"
    blank = [code for code, text in NAMES[key].items() if not text.strip()]
    assert not blank, f"translations/labels.py {key} has empty names for {blank}"


# ---------------------------------------------------------------------------------------------
# Rendering every event, kind and language


@pytest.mark.parametrize(("language", "event", "params", "record_types"), all_cases())
def test_email_renders(language: str, event: MessageEvent, params: dict, record_types: list) -> None:
    out = RENDERER.render(request(event, Channel.EMAIL, language, params, record_types, to_name=HOSTILE))
    assert out.language == language and not out.fell_back

    assert out.subject and out.subject.strip()
    assert "\n" not in out.subject
    assert out.text.strip()
    assert CASE in out.text and LINK in out.text
    assert "RenderingUndefined" not in out.text and "None" not in out.text

    assert out.html and out.html.strip()
    assert CASE in out.html and LINK in out.html
    assert HOSTILE not in out.html and "<script" not in out.html
    if event not in (MessageEvent.COORDINATOR_ALERT,):  # the alert greets the team, not a person
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in out.html
    expected_dir = "rtl" if language == "ar" else "ltr"
    assert f'<html lang="{language}" dir="{expected_dir}">' in out.html
    assert f'<body dir="{expected_dir}"' in out.html

    # calm tone: no exclamation marks anywhere
    for text in (out.subject, out.text, out.html.replace("<!DOCTYPE", "")):
        assert "!" not in text and "！" not in text


@pytest.mark.parametrize(
    ("language", "event", "params", "record_types"),
    all_cases(MessageEvent.RECORD_REQUEST, MessageEvent.RECORD_REMINDER, MessageEvent.COORDINATOR_ALERT),
)
def test_email_lists_the_requested_records(language: str, event: MessageEvent, params: dict, record_types: list) -> None:
    out = RENDERER.render(request(event, Channel.EMAIL, language, params, record_types))
    for record_type in record_types:
        assert label("records", record_type, language) in out.text
        assert label("records", record_type, language) in (out.html or "")


@pytest.mark.parametrize(("language", "event", "params", "record_types"), all_cases())
def test_sms_is_short_and_discreet(language: str, event: MessageEvent, params: dict, record_types: list) -> None:
    out = RENDERER.render(request(event, Channel.SMS, language, params, record_types))
    assert out.language == language and not out.fell_back
    assert out.html is None
    assert out.text.strip()
    assert CASE in out.text and LINK in out.text
    # the sender is named first (after a right-to-left mark, where the language needs one)
    assert out.text.lstrip(BIDI_MARKS).startswith(RENDERER.sender_name)
    assert segments(out.text) <= 2, f"{segments(out.text)} segments: {out.text!r}"
    lowered = out.text.casefold()
    leaks = [label for label in clinical_labels(language) if label.casefold() in lowered]
    assert not leaks, f"SMS shows {leaks}: {out.text!r}"
    assert "!" not in out.text and "！" not in out.text


@pytest.mark.parametrize("language", LANGUAGES)
def test_email_without_a_recipient_name(language: str) -> None:
    for event, variants in VARIANTS.items():
        _, params, record_types = variants[0]
        out = RENDERER.render(request(event, Channel.EMAIL, language, params, record_types, to_name=None))
        assert "None" not in out.text and "None" not in (out.html or "")


@pytest.mark.parametrize("language", LANGUAGES)
def test_arabic_html_is_right_to_left(language: str) -> None:
    _, params, record_types = VARIANTS[MessageEvent.STAGE_CHANGE][0]
    out = RENDERER.render(request(MessageEvent.STAGE_CHANGE, Channel.EMAIL, language, params, record_types))
    assert out.html is not None
    if language == "ar":
        assert '<html lang="ar" dir="rtl">' in out.html
        assert '<body dir="rtl"' in out.html
    else:
        assert 'dir="rtl"' not in out.html


# ---------------------------------------------------------------------------------------------
# Errors and language choice


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("event", list(MessageEvent))
def test_a_missing_required_variable_is_an_error(language: str, event: MessageEvent) -> None:
    name, params, record_types = VARIANTS[event][0]
    for missing in REQUIRED[event]:
        partial = {k: v for k, v in params.items() if k != missing}
        with pytest.raises(TemplateProblem):
            RENDERER.render(request(event, Channel.EMAIL, language, partial, record_types))


@pytest.mark.parametrize("language", LANGUAGES)
def test_an_unknown_code_is_an_error_not_a_blank(language: str) -> None:
    with pytest.raises(TemplateProblem):
        RENDERER.render(request(MessageEvent.STAGE_CHANGE, Channel.EMAIL, language, {"stage": "no_such_stage"}))


def test_unknown_language_falls_back_to_english_and_says_so(caplog: pytest.LogCaptureFixture) -> None:
    _, params, record_types = VARIANTS[MessageEvent.RECORD_REQUEST][0]
    with caplog.at_level(logging.WARNING, logger="translations.catalogs"):
        out = RENDERER.render(request(MessageEvent.RECORD_REQUEST, Channel.EMAIL, "fr", params, record_types))
    assert isinstance(out, Rendered)
    assert out.language == "en" and out.fell_back
    assert CASE in out.text and out.subject
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING and r.name == "translations.catalogs"]
    assert warnings and "fr" in warnings[0].getMessage()


def test_script_subtag_resolves_to_its_language_without_fallback(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="messaging.render"):
        out = RENDERER.render(request(MessageEvent.STAGE_CHANGE, Channel.SMS, "zh-Hans", {"stage": "monitoring"}))
    assert out.language == "zh" and not out.fell_back
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


def test_adding_a_language_is_adding_its_catalogs(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    renderer = Renderer(case_link_base=LINK_BASE, locale_dir=tmp_path)
    assert renderer.languages() == ["en"]

    (tmp_path / "notes").mkdir()  # a folder without catalogs is not a language
    target = tmp_path / "kk" / "LC_MESSAGES"
    target.mkdir(parents=True)
    for domain in ("messages", "labels"):  # a Kazakh catalog started from the Russian one
        shutil.copy(catalogs.LOCALE_DIR / "ru" / "LC_MESSAGES" / f"{domain}.po", target / f"{domain}.po")
    assert renderer.languages() == ["en", "kk"]

    with caplog.at_level(logging.WARNING, logger="translations.catalogs"):
        out = renderer.render(request(MessageEvent.STAGE_CHANGE, Channel.EMAIL, "kk", {"stage": "monitoring"}))
    assert out.language == "kk" and not out.fell_back
    assert "Наблюдение после лечения" in out.text
    assert not [r for r in caplog.records if "lacks" in r.getMessage()]  # only "compiled in memory"
