"""The client side of a journey, shared by the CLI, the HTTP API, the dashboard and the demo.

Inputs are validated with the domain models before anything is sent, so bad input changes
nothing; refusals from a journey's validators come back as ``CommandRefused`` with the
validator's own message.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import BaseModel
from temporalio.client import (
    Client,
    WorkflowExecutionStatus,
    WorkflowHandle,
    WorkflowUpdateFailedError,
)
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from domain.case_file import CASE_REFERENCE_PATTERN, CaseFile
from domain.commands import RecordReceived
from domain.stages import Stage
from domain.state import Message, TimelineEntry
from domain.status import JourneyStatus, JourneySummary
from service.config import QUERY_ATTEMPT_TIMEOUT, QUERY_ATTEMPTS
from workflows import search_attributes as sa
from workflows.journey_types import (
    JOURNEY_WORKFLOW,
    STATUS_MEMO,
    WORKFLOW_ID_PREFIX,
    JourneyInput,
    Query,
    journey_id,
    signal_name,
    update_name,
)

T = TypeVar("T")


class JourneyError(Exception):
    """A request about a journey that could not be carried out; the message says why."""


class JourneyNotFound(JourneyError):
    pass


class JourneyClosed(JourneyError):
    pass


class CommandRefused(JourneyError):
    pass


class JourneyBusy(JourneyError):
    """No worker answered a query in time (workers restarting); reads from the memo still work."""


@dataclass
class Started:
    case_reference: str
    workflow_id: str
    created: bool  # False: the journey already existed and nothing was changed


class ListedJourney(BaseModel):
    """One row of a journey listing, read from search attributes (codes and flags only)."""

    case_reference: str
    stage: str
    pathway: str
    coordinator: str
    overdue: bool
    paused: bool
    needs_attention: bool
    status: str


def _check_reference(case_reference: str) -> str:
    if not re.fullmatch(CASE_REFERENCE_PATTERN, case_reference):
        raise JourneyError("not a case reference (expected the form WJ-2026-0001)")
    return case_reference


class Journeys:
    def __init__(self, client: Client, task_queue: str) -> None:
        self.client = client
        self.task_queue = task_queue

    def handle(self, case_reference: str) -> WorkflowHandle[Any, Any]:
        return self.client.get_workflow_handle(journey_id(_check_reference(case_reference)))

    async def start(self, case: CaseFile) -> Started:
        wid = journey_id(case.case_reference)
        try:
            await self.client.start_workflow(
                JOURNEY_WORKFLOW,
                JourneyInput(case=case),
                id=wid,
                task_queue=self.task_queue,
                id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
                id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
                search_attributes=sa.initial(
                    case.case_reference, Stage.REMOTE_REVIEW.value, case.pathway.value, case.coordinator.id
                ),
                static_summary=f"Journey {case.case_reference}",
            )
        except WorkflowAlreadyStartedError:
            return Started(case.case_reference, wid, created=False)
        return Started(case.case_reference, wid, created=True)

    async def _call(self, case_reference: str, coro_factory: Any) -> Any:
        try:
            return await coro_factory(self.handle(case_reference))
        except WorkflowUpdateFailedError as err:
            cause = err.cause
            if isinstance(cause, ApplicationError) and cause.type == "Refused":
                raise CommandRefused(cause.message) from None
            raise CommandRefused(str(getattr(cause, "message", cause))) from None
        except RPCError as err:
            if err.status == RPCStatusCode.NOT_FOUND:
                if "completed" in err.message or "already" in err.message:
                    raise JourneyClosed(f"journey {case_reference} is closed; nothing more can change") from None
                raise JourneyNotFound(f"no journey with case reference {case_reference}") from None
            raise

    async def report_record_received(self, case_reference: str, event: RecordReceived) -> None:
        await self.signal(case_reference, event)

    async def signal(self, case_reference: str, fact: BaseModel) -> None:
        """Tell an open journey a fact (the signal is chosen by the fact's type)."""
        await self._ensure_open(case_reference)
        await self._call(case_reference, lambda h: h.signal(signal_name(fact), fact))

    async def command(self, case_reference: str, cmd: BaseModel) -> JourneySummary:
        """Send a coordinator command (the update is chosen by the command's type)."""
        await self._ensure_open(case_reference)
        return await self._call(
            case_reference, lambda h: h.execute_update(update_name(cmd), cmd, result_type=JourneySummary)
        )

    async def _ensure_open(self, case_reference: str) -> None:
        description = await self._call(case_reference, lambda h: h.describe())
        if description.status != WorkflowExecutionStatus.RUNNING:
            raise JourneyClosed(f"journey {case_reference} is closed; nothing more can change")

    async def query(self, case_reference: str, name: Query, result_type: type[T], attempts: int = QUERY_ATTEMPTS) -> T:
        """A query, each attempt given less time than a worker's sticky queue (service/config.py):
        an attempt that times out clears the dead worker's stickiness, and the next one is then
        answered by a live worker from the journey's committed history."""
        for _ in range(attempts):
            try:
                return await self._call(case_reference, lambda h: h.query(
                    name.value, result_type=result_type, rpc_timeout=QUERY_ATTEMPT_TIMEOUT))
            except RPCError as err:
                if err.status not in (RPCStatusCode.DEADLINE_EXCEEDED, RPCStatusCode.CANCELLED) and \
                        "Timeout expired" not in err.message:
                    raise
        raise JourneyBusy(f"journey {case_reference} did not answer in time (workers restarting?); try again")

    async def status(self, case_reference: str) -> JourneyStatus:
        """The status the journey published with its last completed task (its memo).

        While a task is pending (a signal or a fired timer not yet processed) the journey is
        asked by query instead, which the server answers together with that task, so a record
        reported a moment ago shows. If no worker answers in time the published status is
        returned. Journeys started before the memo existed are always asked by query."""
        description = await self._call(case_reference, lambda h: h.describe())
        published = await description.memo_value(STATUS_MEMO, None, type_hint=JourneyStatus)
        if published is None:
            return await self.query(case_reference, Query.STATUS, JourneyStatus)
        pending = description.raw_description.HasField("pending_workflow_task")
        if not pending or description.status != WorkflowExecutionStatus.RUNNING:
            return published
        try:
            return await self.query(case_reference, Query.STATUS, JourneyStatus, attempts=1)
        except JourneyBusy:
            return published

    async def messages(self, case_reference: str, attempts: int = QUERY_ATTEMPTS) -> list[Message]:
        return await self.query(case_reference, Query.MESSAGES, list[Message], attempts)

    async def timeline(self, case_reference: str, attempts: int = QUERY_ATTEMPTS) -> list[TimelineEntry]:
        return await self.query(case_reference, Query.TIMELINE, list[TimelineEntry], attempts)

    async def find(
        self,
        stage: Stage | None = None,
        coordinator: str | None = None,
        overdue: bool | None = None,
        include_closed: bool = False,
        limit: int = 500,
    ) -> list[ListedJourney]:
        found: list[ListedJourney] = []
        async for wf in self.client.list_workflows(self.listing_query(stage, coordinator, overdue, include_closed), limit=limit):
            attrs = wf.typed_search_attributes
            found.append(
                ListedJourney(
                    case_reference=attrs.get(sa.CASE_REFERENCE) or wf.id.removeprefix(WORKFLOW_ID_PREFIX),
                    stage=attrs.get(sa.STAGE) or "?",
                    pathway=attrs.get(sa.PATHWAY) or "?",
                    coordinator=attrs.get(sa.COORDINATOR) or "?",
                    overdue=bool(attrs.get(sa.OVERDUE)),
                    paused=bool(attrs.get(sa.PAUSED)),
                    needs_attention=bool(attrs.get(sa.NEEDS_ATTENTION)),
                    status=wf.status.name.lower() if wf.status else "unknown",
                )
            )
        return sorted(found, key=lambda j: j.case_reference)

    async def statuses(self, coordinator: str | None = None, limit: int = 500) -> list[JourneyStatus]:
        """The published status of every running journey (of one coordinator), from one listing
        call: no worker is asked, so this stays fast with many journeys and works while workers
        are down. Journeys without a published status (started before the memo existed, or
        not yet through their first task) are asked once each, all together; one that does not
        answer is left out rather than holding up the others."""
        found: list[JourneyStatus] = []
        unpublished: list[str] = []
        async for wf in self.client.list_workflows(self.listing_query(coordinator=coordinator), limit=limit):
            published = await wf.memo_value(STATUS_MEMO, None, type_hint=JourneyStatus)
            if published is None:
                unpublished.append(wf.id.removeprefix(WORKFLOW_ID_PREFIX))
            else:
                found.append(published)

        async def asked(ref: str) -> JourneyStatus | None:
            try:
                return await self.query(ref, Query.STATUS, JourneyStatus, attempts=1)
            except (JourneyError, RPCError):
                return None

        found += [s for s in await asyncio.gather(*(asked(r) for r in unpublished)) if s is not None]
        return sorted(found, key=lambda j: j.case_reference)

    @staticmethod
    def listing_query(stage: Stage | None = None, coordinator: str | None = None, overdue: bool | None = None,
                include_closed: bool = False) -> str:
        """The visibility query for journeys (codes and flags only)."""
        clauses = [f"WorkflowType = '{JOURNEY_WORKFLOW}'"]
        if not include_closed:
            clauses.append("ExecutionStatus = 'Running'")
        if stage is not None:
            clauses.append(f"{sa.STAGE.name} = '{Stage(stage).value}'")
        if coordinator is not None:
            if not coordinator.replace("-", "").replace("_", "").isalnum():
                raise JourneyError("coordinator id may contain letters, digits, - and _ only")
            clauses.append(f"{sa.COORDINATOR.name} = '{coordinator}'")
        if overdue is not None:
            clauses.append(f"{sa.OVERDUE.name} = {'true' if overdue else 'false'}")
        return " AND ".join(clauses)
