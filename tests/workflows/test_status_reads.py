"""Reads: the full status is asked of the journey (only while a worker polls, so no query waits
for a worker that starts meanwhile); the digest the journey publishes is read with no worker."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from temporalio.testing import WorkflowEnvironment

from domain.commands import RecordReceived
from domain.records import RecordStatus
from service.config import QUERY_ATTEMPT_TIMEOUT, Settings
from service.journeys import JourneyBusy, Journeys
from tests.conftest import make_case
from tests.support.polling import eventually
from worker import build_worker
from workflows.journey_types import DIGEST_MEMO, Query


async def test_status_follows_a_reported_record_and_the_digest_is_read_while_no_worker_runs(
    dev_env: WorkflowEnvironment, settings: Settings
) -> None:
    # A worker counts as gone 5 s after its last poll here (70 s in service/config.py), so the test
    # need not wait out a long poll.
    journeys = Journeys(dev_env.client, settings.task_queue, worker_seen_within=timedelta(seconds=5))
    case = make_case()
    ref = case.case_reference

    async def published() -> bool:
        description = await journeys.handle(ref).describe()
        return await description.memo_value(DIGEST_MEMO, None) is not None

    try:
        async with build_worker(dev_env.client, settings):
            await journeys.start(case)
            await eventually(published)
            requested = [r.record_type for r in (await journeys.status(ref)).records if r.status == RecordStatus.REQUESTED]
            first = requested[0]
            await journeys.report_record_received(ref, RecordReceived(record_type=first, document_id="doc-1"))
            # Read straight after the signal: answered with the task that processes it.
            status = await journeys.status(ref)
            assert {r.record_type: r.status for r in status.records}[first] == RecordStatus.RECEIVED

        async def no_worker_polls() -> bool:
            return not await journeys._worker_polls(settings.task_queue)

        await eventually(no_worker_polls, timeout=30)
        # No worker now: the full status is refused at once (no query is sent to wait for a
        # worker), and the digest is read from the memo.
        started = time.monotonic()
        with pytest.raises(JourneyBusy, match="no worker"):
            await journeys.status(ref)
        assert time.monotonic() - started < QUERY_ATTEMPT_TIMEOUT.total_seconds()
        digest = await journeys.digest(ref)
        assert digest is not None and digest.case_reference == ref
        assert digest.records_deadline is not None  # records are still awaited
        # Reads that only a worker can answer say so.
        with pytest.raises(JourneyBusy, match="did not answer in time"):
            await journeys.query(ref, Query.MESSAGES, list, attempts=1)
    finally:
        await journeys.handle(ref).terminate(reason="test finished")


async def test_today_leaves_out_a_journey_that_has_published_nothing_yet(
    dev_env: WorkflowEnvironment, settings: Settings
) -> None:
    """A journey whose first task has not run (no worker yet) is not on Today; once a worker runs
    and it needs a person (all its records in hand: ready for review), it is."""
    journeys = Journeys(dev_env.client, settings.task_queue)
    coordinator = f"coord-{settings.task_queue[-8:]}"
    case = make_case(coordinator={"id": coordinator}, records_in_hand=[
        "pathology", "bone_marrow", "cytogenetics_molecular", "flow_cytometry_mrd", "csf_cytology", "imaging",
        "treatment_history", "blood_counts", "clinical_summary"])
    try:
        await journeys.start(case)
        await eventually(lambda: _listed(journeys, case.case_reference))
        assert (await journeys.today(datetime.now(UTC), coordinator=coordinator)).rows == []
        async with build_worker(dev_env.client, settings):
            async def shown() -> bool:
                page = await journeys.today(datetime.now(UTC), coordinator=coordinator)
                return [p.case_reference for p in page.rows] == [case.case_reference] and page.total == 1

            await eventually(shown)
    finally:
        await journeys.handle(case.case_reference).terminate(reason="test finished")


async def _listed(journeys: Journeys, ref: str) -> bool:
    return ref in {j.case_reference for j in await journeys.find()}
