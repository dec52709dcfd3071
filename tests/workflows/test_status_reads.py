"""Status reads come from the status the journey publishes (its memo), so they need no worker;
while a task is pending they ask the journey, so a record reported a moment ago shows."""

from __future__ import annotations

import time

import pytest
from temporalio.testing import WorkflowEnvironment

from domain.commands import RecordReceived
from domain.records import RecordStatus
from service.config import QUERY_ATTEMPT_TIMEOUT, Settings
from service.journeys import JourneyBusy, Journeys
from tests.conftest import make_case
from tests.support.polling import eventually
from worker import build_worker
from workflows.journey_types import STATUS_MEMO, Query



async def test_status_follows_a_reported_record_and_is_read_while_no_worker_runs(
    dev_env: WorkflowEnvironment, settings: Settings
) -> None:
    journeys = Journeys(dev_env.client, settings.task_queue)
    case = make_case()
    ref = case.case_reference

    async def published() -> bool:
        description = await journeys.handle(ref).describe()
        return await description.memo_value(STATUS_MEMO, None) is not None

    try:
        async with build_worker(dev_env.client, settings):
            await journeys.start(case)
            await eventually(published)
            requested = [r.record_type for r in (await journeys.status(ref)).records if r.status == RecordStatus.REQUESTED]
            first, second = requested[:2]
            await journeys.report_record_received(ref, RecordReceived(record_type=first, document_id="doc-1"))
            # Read straight after the signal: answered with the task that processes it.
            status = await journeys.status(ref)
            assert {r.record_type: r.status for r in status.records}[first] == RecordStatus.RECEIVED

        # No worker now. With nothing pending, the published status is read at once.
        started = time.monotonic()
        status = await journeys.status(ref)
        assert time.monotonic() - started < QUERY_ATTEMPT_TIMEOUT.total_seconds()  # no query was tried
        assert {r.record_type: r.status for r in status.records}[first] == RecordStatus.RECEIVED

        # A record arrives while no worker runs: the read asks once, nobody answers, and the last
        # published status comes back (the new record is not in it yet) instead of an error.
        await journeys.report_record_received(ref, RecordReceived(record_type=second, document_id="doc-2"))
        started = time.monotonic()
        status = await journeys.status(ref)
        waited = time.monotonic() - started
        assert waited >= QUERY_ATTEMPT_TIMEOUT.total_seconds() - 0.5  # it did ask, and nobody answered
        assert {r.record_type: r.status for r in status.records}[second] == RecordStatus.REQUESTED
        # Reads that only a worker can answer say so.
        with pytest.raises(JourneyBusy, match="did not answer in time"):
            await journeys.query(ref, Query.MESSAGES, list, attempts=1)
    finally:
        await journeys.handle(ref).terminate(reason="test finished")


async def test_the_overview_leaves_out_a_journey_that_has_published_nothing_yet(
    dev_env: WorkflowEnvironment, settings: Settings
) -> None:
    """Today's listing: a journey whose first task has not run (no worker yet) has no status to
    show and is left out after one unanswered attempt; once a worker runs, it appears."""
    journeys = Journeys(dev_env.client, settings.task_queue)
    coordinator = f"coord-{settings.task_queue[-8:]}"
    case = make_case(coordinator={"id": coordinator})
    try:
        await journeys.start(case)
        await eventually(lambda: _listed(journeys, case.case_reference))
        assert await journeys.statuses(coordinator=coordinator) == []
        async with build_worker(dev_env.client, settings):
            async def shown() -> bool:
                return [s.case_reference for s in await journeys.statuses(coordinator=coordinator)] == [case.case_reference]

            await eventually(shown)
    finally:
        await journeys.handle(case.case_reference).terminate(reason="test finished")


async def _listed(journeys: Journeys, ref: str) -> bool:
    return ref in {j.case_reference for j in await journeys.find()}
