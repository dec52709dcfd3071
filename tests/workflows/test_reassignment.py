"""Reassignment on the dev server: the journey's coordinator, its search attribute and its
timeline change together; a refused reassignment leaves no trace; a claimed person is recorded
beside the actor. Its history is kept in tests/histories/reassigned.json and replayed."""

from __future__ import annotations

import pytest
from temporalio.api.enums.v1 import EventType

from domain.case_file import Coordinator
from domain.commands import PauseJourney, PauseReason, ReassignJourney
from service.journeys import CommandRefused
from tests.conftest import Harness, make_case, record_history
from tests.support.polling import eventually


async def test_a_reassignment_moves_the_journey_and_says_so(dev: Harness):
    case = make_case(coordinator={"id": "coord-lin"})
    await dev.journeys.start(case)
    ref = case.case_reference
    await dev.journeys.command(ref, PauseJourney(reason=PauseReason.OTHER, by="key:crm", claimed_by="coord-lin"))
    events = await _settled(dev, ref)
    with pytest.raises(CommandRefused, match="already assigned"):
        await dev.journeys.command(ref, ReassignJourney(coordinator=Coordinator(id="coord-lin"), by="sup-mei"))
    # A refused update leaves no trace: nothing accepted in history (the journey's own timers,
    # e.g. the batching window of its first messages, may add workflow tasks meanwhile).
    later = [e async for e in dev.journeys.handle(ref).fetch_history_events()][events:]
    accepted = {EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED, EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED}
    assert not [e for e in later if e.event_type in accepted]
    assert (await dev.journeys.status(ref)).coordinator == "coord-lin"
    await dev.journeys.command(ref, ReassignJourney(coordinator=Coordinator(id="coord-bo", email="bo@waypoint.example"),
                                                    by="sup-mei", note="Lin is on leave"))
    assert (await dev.journeys.status(ref)).coordinator == "coord-bo"
    timeline = await dev.journeys.timeline(ref)
    moved = [e for e in timeline if e.kind == "reassigned"]
    assert [(e.by, e.detail) for e in moved] == [("sup-mei", {"from_coordinator": "coord-lin", "to_coordinator": "coord-bo"})]
    paused = [e for e in timeline if e.kind == "paused"][0]
    assert paused.by == "key:crm" and paused.detail["claimed_by"] == "coord-lin"
    await eventually(lambda: _listed(dev, "coord-bo", ref))
    assert not await _listed(dev, "coord-lin", ref)
    await record_history(dev, ref, "reassigned")


async def _settled(h: Harness, ref: str) -> int:
    """The history's length once nothing is in flight (the first sends done)."""
    async def quiet() -> int | None:
        described = (await h.journeys.handle(ref).describe()).raw_description
        if described.pending_activities or described.HasField("pending_workflow_task"):
            return None
        return len([e async for e in h.journeys.handle(ref).fetch_history_events()])
    return await eventually(quiet, timeout=30)


async def _listed(h: Harness, coordinator: str, ref: str) -> bool:
    return any(j.case_reference == ref for j in await h.journeys.find(coordinator=coordinator))
