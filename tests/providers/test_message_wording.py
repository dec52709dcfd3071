"""What a family or a local doctor actually reads: the holder named per item, the team greeted as
a team, a remote-only review not spoken of as care in China, and every SMS within two segments
with the longest case reference and link the configuration allows."""

from __future__ import annotations

from typing import Any

import pytest

from domain.case_file import LOCAL_TEAM_ID, Channel
from domain.records import RecordType
from domain.state import MessageEvent
from messaging.delivery_contract import DeliveryRequest
from messaging.render import Renderer
from messaging.sms_segments import segments
from service.config import MAX_CASE_LINK_BASE_LENGTH, MAX_SENDER_NAME_LENGTH
from tests.providers.test_templates import VARIANTS

LONGEST_REFERENCE = "WJPX-2026-123456"  # CASE_REFERENCE_PATTERN at its longest
LONGEST_LINK_BASE = ("https://portal.waypoint-journeys.example.org/" + "c" * 200)[:MAX_CASE_LINK_BASE_LENGTH]
LONGEST_SENDER = ("Waypoint Journeys Care Team" + "x" * 40)[:MAX_SENDER_NAME_LENGTH]
TEAM_NAME = "Paediatric Haematology, City Children's Hospital"
LANGUAGES = ("en", "zh", "ru", "ar")


def request(event: MessageEvent, channel: Channel, language: str, params: dict[str, Any],
            record_types: list[RecordType], *, recipient: str = "guardian-1", to_name: str | None = "Aigerim",
            reference: str = "WJ-2026-0042") -> DeliveryRequest:
    return DeliveryRequest(
        key=f"{reference}:{event.value}:1:{recipient}:{channel.value}", case_reference=reference, event=event,
        channel=channel, recipient=recipient,
        to_address="+77012345678" if channel == Channel.SMS else "someone@example.kz",
        to_name=to_name, language=language, timezone="Asia/Almaty", params=params, record_types=record_types,
    )


def sms_cases() -> list[Any]:
    return [
        pytest.param(language, event, params, record_types, id=f"{language}-{event.value}-{name}")
        for language in LANGUAGES
        for event, variants in VARIANTS.items()
        for name, params, record_types in variants
    ]


@pytest.mark.parametrize(("language", "event", "params", "record_types"), sms_cases())
def test_every_sms_fits_two_segments_with_the_longest_reference_and_link(language, event, params, record_types):
    renderer = Renderer(case_link_base=LONGEST_LINK_BASE, sender_name=LONGEST_SENDER)
    out = renderer.render(request(event, Channel.SMS, language, params, record_types, reference=LONGEST_REFERENCE))
    assert LONGEST_REFERENCE in out.text and f"{LONGEST_LINK_BASE}/{LONGEST_REFERENCE}" in out.text
    assert segments(out.text) <= 2, f"{segments(out.text)} segments: {out.text!r}"


# Finding 1: a request mixing items the family holds with items the local team holds (no consent
# yet) must say, per item, who holds it.
MIXED = {"via_family": True, "holder": "family", "held_by_team": ["pathology", "bone_marrow"]}
MIXED_TYPES = [RecordType.BLOOD_COUNTS, RecordType.PATHOLOGY, RecordType.BONE_MARROW, RecordType.PASSPORT_COPY]


@pytest.mark.parametrize("event", [MessageEvent.RECORD_REQUEST, MessageEvent.RECORD_REMINDER])
def test_the_holder_is_named_per_item_in_english(event):
    params = dict(MIXED, reminder_number=1)
    out = Renderer().render(request(event, Channel.EMAIL, "en", params, MIXED_TYPES))
    team_sentence = out.text.index("treating team at home")
    assert out.text.index("Recent blood counts") < team_sentence
    assert out.text.index("Passport copy") < team_sentence
    assert out.text.index("Pathology report") > team_sentence
    assert out.text.index("Bone marrow report") > team_sentence


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("event", [MessageEvent.RECORD_REQUEST, MessageEvent.RECORD_REMINDER])
def test_the_family_list_and_the_team_list_are_apart_in_every_language(language, event):
    renderer = Renderer()
    params = dict(MIXED, reminder_number=1)
    out = renderer.render(request(event, Channel.EMAIL, language, params, MIXED_TYPES))
    family_only = renderer.render(request(event, Channel.EMAIL, language, {"via_family": False, "holder": "family",
                                                                           "reminder_number": 1},
                                          [RecordType.BLOOD_COUNTS, RecordType.PASSPORT_COPY]))
    team_only = renderer.render(request(event, Channel.EMAIL, language, {"via_family": True, "holder": "local_team",
                                                                         "reminder_number": 1},
                                        [RecordType.PATHOLOGY, RecordType.BONE_MARROW]))
    # Both the family's own sentence and the "ask your doctors" sentence are there, each
    # followed by its own items only.
    family_intro = _intro(family_only.text)
    team_intro = _intro(team_only.text)
    assert family_intro in out.text and team_intro in out.text
    start_family, start_team = out.text.index(family_intro), out.text.index(team_intro)
    blood = _item(renderer, language, out.text, "blood_counts")
    pathology = _item(renderer, language, out.text, "pathology")
    assert (start_family < blood < start_team < pathology) or (start_team < pathology < start_family < blood)


def _intro(text: str) -> str:
    """The line that introduces the list (the one before the first '- ' item)."""
    lines = text.splitlines()
    first_item = next(i for i, line in enumerate(lines) if line.startswith("- "))
    return next(line for line in reversed(lines[:first_item]) if line.strip())


def _item(renderer: Renderer, language: str, text: str, code: str) -> int:
    from translations.labels import label
    return text.index(f"- {label('records', code, language)}")


# Finding 6: the local team is greeted as colleagues, not by the department's name as a person.
@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(("event", "params", "record_types"), [
    (MessageEvent.LOCAL_TEAM_UPDATE, {"stage": "visa_travel", "previous_stage": "eligibility"}, []),
    (MessageEvent.RECORD_REQUEST, {"via_family": False, "holder": "local_team"}, [RecordType.PATHOLOGY]),
    (MessageEvent.RECORD_REMINDER, {"via_family": False, "holder": "local_team", "reminder_number": 2},
     [RecordType.PATHOLOGY]),
])
def test_the_local_team_is_greeted_as_colleagues(language, event, params, record_types):
    out = Renderer().render(request(event, Channel.EMAIL, language, params, record_types,
                                    recipient=LOCAL_TEAM_ID, to_name=TEAM_NAME))
    greeting = out.text.splitlines()[0]
    assert TEAM_NAME not in greeting, greeting
    family_greeting = Renderer().render(request(MessageEvent.STAGE_CHANGE, Channel.EMAIL, language,
                                                {"stage": "eligibility"}, [], to_name=None)).text.splitlines()[0]
    assert greeting != family_greeting


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_remote_review_is_not_called_care_in_china(language):
    renderer = Renderer()
    remote = renderer.render(request(MessageEvent.LOCAL_TEAM_UPDATE, Channel.EMAIL, language,
                                     {"stage": "follow_up", "previous_stage": "remote_review"}, [],
                                     recipient=LOCAL_TEAM_ID, to_name=TEAM_NAME))
    in_china = renderer.render(request(MessageEvent.LOCAL_TEAM_UPDATE, Channel.EMAIL, language,
                                       {"stage": "treatment_stay", "previous_stage": "pre_treatment"}, [],
                                       recipient=LOCAL_TEAM_ID, to_name=TEAM_NAME))
    # The opening sentence differs: the remote review is not described as treatment in China.
    assert remote.text.splitlines()[2] != in_china.text.splitlines()[2]
    assert "care in China" not in remote.text


@pytest.mark.parametrize(("name", "limit"), [("WAYPOINT_CASE_LINK_BASE", MAX_CASE_LINK_BASE_LENGTH),
                                            ("WAYPOINT_SENDER_NAME", MAX_SENDER_NAME_LENGTH)])
def test_settings_refuse_what_would_not_fit_an_sms(name, limit):
    from service.config import Settings

    value = "https://" + "x" * limit if name == "WAYPOINT_CASE_LINK_BASE" else "W" * (limit + 1)
    with pytest.raises(ValueError, match=name):
        Settings.from_env({name: value})
    Settings.from_env({name: value[: limit]})  # at the limit: accepted


def test_an_sms_that_cannot_fit_even_short_is_refused_at_render_time():
    from messaging.render import SmsTooLong

    renderer = Renderer(case_link_base="https://portal.example/" + "c" * 300)
    with pytest.raises(SmsTooLong):
        renderer.render(request(MessageEvent.STAGE_CHANGE, Channel.SMS, "ru", {"stage": "eligibility"}, []))


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_merged_message_fits_two_segments_and_says_each_part_by_email(language):
    from messaging.delivery_contract import MessagePart

    renderer = Renderer(case_link_base=LONGEST_LINK_BASE, sender_name=LONGEST_SENDER)
    parts = [
        MessagePart(event=MessageEvent.RECORD_REQUEST, params={"via_family": True, "holder": "family",
                                                                "held_by_team": ["pathology"]},
                    record_types=[RecordType.BLOOD_COUNTS, RecordType.PATHOLOGY]),
        MessagePart(event=MessageEvent.STAGE_CHANGE, params={"stage": "remote_review", "milestone": "review_started"}),
        MessagePart(event=MessageEvent.APPOINTMENT, params={"stage": "treatment_stay", "milestone": "admitted",
                                                            "on_date": "2026-03-12"}),
    ]
    sms = request(MessageEvent.RECORD_REQUEST, Channel.SMS, language, {}, [], reference=LONGEST_REFERENCE)
    out = renderer.render(sms.model_copy(update={"parts": parts}))
    assert segments(out.text) <= 2 and LONGEST_REFERENCE in out.text, out.text
    email = renderer.render(sms.model_copy(update={"parts": parts, "channel": Channel.EMAIL}))
    from translations.labels import label
    # Every part is said, in order.
    positions = [email.text.index(label("records", "blood_counts", language)),
                 email.text.index(label("milestones", "review_started", language)),
                 email.text.index(label("milestones", "admitted", language))]
    assert positions == sorted(positions)
    assert email.html and all(label("milestones", m, language) in email.html for m in ("review_started", "admitted"))
