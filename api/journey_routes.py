"""The JSON API for backend systems: start journeys, read them, steer them.

Every body is one of the domain's strict models (``domain.commands``, ``domain.case_file``), so
unknown fields and wrong types are refused before anything is sent to Temporal. Coordinator
commands are workflow updates whose validators run the journey's own checks: a refused command
comes back 409 with the validator's message and never reaches history.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from typing import Annotated, Any, TypeVar

from fastapi import (
    APIRouter,
    Body,
    Depends,
    HTTPException,
    Path,
    Query,
    Request,
    Response,
    Security,
)
from fastapi.security import APIKeyHeader
from pydantic import BaseModel, Field, ValidationError

from api.errors import COMMAND, COMMON, JOURNEY, describe_errors
from domain.case_file import CASE_REFERENCE_PATTERN, INTAKE, CaseFile
from domain.appointments import Appointment
from domain.commands import (
    AdvanceStage,
    ApplyMilestone,
    CancelAppointment,
    CloseJourney,
    ExtendFollowUp,
    MarkReplyHandled,
    PauseJourney,
    ReassignJourney,
    RecordAppointmentOutcome,
    RecordDonorTyping,
    RecordReceived,
    RescheduleAppointment,
    ResumeJourney,
    ReviewRecord,
    ScheduleAppointment,
    SetChannelOptOut,
    SetConsent,
    UpdateHandoverItem,
)
from domain.stages import Pathway, Stage
from domain.state import Message, TimelineEntry
from domain.status import JourneyStatus, JourneySummary, RecordLine
from service.journeys import MAX_PAGE_SIZE, Journeys, ListedJourney
from workflows.journey_types import update_name

log = logging.getLogger("waypoint.api")
T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)

# Declares the scheme in the OpenAPI document; api.guards.ApiKeyGuard enforces it before routing.
api_key = APIKeyHeader(name="X-API-Key", auto_error=False, description="an API key from `python -m api.keys new NAME`")



def json_body(request: Request) -> None:
    """415 unless a body-carrying request says it is JSON (runs after routing: 405 comes first)."""
    if request.method in ("POST", "PUT", "PATCH"):
        media = (request.headers.get("content-type") or "").split(";", 1)[0].strip().lower()
        if media != "application/json":
            raise HTTPException(415, "the body must be JSON (Content-Type: application/json)")


router = APIRouter(prefix="/journeys", dependencies=[Security(api_key), Depends(json_body)], responses=COMMON)

CaseReference = Annotated[
    str, Path(pattern=CASE_REFERENCE_PATTERN, description="the case reference, e.g. WJ-2026-0042", max_length=16)
]


class StartedJourney(BaseModel):
    case_reference: str
    workflow_id: str
    created: bool = Field(description="false: the journey already existed and nothing was changed")


class Accepted(BaseModel):
    case_reference: str
    accepted: bool = True


def journeys_of(request: Request) -> Journeys:
    return request.app.state.journeys


async def strictly(request: Request, model: type[M], what: str, context: dict[str, Any] | None = None) -> M:
    """The body validated again in strict mode (no 0 for false, no "3" for 3): FastAPI's first
    pass is lax. Same model, so the OpenAPI schema stays exact."""
    try:
        return model.model_validate_json(await request.body(), strict=True, context=context)
    except ValidationError as err:
        raise HTTPException(422, describe_errors([dict(e) for e in err.errors()], what)) from None


async def answer(request: Request, call: Awaitable[T]) -> T:
    """A Temporal call with a time limit: a journey whose worker is down must not hang the caller."""
    try:
        return await asyncio.wait_for(call, timeout=request.app.state.call_timeout)
    except TimeoutError:
        raise HTTPException(504, "the journey did not answer in time; check its status before retrying") from None


@router.post(
    "",
    status_code=201,
    response_model=StartedJourney,
    responses={200: {"model": StartedJourney, "description": "the journey already existed; nothing changed"},
               **COMMAND},
    summary="Start a journey from a case file (idempotent on the case reference)",
)
async def start_journey(request: Request, response: Response, case: Annotated[CaseFile, Body()]) -> StartedJourney:
    # The body was checked for shape; intake adds the checks that need library data
    # (phone number plans, e-mail rules, time zones), exactly as the CLI does.
    case = await strictly(request, CaseFile, "case file", context=INTAKE)
    started = await answer(request, journeys_of(request).start(case))
    if not started.created:
        response.status_code = 200
    log.info("journey %s %s (key %s)", started.case_reference, "started" if started.created else "already existed",
             getattr(request.state, "api_key_name", "?"))
    return StartedJourney(case_reference=started.case_reference, workflow_id=started.workflow_id, created=started.created)


@router.get("", response_model=list[ListedJourney], summary="List journeys (paged)",
            description="Newest first, a page at a time. The X-Total-Count header gives how many journeys match; "
                        "a Link header with rel=\"next\" gives the next page's address while there is one.")
async def list_journeys(
    request: Request,
    response: Response,
    stage: Stage | None = None,
    pathway: Pathway | None = None,
    coordinator: Annotated[str | None, Query(pattern=r"^[a-z][a-z0-9_-]{1,39}$")] = None,
    overdue: bool | None = None,
    include_closed: bool = False,
    page_size: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = MAX_PAGE_SIZE,
    page: Annotated[str | None, Query(max_length=2000, pattern=r"^[A-Za-z0-9_=-]+$")] = None,
) -> list[ListedJourney]:
    found = await answer(request, journeys_of(request).page(
        stage=stage, pathway=pathway, coordinator=coordinator, overdue=overdue, include_closed=include_closed,
        page=page, page_size=page_size))
    response.headers["X-Total-Count"] = str(found.total)
    if found.next_page:
        following = request.url.include_query_params(page=found.next_page)
        response.headers["Link"] = f'<{following.path}?{following.query}>; rel="next"'
    return found.rows


@router.get("/{case_reference}", response_model=JourneyStatus, responses=JOURNEY, summary="Where a journey stands")
async def journey_status(request: Request, case_reference: CaseReference) -> JourneyStatus:
    return await answer(request, journeys_of(request).status(case_reference))


@router.get("/{case_reference}/timeline", response_model=list[TimelineEntry], responses=JOURNEY)
async def journey_timeline(request: Request, case_reference: CaseReference) -> list[TimelineEntry]:
    return await answer(request, journeys_of(request).timeline(case_reference))


@router.get("/{case_reference}/records", response_model=list[RecordLine], responses=JOURNEY,
            summary="The records checklist (outstanding=true: only what is still awaited)")
async def journey_records(request: Request, case_reference: CaseReference, outstanding: bool = False) -> list[RecordLine]:
    status = await answer(request, journeys_of(request).status(case_reference))
    return [r for r in status.records if not outstanding or r.outstanding]


@router.get("/{case_reference}/messages", response_model=list[Message], responses=JOURNEY,
            summary="Messages and their delivery state")
async def journey_messages(request: Request, case_reference: CaseReference) -> list[Message]:
    return await answer(request, journeys_of(request).messages(case_reference))


@router.post("/{case_reference}/records/received", status_code=202, response_model=Accepted,
             responses={**JOURNEY, **COMMAND}, summary="A document store reports a record (a fact: never refused)")
async def record_received(request: Request, case_reference: CaseReference, event: RecordReceived) -> Accepted:
    event = await strictly(request, RecordReceived, "record", context=INTAKE)
    await answer(request, journeys_of(request).report_record_received(case_reference, event))
    return Accepted(case_reference=case_reference)


def as_the_key(request: Request, cmd: BaseModel) -> BaseModel:
    """An API key acts as itself: the actor is ``key:<its name>``; a person the caller named in
    ``by`` (or ``claimed_by``) is kept beside it as claimed, never taken as the actor."""
    name = getattr(request.state, "api_key_name", None)
    if name is None or "by" not in type(cmd).model_fields:
        return cmd
    named = getattr(cmd, "claimed_by", None) or getattr(cmd, "by", None)
    claimed = named if named and not named.startswith("key:") else None
    return cmd.model_copy(update={"by": f"key:{name}", "claimed_by": claimed})


async def _command(request: Request, case_reference: str, cmd: BaseModel) -> JourneySummary:
    cmd = as_the_key(request, await strictly(request, type(cmd), "command", context=INTAKE))
    async with request.app.state.command_gate.turn(case_reference):
        summary = await answer(request, journeys_of(request).command(case_reference, cmd))
    log.info("journey %s: %s applied (key %s)", case_reference, update_name(cmd),
             getattr(request.state, "api_key_name", "?"))
    return summary


CMD: dict[str, Any] = {"response_model": JourneySummary, "responses": {**JOURNEY, **COMMAND}}


@router.post("/{case_reference}/records/decisions", summary="Accept, reject (with a reason) or waive a record", **CMD)
async def review_record(request: Request, case_reference: CaseReference, cmd: ReviewRecord) -> JourneySummary:
    return await _command(request, case_reference, cmd)


@router.post("/{case_reference}/milestones", summary="Record a milestone", **CMD)
async def apply_milestone(request: Request, case_reference: CaseReference, cmd: ApplyMilestone) -> JourneySummary:
    return await _command(request, case_reference, cmd)


@router.post("/{case_reference}/stage", summary="Move to the next stage (refused when not ready)", **CMD)
async def advance_stage(request: Request, case_reference: CaseReference, cmd: AdvanceStage) -> JourneySummary:
    return await _command(request, case_reference, cmd)


@router.post("/{case_reference}/pause", summary="Pause: every clock waits", **CMD)
async def pause(request: Request, case_reference: CaseReference, cmd: PauseJourney) -> JourneySummary:
    return await _command(request, case_reference, cmd)


@router.post("/{case_reference}/resume", summary="Resume a paused journey", **CMD)
async def resume(request: Request, case_reference: CaseReference, cmd: ResumeJourney) -> JourneySummary:
    return await _command(request, case_reference, cmd)


@router.post("/{case_reference}/close", summary="Close for good: no automated message goes out after this", **CMD)
async def close(request: Request, case_reference: CaseReference, cmd: CloseJourney) -> JourneySummary:
    return await _command(request, case_reference, cmd)


@router.post("/{case_reference}/consent", summary="Record or withdraw consent to inform the local team", **CMD)
async def consent(request: Request, case_reference: CaseReference, cmd: SetConsent) -> JourneySummary:
    return await _command(request, case_reference, cmd)


@router.post("/{case_reference}/channel-preferences", summary="Stop or restart a channel for a guardian", **CMD)
async def channel_preferences(request: Request, case_reference: CaseReference, cmd: SetChannelOptOut) -> JourneySummary:
    return await _command(request, case_reference, cmd)


@router.post("/{case_reference}/coordinator", summary="Reassign the journey to another coordinator", **CMD)
async def reassign(request: Request, case_reference: CaseReference, cmd: ReassignJourney) -> JourneySummary:
    return await _command(request, case_reference, cmd)


# -- timekeeping after the records -------------------------------------------------------------


@router.get("/{case_reference}/appointments", response_model=list[Appointment], responses=JOURNEY,
            summary="Upcoming appointments, soonest first (times are aware; the venue's zone is given)")
async def journey_appointments(request: Request, case_reference: CaseReference) -> list[Appointment]:
    return (await answer(request, journeys_of(request).status(case_reference))).appointments


@router.post("/{case_reference}/appointments", summary="Book an appointment (the venue's local time)", **CMD)
async def schedule_appointment(request: Request, case_reference: CaseReference, cmd: ScheduleAppointment) -> JourneySummary:
    return await _command(request, case_reference, cmd)


@router.post("/{case_reference}/appointments/reschedule", summary="Move an appointment to a new time", **CMD)
async def reschedule_appointment(request: Request, case_reference: CaseReference, cmd: RescheduleAppointment) -> JourneySummary:
    return await _command(request, case_reference, cmd)


@router.post("/{case_reference}/appointments/cancel", summary="Cancel an appointment (the family is told)", **CMD)
async def cancel_appointment(request: Request, case_reference: CaseReference, cmd: CancelAppointment) -> JourneySummary:
    return await _command(request, case_reference, cmd)


@router.post("/{case_reference}/appointments/outcome", summary="Mark an appointment done or missed", **CMD)
async def appointment_outcome(request: Request, case_reference: CaseReference, cmd: RecordAppointmentOutcome) -> JourneySummary:
    return await _command(request, case_reference, cmd)


@router.post("/{case_reference}/donor-typing", summary="A relative's HLA typing moved on (transplant)", **CMD)
async def donor_typing(request: Request, case_reference: CaseReference, cmd: RecordDonorTyping) -> JourneySummary:
    return await _command(request, case_reference, cmd)


@router.post("/{case_reference}/handover", summary="A handover item received, sent, acknowledged or waived", **CMD)
async def handover_item(request: Request, case_reference: CaseReference, cmd: UpdateHandoverItem) -> JourneySummary:
    return await _command(request, case_reference, cmd)


@router.post("/{case_reference}/follow-up/extend", summary="More follow-up check-ins before the journey completes itself", **CMD)
async def extend_follow_up(request: Request, case_reference: CaseReference, cmd: ExtendFollowUp) -> JourneySummary:
    return await _command(request, case_reference, cmd)


@router.post("/{case_reference}/replies/handled", summary="Mark a family's reply handled by a person", **CMD)
async def reply_handled(request: Request, case_reference: CaseReference, cmd: MarkReplyHandled) -> JourneySummary:
    return await _command(request, case_reference, cmd)
