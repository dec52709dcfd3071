"""One calm message instead of a burst (issue 10, finding 2): the pure rules."""

from __future__ import annotations

from datetime import timedelta

from domain import rules
from domain.batching import awaiting_first_ask, parts
from domain.notices import Defer, Send, decide
from domain.records import RecordType
from domain.state import MessageEvent, MessageStatus
from tests.domain.test_journey_rules import T0
from tests.conftest import make_case

WINDOW = timedelta(minutes=3)


def calm(**overrides):
    state = rules.start(make_case("WJ-2026-0200", policy={"batching": {"window": "PT3M"}}, **overrides), T0)
    state.calm_messages = True
    return state


def family_email(state, event=None):
    return [m for m in state.messages if m.recipient == "guardian-1" and m.channel.value == "email"
            and (event is None or m.event == event)]


def test_a_family_message_waits_the_window_then_says_what_fell_due_with_it():
    state = calm()
    [request] = family_email(state, MessageEvent.RECORD_REQUEST)
    assert decide(state, request, T0) == Defer(T0 + WINDOW)
    later = T0 + timedelta(minutes=2)
    from domain.rules.effects import notify
    from domain.state import Audience, Notice
    notify(state, Notice(event=MessageEvent.STAGE_CHANGE, audience=Audience.FAMILY,
                         params={"stage": "remote_review", "milestone": "review_started"}), later)
    decision = decide(state, request, T0 + WINDOW)
    [stage_change] = family_email(state, MessageEvent.STAGE_CHANGE)
    assert isinstance(decision, Send) and decision.merged == (stage_change.key,)
    request.merged = list(decision.merged)
    assert [p.event for p in parts(state, request)] == [MessageEvent.RECORD_REQUEST, MessageEvent.STAGE_CHANGE]


def test_no_reminder_or_escalation_before_the_request_went_out():
    state = calm()
    late = T0 + timedelta(days=30)
    assert RecordType.PATHOLOGY in awaiting_first_ask(state)
    rules.run_due_chases(state, late)
    assert not [m for m in state.messages if m.event == MessageEvent.RECORD_REMINDER]
    assert not state.alerts
    for m in state.messages:
        if m.event == MessageEvent.RECORD_REQUEST and m.recipient == "guardian-1" and m.channel.value == "email":
            m.status = MessageStatus.SENT
    assert RecordType.PATHOLOGY not in awaiting_first_ask(state)  # asked of one guardian: chased
