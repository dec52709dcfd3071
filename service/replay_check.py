"""Replay journeys' real histories against the code on this machine.

Before a deploy: every open journey must replay on the new code, or the deploy would strand it.
On call: a journey whose workflow tasks fail with a nondeterminism error shows here, with the
first workflow task that does not replay. Resetting the journey to that task's
WorkflowTaskCompleted event runs the task again on the current code; everything before it
replays, and later signals are re-applied
(docs/investigations/replay-divergence-after-worker-kill/README.md).

Reports name workflow ids, event ids and the SDK's error class, never payload content.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import Client, WorkflowHistory
from temporalio.worker import Replayer

from service.client import data_converter
from service.codec import payload_codec
from service.config import Settings
from service.journeys import Journeys
from workflows.journey import JourneyWorkflow
from workflows.sandbox import journey_runner


@dataclass(frozen=True)
class ReplayOutcome:
    workflow_id: str
    run_id: str
    events: int
    failure: str | None  # e.g. "Nondeterminism error at event 53 (TimerCanceled)"
    reset_to: int | None  # the WorkflowTaskCompleted of the first task that does not replay

    @property
    def replays(self) -> bool:
        return self.failure is None

    def reset_command(self) -> str | None:
        if self.reset_to is None:
            return None
        return (f"temporal workflow reset --workflow-id {self.workflow_id} --run-id {self.run_id} "
                f"--event-id {self.reset_to} --reason 'history no longer replays'")


_EVENT = re.compile(r"HistoryEvent\(id: (\d+), (\w+)")


def _summary(failure: Exception) -> str:
    """The kind of failure and where, without anything from the payloads."""
    text = str(failure)
    kind = "Nondeterminism error" if "Nondeterminism" in text or "TMPRL1100" in text else type(failure).__name__
    found = _EVENT.search(text)
    return f"{kind} at event {found.group(1)} ({found.group(2)})" if found else kind


def _completed_tasks(events: Sequence[HistoryEvent]) -> list[int]:
    return [e.event_id for e in events if e.HasField("workflow_task_completed_event_attributes")]


def _cut_after_task(history: WorkflowHistory, completed_id: int) -> WorkflowHistory:
    """The history up to the events of that task's commands, before the next task starts."""
    kept: list[HistoryEvent] = []
    for event in history.events:
        if event.event_id > completed_id and event.HasField("workflow_task_started_event_attributes"):
            break
        kept.append(event)
    return WorkflowHistory(history.workflow_id, kept)


class ReplayCheck:
    def __init__(self, replayer: Replayer | None = None, settings: Settings | None = None) -> None:
        if replayer is None:
            keys = (settings or Settings.from_env()).codec.payload_keys
            replayer = Replayer(workflows=[JourneyWorkflow], data_converter=data_converter(payload_codec(keys)),
                                workflow_runner=journey_runner())
        self.replayer = replayer

    async def _failure(self, history: WorkflowHistory) -> Exception | None:
        result = await self.replayer.replay_workflow(history, raise_on_replay_failure=False)
        return result.replay_failure

    async def history(self, history: WorkflowHistory, run_id: str = "") -> ReplayOutcome:
        failure = await self._failure(history)
        if failure is None:
            return ReplayOutcome(history.workflow_id, run_id, len(history.events), None, None)
        # Replay holds up to some task and not from it on: find the first task whose history,
        # cut right after it, no longer replays.
        tasks = _completed_tasks(history.events)
        first_bad, low, high = None, 0, len(tasks) - 1
        while low <= high:
            middle = (low + high) // 2
            if await self._failure(_cut_after_task(history, tasks[middle])) is None:
                low = middle + 1
            else:
                first_bad, high = tasks[middle], middle - 1
        return ReplayOutcome(history.workflow_id, run_id, len(history.events), _summary(failure), first_bad)

    async def run(self, client: Client, workflow_id: str, run_id: str,
                  keep_failing_in: Path | None = None) -> ReplayOutcome:
        """One run's history from the server, checked; kept in the folder if it does not replay."""
        history = await client.get_workflow_handle(workflow_id, run_id=run_id).fetch_history()
        outcome = await self.history(history, run_id)
        if not outcome.replays and keep_failing_in is not None:
            keep_failing_in.mkdir(parents=True, exist_ok=True)
            (keep_failing_in / f"not-replaying-{workflow_id}-{run_id}.json").write_text(history.to_json())
        return outcome

    async def journeys(self, client: Client, open_only: bool = True,
                       keep_failing_in: Path | None = None) -> AsyncIterator[ReplayOutcome]:
        async for wf in client.list_workflows(Journeys.listing_query(include_closed=not open_only)):
            yield await self.run(client, wf.id, wf.run_id, keep_failing_in)
