"""Hostile and broken input, generated: wrong types, missing and unknown fields, huge strings,
control characters, mixed scripts, template syntax and HTML. Each is refused with a clear error
or handled harmlessly; no workflow task fails; nothing is half-applied. The number of inputs
tried is printed with the run's summary (``pytest_terminal_summary`` in conftest)."""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import datetime, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowUpdateFailedError

from domain import derived, rules
from domain.case_file import CaseFile, Channel
from domain.commands import (
    AdvanceStage,
    ApplyMilestone,
    ChannelReply,
    CloseJourney,
    DeliveryReport,
    PauseJourney,
    RecordReceived,
    ResumeJourney,
    ReviewRecord,
    SetChannelOptOut,
    SetConsent,
)
from domain.opt_out import keyword
from domain.validation import describe
from messaging.delivery_contract import DeliveryRequest
from messaging.render import Renderer
from domain.state import MessageEvent
from tests.conftest import Harness, case_data, make_case
from workflows.journey_types import SIGNALS, UPDATES

TRIED: Counter[str] = Counter()

NASTY_TEXT = st.one_of(
    st.text(max_size=50),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=1000, max_size=5000),
    st.sampled_from([
        "{{ 7*7 }}", "{% for x in range(10**9) %}{% endfor %}", "<script>alert(1)</script>", "\x00\x01\x1b[31m",
        "Айгерим 王芳 محمد", "\u202eevil", "'; DROP TABLE deliveries; --", "${jndi:ldap://x}", "\ud800".encode("utf-8", "surrogatepass").decode("utf-8", "replace"),
    ]),
)
JSON_LEAF = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), NASTY_TEXT)
JSON_VALUE = st.recursive(JSON_LEAF, lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(NASTY_TEXT, inner, max_size=4)), max_leaves=12)

COMMANDS: list[type[BaseModel]] = [
    RecordReceived, ReviewRecord, ApplyMilestone, AdvanceStage, PauseJourney, ResumeJourney,
    CloseJourney, SetConsent, SetChannelOptOut, ChannelReply, DeliveryReport,
]


def mutate_case(base: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    """A valid case file with one field replaced, removed or added."""
    keys = sorted(base)
    return st.one_of(
        st.builds(lambda k, v: {**base, k: v}, st.sampled_from(keys), JSON_VALUE),
        st.builds(lambda k: {x: y for x, y in base.items() if x != k}, st.sampled_from(keys)),
        st.builds(lambda k, v: {**base, k: v}, NASTY_TEXT, JSON_VALUE),
        st.builds(lambda v: {**base, "guardians": [{**base["guardians"][0], "name": v}]}, NASTY_TEXT),
        st.builds(lambda v: {**base, "guardians": [{**base["guardians"][0], "phone": v}]}, NASTY_TEXT),
        st.builds(lambda v: {**base, "guardians": [{**base["guardians"][0], "timezone": v}]}, NASTY_TEXT),
    )


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_case_files_are_accepted_or_refused_with_a_clear_message(data):
    base = case_data("WJ-2026-000100")
    candidate = data.draw(mutate_case(base))
    TRIED["case file"] += 1
    try:
        case = CaseFile.intake(candidate)
    except ValidationError as err:
        message = describe(err, "case file")
        assert message.startswith("invalid case file: ")
        for leaf in _strings(candidate):
            # Values shaped like personal data (digits, @, punctuation, other scripts) must not come
            # back; plain letter runs are skipped, as they can coincide with the message's own words.
            if len(leaf) >= 8 and leaf not in json.dumps(base) and not re.fullmatch(r"[A-Za-z_ ][A-Za-z0-9_ ]*", leaf):
                assert leaf not in message, "the error echoes a submitted value"
        return
    # Accepted: it must start a journey whose state survives a round trip.
    state = rules.start(case, datetime(2026, 1, 5, 9, tzinfo=timezone.utc))
    assert type(state).model_validate_json(state.model_dump_json()) == state


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in _strings(k) + _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


@settings(max_examples=300, deadline=None)
@given(model=st.sampled_from(COMMANDS), payload=st.dictionaries(NASTY_TEXT, JSON_VALUE, max_size=6) | JSON_VALUE)
def test_command_payloads_validate_or_refuse(model, payload):
    TRIED["command payload"] += 1
    try:
        cmd = model.model_validate(payload)
    except ValidationError as err:
        assert describe(err, model.__name__)
        return
    assert model.model_validate_json(cmd.model_dump_json()) == cmd


@settings(max_examples=200, deadline=None)
@given(cmd=st.one_of(
    st.builds(ApplyMilestone, note=st.none() | NASTY_TEXT.filter(lambda s: len(s) <= 500)),
    st.builds(ReviewRecord, note=st.none()),
    st.builds(AdvanceStage),
    st.builds(CloseJourney, note=st.none()),
    st.builds(PauseJourney, note=st.none()),
))
def test_commands_on_a_journey_apply_whole_or_not_at_all(cmd):
    """Valid-shaped commands in any combination: refused ones leave the state untouched."""
    TRIED["command on a journey"] += 1
    state = rules.start(make_case("WJ-2026-000101"), datetime(2026, 1, 5, 9, tzinfo=timezone.utc))
    before = state.model_dump_json()
    apply = {
        ApplyMilestone: rules.apply_milestone, ReviewRecord: rules.apply_review_record,
        AdvanceStage: rules.apply_advance, CloseJourney: rules.apply_close, PauseJourney: rules.apply_pause,
    }[type(cmd)]
    entries = len(state.timeline)
    try:
        apply(state, cmd, datetime(2026, 1, 6, 9, tzinfo=timezone.utc))
    except rules.Refused as refused:
        assert str(refused)
        assert state.model_dump_json() == before
        return
    # Accepted: applied whole. The change is on the timeline, attributed, and the state is still
    # a valid journey that survives the round trip through the data converter.
    assert state.model_dump_json() != before
    added = state.timeline[entries:]
    assert added and added[0].kind == ACCEPTED_KIND[type(cmd)](cmd)
    assert added[0].by == getattr(cmd, "by", None)
    assert type(state).model_validate_json(state.model_dump_json()) == state


# The timeline entry an accepted command writes first.
ACCEPTED_KIND = {
    ApplyMilestone: lambda c: "milestone",
    ReviewRecord: lambda c: f"record_{ {'accept': 'accepted', 'reject': 'rejected', 'waive': 'waived'}[c.decision.value]}",
    AdvanceStage: lambda c: "stage_changed",
    CloseJourney: lambda c: "closed",
    PauseJourney: lambda c: "paused",
}


@settings(max_examples=300, deadline=None)
@given(body=NASTY_TEXT)
def test_inbound_sms_text_is_a_keyword_or_nothing(body):
    TRIED["inbound sms"] += 1
    assert keyword(body) in (None, *type(keyword("STOP")).__members__.values())


@settings(max_examples=150, deadline=None)
@given(name=NASTY_TEXT, event=st.sampled_from(list(MessageEvent)), language=st.sampled_from(["en", "zh", "ru", "ar", "fr"]))
def test_names_render_harmlessly_in_every_template(name, event, language):
    TRIED["rendered name"] += 1
    renderer = Renderer(case_link_base="https://portal.waypoint.example/case")
    params = {
        "via_family": True, "holder": "family", "reminder_number": 1, "stage": "eligibility", "milestone": "admitted",
        "on_date": "2026-03-01", "applicant": "patient", "visa_type": "S2", "expires_on": "2026-05-01",
        "projected_return": "2026-06-01", "alert": "records_overdue", "channel": "sms",
        "appointment_id": "A1", "kind": "monitoring_check", "starts_at": "2026-03-04T09:30:00+08:00",
        "venue_timezone": "Asia/Shanghai", "place": "GZ-HOSP-3", "sequence": 1, "check_day": 30,
        "check_in": 2, "of": 12, "relation": "sibling", "number": 1, "status": "kit_sent",
        "items": ["discharge_summary"],
    }
    for channel in Channel:
        rendered = renderer.render(DeliveryRequest(
            key="WJ-2026-000102:x:1:guardian-1:email", case_reference="WJ-2026-000102", event=event, channel=channel,
            recipient="guardian-1", to_address="a@example.org", to_name=name, language=language, timezone="Asia/Almaty",
            params=params, record_types=["imaging"],
        ))
        assert "WJ-2026-000102" in rendered.text
        if rendered.html and "<" in name:
            assert "<script>alert(1)</script>" not in rendered.html
        assert "49" not in rendered.text.replace("2026", "") or "{{ 7*7 }}" not in name


def drawn(strategy: st.SearchStrategy[Any], count: int) -> list[Any]:
    """``count`` values from ``strategy``, generated under the active hypothesis profile (the CI
    profile makes them the same on every run), unlike ``.example()``."""
    found: list[Any] = []

    @settings(max_examples=count, database=None, phases=[Phase.generate], suppress_health_check=list(HealthCheck))
    @given(strategy)
    def collect(value: Any) -> None:
        found.append(value)

    collect()
    return found[:count]


async def test_hostile_updates_and_signals_on_a_running_journey(dev: Harness):
    """Raw payloads sent past our client straight to a live journey: every one is rejected or
    applied whole, and the workflow never fails a task."""
    case = make_case()
    ref = case.case_reference
    await dev.journeys.start(case)
    handle = dev.journeys.handle(ref)
    samples = st.dictionaries(NASTY_TEXT, JSON_VALUE, max_size=5) | JSON_VALUE
    models = [ApplyMilestone, AdvanceStage, ReviewRecord, PauseJourney, SetConsent, SetChannelOptOut]
    signals = list(SIGNALS.values())
    refused = accepted = 0
    for i, payload in enumerate(drawn(samples, 60)):
        model = models[i % len(models)]
        TRIED["raw update on a live journey"] += 1
        try:
            await handle.execute_update(UPDATES[model], payload)
            accepted += 1
            # Only a payload that is a well-formed command can ever be accepted.
            model.model_validate(payload)
        except WorkflowUpdateFailedError:
            refused += 1
        TRIED["raw signal on a live journey"] += 1
        await handle.signal(signals[i % len(signals)], payload)
    status = await dev.journeys.status(ref)
    assert status.case_reference == ref and not status.closed
    events = [e.event_type async for e in handle.fetch_history_events()]
    assert EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED not in events
    assert refused >= 50
