"""A family's reply reaches a person (issue 10, finding 3): the pure rules."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain import rules
from domain.case_file import Channel
from domain.commands import CloseJourney, FamilyReply, MarkReplyHandled
from domain.replies import apply_family_reply, apply_reply_handled, check_reply_handled, open_replies
from domain.state import MessageEvent
from tests.conftest import make_case
from tests.domain.test_journey_rules import T0, fresh

QUESTION = "Спасибо, а когда будет ответ?"


def acknowledgements(state):
    return [m for m in state.messages if m.event == MessageEvent.REPLY_ACKNOWLEDGEMENT]


def test_a_reply_is_kept_for_a_person_and_acknowledged_once_on_its_channel():
    state = fresh()
    kept = apply_family_reply(state, FamilyReply(recipient="guardian-1", channel="sms", text=QUESTION), T0)
    assert kept.text == QUESTION and kept.open and open_replies(state) == [kept]
    [ack] = acknowledgements(state)
    assert (ack.recipient, ack.channel) == ("guardian-1", Channel.SMS)
    apply_family_reply(state, FamilyReply(recipient="guardian-1", channel="sms", text="Алло?"), T0 + timedelta(minutes=5))
    assert len(acknowledgements(state)) == 1 and len(open_replies(state)) == 2
    # The text is not in the timeline (what the timeline holds is shown in more places).
    assert all(QUESTION not in str(e.detail) for e in state.timeline)


def test_marking_handled_closes_it_once():
    state = fresh()
    kept = apply_family_reply(state, FamilyReply(recipient="guardian-1", channel="email", text="A question"), T0)
    apply_reply_handled(state, MarkReplyHandled(reply_id=kept.id, by="coord-lin"), T0)
    assert not open_replies(state) and kept.handled_by == "coord-lin"
    with pytest.raises(rules.Refused, match="already"):
        check_reply_handled(state, MarkReplyHandled(reply_id=kept.id))
    with pytest.raises(rules.Refused, match="no reply"):
        check_reply_handled(state, MarkReplyHandled(reply_id=f"{state.case.case_reference}:reply:9"))
    # A new reply after that is acknowledged again.
    apply_family_reply(state, FamilyReply(recipient="guardian-1", channel="email", text="Another"), T0)
    assert len(acknowledgements(state)) == 2


def test_after_a_close_a_reply_is_kept_but_nothing_is_sent():
    state = fresh()
    rules.apply_close(state, CloseJourney(reason="completed"), T0)
    apply_family_reply(state, FamilyReply(recipient="guardian-1", channel="sms", text="Спасибо"), T0)
    assert len(open_replies(state)) == 1 and not acknowledgements(state)


def test_the_acknowledgement_waits_for_the_end_of_quiet_hours():
    quiet = {"start": "00:00", "end": "23:59"}  # practically always quiet in Almaty
    state = rules.start(make_case("WJ-2026-0101", guardians=[{
        "name": "Айгерим", "language": "ru", "timezone": "Asia/Almaty", "phone": "+77012345678",
        "channels": ["sms"], "quiet_hours": quiet}]), T0)
    apply_family_reply(state, FamilyReply(recipient="guardian-1", channel="sms", text=QUESTION), T0)
    [ack] = acknowledgements(state)
    assert ack.not_before > T0  # deferred, not dropped
