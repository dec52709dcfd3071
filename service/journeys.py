"""The client side of a journey, shared by the CLI, the HTTP API, the dashboard and the demo.

Inputs are validated with the domain models before anything is sent, so bad input changes
nothing; refusals from a journey's validators come back as ``CommandRefused`` with the
validator's own message.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import re
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Generic, TypeVar

from pydantic import BaseModel
from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import (
    Client,
    WorkflowExecution,
    WorkflowExecutionStatus,
    WorkflowHandle,
    WorkflowUpdateFailedError,
)
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from domain.case_file import CASE_REFERENCE_PATTERN, CaseFile
from domain.commands import RecordReceived
from domain.digest import APPOINTMENT_SOON, DEADLINE_SOON, JourneyDigest, Reason, digest_of_status, reasons
from domain.stages import Pathway, Stage
from domain.state import Message, TimelineEntry
from domain.status import JourneyStatus, JourneySummary
from service.config import QUERY_ATTEMPT_TIMEOUT, QUERY_ATTEMPTS, WORKER_SEEN_WITHIN
from workflows import search_attributes as sa
from workflows.journey_types import (
    DIGEST_MEMO,
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
Row = TypeVar("Row")
MAX_PAGE_SIZE = 500


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


@dataclass
class Page(Generic[Row]):
    """One page of a listing: its rows, how many match in all, and the token of the next page."""

    rows: list[Row]
    total: int
    next_page: str | None = None


@dataclass
class NeedsPerson:
    """A family on Today and why."""

    digest: JourneyDigest
    reasons: list[Reason] = field(default_factory=list)

    @property
    def case_reference(self) -> str:
        return self.digest.case_reference

    @property
    def coordinator(self) -> str:
        return self.digest.coordinator

    @property
    def stage(self) -> str:
        return self.digest.stage.value


def _token(raw: bytes | None) -> str | None:
    return base64.urlsafe_b64encode(raw).decode() if raw else None


def _raw_token(token: str | None) -> bytes | None:
    if not token:
        return None
    try:
        return base64.urlsafe_b64decode(token.encode())
    except (binascii.Error, ValueError):
        raise JourneyError("not a page token from this listing") from None


def _check_reference(case_reference: str) -> str:
    if not re.fullmatch(CASE_REFERENCE_PATTERN, case_reference):
        raise JourneyError("not a case reference (expected the form WJ-2026-0001)")
    return case_reference


class Journeys:
    def __init__(self, client: Client, task_queue: str, worker_seen_within: timedelta = WORKER_SEEN_WITHIN) -> None:
        self.client = client
        self.task_queue = task_queue
        self.worker_seen_within = worker_seen_within
        self._pollers_seen: dict[str, float] = {}

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

    # One call per command: the server's own answer says whether the journey does not exist or
    # is closed (see _call), so nothing is asked first.
    async def report_record_received(self, case_reference: str, event: RecordReceived) -> None:
        await self.signal(case_reference, event)

    async def signal(self, case_reference: str, fact: BaseModel) -> None:
        """Tell an open journey a fact (the signal is chosen by the fact's type)."""
        await self._call(case_reference, lambda h: h.signal(signal_name(fact), fact))

    async def command(self, case_reference: str, cmd: BaseModel) -> JourneySummary:
        """Send a coordinator command (the update is chosen by the command's type)."""
        return await self._call(
            case_reference, lambda h: h.execute_update(update_name(cmd), cmd, result_type=JourneySummary)
        )

    async def query(self, case_reference: str, name: Query, result_type: type[T], attempts: int = QUERY_ATTEMPTS,
                    args: tuple[Any, ...] = ()) -> T:
        """A query, each attempt given less time than a worker's sticky queue (service/config.py):
        an attempt that times out clears the dead worker's stickiness, and the next one is then
        answered by a live worker from the journey's committed history."""
        for _ in range(attempts):
            try:
                return await self._call(case_reference, lambda h: h.query(
                    name.value, args=list(args), result_type=result_type, rpc_timeout=QUERY_ATTEMPT_TIMEOUT))
            except RPCError as err:
                if err.status not in (RPCStatusCode.DEADLINE_EXCEEDED, RPCStatusCode.CANCELLED) and \
                        "Timeout expired" not in err.message:
                    raise
        raise JourneyBusy(f"journey {case_reference} did not answer in time (workers restarting?); try again")

    async def status(self, case_reference: str) -> JourneyStatus:
        """Where the journey stands, in full: asked of the journey by query (each attempt shorter
        than a worker's sticky queue), and only while a worker polls the journey's task queue, so a
        query never waits for a worker that starts meanwhile (the race in
        docs/investigations/replay-divergence-after-worker-kill/). Without a worker: JourneyBusy;
        ``digest`` still answers. Journeys that published their full status (started before the
        digest) are read as before: from that memo, or by query while a task is pending."""
        description = await self._call(case_reference, lambda h: h.describe())
        published = await description.memo_value(STATUS_MEMO, None, type_hint=JourneyStatus)
        if published is not None:
            pending = description.raw_description.HasField("pending_workflow_task")
            if not pending or description.status != WorkflowExecutionStatus.RUNNING:
                return published
            try:
                return await self.query(case_reference, Query.STATUS, JourneyStatus, attempts=1)
            except JourneyBusy:
                return published
        if not await self._worker_polls(description.task_queue):
            raise JourneyBusy(f"journey {case_reference} has no worker to answer (workers restarting?); try again")
        return await self.query(case_reference, Query.STATUS, JourneyStatus)

    async def digest(self, case_reference: str) -> JourneyDigest | None:
        """The compact status the journey publishes (stage, flags, why it needs a person): one
        call, no worker needed. None before the journey's first task."""
        description = await self._call(case_reference, lambda h: h.describe())
        return await _digest_of(description)

    async def _worker_polls(self, task_queue: str, settle: float = 1.0) -> bool:
        """Whether a worker polled this workflow task queue lately (``worker_seen_within``). A
        positive answer is kept 2 s; a negative one is asked again for up to ``settle`` seconds (a
        worker that has just started may not have polled yet)."""
        now = time.monotonic()
        seen = self._pollers_seen.get(task_queue)
        if seen is not None and now - seen < 2:
            return True
        deadline = now + settle
        while True:
            try:
                answer = await self.client.workflow_service.describe_task_queue(DescribeTaskQueueRequest(
                    namespace=self.client.namespace, task_queue=TaskQueue(name=task_queue),
                    task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW))
            except RPCError as err:
                if err.status == RPCStatusCode.UNIMPLEMENTED:  # a server that cannot tell (the test server)
                    return True
                raise
            recent = time.time() - self.worker_seen_within.total_seconds()
            if any(p.last_access_time.ToSeconds() >= recent for p in answer.pollers):
                self._pollers_seen[task_queue] = time.monotonic()
                return True
            if time.monotonic() >= deadline:
                return False
            await asyncio.sleep(0.2)


    async def messages(self, case_reference: str, attempts: int = QUERY_ATTEMPTS) -> list[Message]:
        return await self.query(case_reference, Query.MESSAGES, list[Message], attempts)

    async def timeline(self, case_reference: str, attempts: int = QUERY_ATTEMPTS) -> list[TimelineEntry]:
        return await self.query(case_reference, Query.TIMELINE, list[TimelineEntry], attempts)

    async def page(self, stage: Stage | None = None, pathway: Pathway | None = None, coordinator: str | None = None,
                   overdue: bool | None = None, include_closed: bool = False, reference_prefix: str | None = None,
                   page: str | None = None, page_size: int = 100) -> Page[ListedJourney]:
        """One page of journeys (newest first, every filter in the visibility query) and how many
        match in all: two calls, whatever the number of journeys."""
        query = self.listing_query(stage, coordinator, overdue, include_closed, pathway, reference_prefix)
        rows, token, total = await self._listed(query, page, page_size)
        return Page([_listed_journey(wf) for wf in rows], total, token)

    async def find(self, stage: Stage | None = None, coordinator: str | None = None, overdue: bool | None = None,
                   include_closed: bool = False, pathway: Pathway | None = None) -> list[ListedJourney]:
        """Every matching journey, page after page, by case reference (for the CLI and scripts)."""
        found: list[ListedJourney] = []
        token: str | None = None
        while True:
            page = await self.page(stage, pathway, coordinator, overdue, include_closed, page=token, page_size=MAX_PAGE_SIZE)
            found += page.rows
            token = page.next_page
            if token is None:
                return sorted(found, key=lambda j: j.case_reference)

    async def counts_by_stage(self, coordinator: str | None = None) -> dict[str, int]:
        """Open journeys per stage: one count per stage, together."""
        stages = list(Stage)
        totals = await asyncio.gather(*(
            self.client.count_workflows(self.listing_query(stage=st, coordinator=coordinator)) for st in stages))
        return {st.value: c.count for st, c in zip(stages, totals, strict=True) if c.count}

    async def today(self, now: datetime, coordinator: str | None = None, page: str | None = None,
                    page_size: int = 100) -> Page[NeedsPerson]:
        """The families that need a person (domain/digest.py), selected by the listing query itself
        (the flag, or a records deadline within a week of ``now``), a page at a time with the
        total. Journeys that published no digest yet (started before it) are in the query too and
        kept only when their published status says they need a person."""
        soon = (now + DEADLINE_SOON).astimezone().isoformat()
        appointment_soon = (now + APPOINTMENT_SOON).astimezone().isoformat()
        query = (f"{self.listing_query(coordinator=coordinator)} AND ({sa.NEEDS_PERSON.name} = '{sa.needs_person_value(True)}'"
                 f" OR {sa.RECORDS_DEADLINE.name} <= '{soon}' OR {sa.NEXT_APPOINTMENT.name} <= '{appointment_soon}'"
                 f" OR {sa.NEEDS_PERSON.name} IS NULL)")
        rows, token, total = await self._listed(query, page, page_size)
        people: list[NeedsPerson] = []
        for wf in rows:
            found = await _digest_of(wf)
            why = reasons(found, now) if found is not None else []
            if found is not None and why:
                people.append(NeedsPerson(found, why))
        return Page(sorted(people, key=lambda p: p.case_reference), total, token)


    async def _listed(self, query: str, page: str | None, page_size: int) -> tuple[list[WorkflowExecution], str | None, int]:
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise JourneyError(f"page size must be between 1 and {MAX_PAGE_SIZE}")
        listing = self.client.list_workflows(query, page_size=page_size, next_page_token=_raw_token(page))
        counted = asyncio.ensure_future(self.client.count_workflows(query))
        try:
            await listing.fetch_next_page()
        except RPCError as err:
            counted.cancel()
            # A token this server never issued (tampered, or from another listing) is refused by
            # it as invalid, or fails to decode there (reported as unknown or internal).
            if page is not None and err.status in (RPCStatusCode.INVALID_ARGUMENT, RPCStatusCode.UNKNOWN,
                                                   RPCStatusCode.INTERNAL):
                raise JourneyError("not a page of this listing; start again without page") from None
            raise
        except BaseException:
            counted.cancel()
            raise
        total = (await counted).count
        return list(listing.current_page or []), _token(listing.next_page_token), total

    @staticmethod
    def listing_query(stage: Stage | None = None, coordinator: str | None = None, overdue: bool | None = None,
                      include_closed: bool = False, pathway: Pathway | None = None,
                      reference_prefix: str | None = None) -> str:
        """The visibility query for journeys (codes and flags only)."""
        clauses = [f"WorkflowType = '{JOURNEY_WORKFLOW}'"]
        if not include_closed:
            clauses.append("ExecutionStatus = 'Running'")
        if stage is not None:
            clauses.append(f"{sa.STAGE.name} = '{Stage(stage).value}'")
        if pathway is not None:
            clauses.append(f"{sa.PATHWAY.name} = '{Pathway(pathway).value}'")
        if coordinator is not None:
            if not coordinator.replace("-", "").replace("_", "").isalnum():
                raise JourneyError("coordinator id may contain letters, digits, - and _ only")
            clauses.append(f"{sa.COORDINATOR.name} = '{coordinator}'")
        if overdue is not None:
            clauses.append(f"{sa.OVERDUE.name} = {'true' if overdue else 'false'}")
        if reference_prefix:
            if not re.fullmatch(r"[A-Z0-9-]{1,20}", reference_prefix):
                raise JourneyError("a case reference search may contain capital letters, digits and - only")
            clauses.append(f"{sa.CASE_REFERENCE.name} STARTS_WITH '{reference_prefix}'")
        return " AND ".join(clauses)


def _listed_journey(wf: WorkflowExecution) -> ListedJourney:
    attrs = wf.typed_search_attributes
    return ListedJourney(
        case_reference=attrs.get(sa.CASE_REFERENCE) or wf.id.removeprefix(WORKFLOW_ID_PREFIX),
        stage=attrs.get(sa.STAGE) or "?",
        pathway=attrs.get(sa.PATHWAY) or "?",
        coordinator=attrs.get(sa.COORDINATOR) or "?",
        overdue=bool(attrs.get(sa.OVERDUE)),
        paused=bool(attrs.get(sa.PAUSED)),
        needs_attention=bool(attrs.get(sa.NEEDS_ATTENTION)),
        status=wf.status.name.lower() if wf.status else "unknown",
    )


async def _digest_of(wf: WorkflowExecution) -> JourneyDigest | None:
    """The digest a journey published, or the one made from its full status (journeys started
    before the digest); None if it published neither yet."""
    found = await wf.memo_value(DIGEST_MEMO, None, type_hint=JourneyDigest)
    if found is not None:
        return found
    status = await wf.memo_value(STATUS_MEMO, None, type_hint=JourneyStatus)
    return digest_of_status(status) if status is not None else None
