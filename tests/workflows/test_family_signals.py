"""The family page's two signals on a real journey: a fresh link is one message to that guardian
on that channel; a guardian's own quiet hours and language take effect for what they are sent
next. Recorded (WAYPOINT_RECORD_HISTORIES=1) as tests/histories/family_signals.json for replay."""

from __future__ import annotations

from datetime import UTC, datetime, time

from domain.case_file import Channel
from domain.commands import CloseJourney, GuardianPreferences, LinkRequested
from domain.policy import QuietHours
from domain.state import MessageEvent, MessageStatus
from domain.status import GuardianView
from tests.conftest import Harness, make_case, record_history
from tests.support.polling import eventually
from workflows.journey_types import Query


async def test_fresh_link_and_guardian_preferences(dev: Harness):
    case = make_case(guardians=[{"name": "Test Guardian", "language": "en", "timezone": "UTC",
                                 "email": "guardian@example.org", "channels": ["email"]}])
    ref = case.case_reference
    await dev.journeys.start(case)
    await eventually(lambda: dev.outbox_files(ref))

    # The language first: the fresh link goes out at once, in Russian.
    await dev.journeys.signal(ref, GuardianPreferences(recipient="guardian-1", language="ru"))
    await dev.journeys.signal(ref, LinkRequested(recipient="guardian-1", channel=Channel.EMAIL))
    sent = await eventually(lambda: [p for p in dev.outbox_files(ref) if p.name.startswith("family_link")])
    assert "Language: ru" in sent[0].read_text(encoding="utf-8")

    # Then quiet hours around the guardian's present hour (UTC): the next link waits for their
    # end (deferred, not dropped).
    now = datetime.now(UTC)
    quiet_now = QuietHours(start=time((now.hour - 2) % 24, 0), end=time((now.hour + 3) % 24, 0))
    await dev.journeys.signal(ref, GuardianPreferences(recipient="guardian-1", quiet_hours=quiet_now))
    await dev.journeys.signal(ref, LinkRequested(recipient="guardian-1", channel=Channel.EMAIL))

    async def second_link_waiting():
        links = [m for m in await dev.journeys.messages(ref) if m.event == MessageEvent.FAMILY_LINK]
        return links[1] if len(links) == 2 and links[1].status == MessageStatus.SCHEDULED else None

    waiting = await eventually(second_link_waiting)
    assert waiting.recipient == "guardian-1" and waiting.channel == Channel.EMAIL
    view = await dev.journeys.query(ref, Query.GUARDIAN, GuardianView, args=("guardian-1",))
    assert view.language == "ru" and view.quiet_hours == quiet_now
    assert len([p for p in dev.outbox_files(ref) if p.name.startswith("family_link")]) == 1
    await dev.journeys.command(ref, CloseJourney(reason="other"))
    await dev.journeys.handle(ref).result()
    kinds = [e.kind for e in await dev.journeys.timeline(ref)]
    assert kinds.count("family_link_requested") == 2 and "language_changed" in kinds and "quiet_hours_changed" in kinds
    await record_history(dev, ref, "family_signals")
