"""A fresh family-page link asked for from an expired one: one message, to that guardian on that
channel, like any other message (never after a close, never on a stopped channel)."""

from __future__ import annotations

from datetime import datetime, timezone

from domain import rules
from domain.case_file import Channel
from domain.commands import ChannelReply, CloseJourney, LinkRequested
from domain.opt_out import Keyword
from domain.state import MessageEvent
from tests.conftest import make_case

T0 = datetime(2026, 2, 2, 6, 0, tzinfo=timezone.utc)


def links_planned(state):
    return [(m.recipient, m.channel) for m in state.messages if m.event == MessageEvent.FAMILY_LINK]


def test_one_message_to_the_guardian_on_the_channel_the_link_came_by():
    state = rules.start(make_case("WJ-2026-0101"), T0)
    rules.apply_link_requested(state, LinkRequested(recipient="guardian-1", channel=Channel.SMS), T0)
    assert links_planned(state) == [("guardian-1", Channel.SMS)]
    assert state.timeline[-1].kind == "family_link_requested"


def test_nothing_after_a_close_on_a_stopped_channel_or_for_a_guardian_not_on_the_case():
    state = rules.start(make_case("WJ-2026-0102"), T0)
    rules.apply_channel_reply(state, ChannelReply(recipient="guardian-1", channel=Channel.SMS, keyword=Keyword.STOP), T0)
    rules.apply_link_requested(state, LinkRequested(recipient="guardian-1", channel=Channel.SMS), T0)
    rules.apply_link_requested(state, LinkRequested(recipient="guardian-2", channel=Channel.SMS), T0)  # no phone
    assert links_planned(state) == []
    rules.apply_close(state, CloseJourney(reason="family_declined"), T0)
    rules.apply_link_requested(state, LinkRequested(recipient="guardian-1", channel=Channel.EMAIL), T0)
    assert links_planned(state) == []


def test_a_guardian_sets_their_own_quiet_hours_and_language():
    from datetime import time

    from domain.commands import GuardianPreferences
    from domain.policy import QuietHours
    from domain.status import guardian_view

    state = rules.start(make_case("WJ-2026-0103"), T0)
    prefs = GuardianPreferences(recipient="guardian-1", language="ar", quiet_hours=QuietHours(start="22:30", end="07:15"))
    rules.apply_guardian_preferences(state, prefs, T0)
    view = guardian_view(state, "guardian-1")
    assert view is not None and view.language == "ar" and view.quiet_hours == QuietHours(start=time(22, 30), end=time(7, 15))
    assert [e.kind for e in state.timeline[-2:]] == ["language_changed", "quiet_hours_changed"]
    rules.apply_guardian_preferences(state, prefs, T0)  # the same again: nothing new in the timeline
    assert [e.kind for e in state.timeline[-2:]] == ["language_changed", "quiet_hours_changed"]
    assert guardian_view(state, "guardian-3") is None and guardian_view(state, "local-team") is None
