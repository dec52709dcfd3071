"""Driving families through the first stage: started, 8 records reported (signal), each
accepted (update), until records_complete. The journey through the project's own client
(service/journeys.py); the minimal workflow through the bare Temporal client."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from temporalio.client import Client

from bench import cases
from bench.minimal_workflow import MINIMAL_WORKFLOW, MinimalInput, MinimalSummary
from domain.commands import RecordDecision, RecordReceived, ReviewRecord
from domain.stages import Stage
from workflows import search_attributes as sa
from service.journeys import Journeys


@dataclass
class Driven:
    case_reference: str
    last_command_at: float  # wall clock just before the command that completes the records


async def drive_journey(journeys: Journeys, n: int) -> Driven:
    case = cases.case(n)
    ref = case.case_reference
    await journeys.start(case)
    last = 0.0
    for i, record_type in enumerate(cases.outstanding_records()):
        await journeys.report_record_received(ref, RecordReceived(record_type=record_type, document_id=f"doc-{i}"))
        last = time.time()
        await journeys.command(ref, ReviewRecord(record_type=record_type, decision=RecordDecision.ACCEPT))
    return Driven(ref, last)


def minimal_id(case_reference: str) -> str:
    return f"bench-minimal-{case_reference}"


async def drive_minimal(client: Client, task_queue: str, n: int) -> Driven:
    case = cases.case(n)
    ref = case.case_reference
    records = cases.outstanding_records()
    handle = await client.start_workflow(
        MINIMAL_WORKFLOW, MinimalInput(case_reference=ref, records=[t.value for t in records]),
        id=minimal_id(ref), task_queue=task_queue,
        search_attributes=sa.initial(ref, Stage.REMOTE_REVIEW.value, case.pathway.value, case.coordinator.id),
    )
    last = 0.0
    for i, record_type in enumerate(records):
        await handle.signal("record-received", RecordReceived(record_type=record_type, document_id=f"doc-{i}"))
        last = time.time()
        await handle.execute_update("review-record", ReviewRecord(record_type=record_type, decision=RecordDecision.ACCEPT),
                                    result_type=MinimalSummary)
    return Driven(ref, last)


async def drive_all(numbers: list[int], concurrency: int, one: Callable[[int], Awaitable[Driven]],
                    progress: Callable[[int], None] | None = None) -> tuple[list[Driven], float]:
    """Every family driven, ``concurrency`` at a time; returns them and the elapsed seconds."""
    gate = asyncio.Semaphore(concurrency)
    done: list[Driven] = []

    async def limited(n: int) -> None:
        async with gate:
            done.append(await one(n))
            if progress:
                progress(len(done))

    began = time.monotonic()
    await asyncio.gather(*(limited(n) for n in numbers))
    return done, time.monotonic() - began
