"""Error answers: one JSON shape (``{"detail": "..."}``), never the submitted values.

Values can be personal data (names, numbers, addresses), so validation errors name the field and
the rule only; a field name that does not look like one of ours is not repeated either.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match, Route
from temporalio.service import RPCError, RPCStatusCode

from api.command_gate import RETRY_AFTER_SECONDS, JourneyBusyNow

from service.journeys import CommandRefused, JourneyBusy, JourneyClosed, JourneyError, JourneyNotFound

log = logging.getLogger("waypoint.api")

_FIELD = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]{0,39}$")


class ErrorBody(BaseModel):
    """Every 4xx/5xx answer: one sentence naming the field and the rule, never a value."""

    detail: str


def error(status: int, detail: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"detail": detail}, status_code=status, headers=headers)


def _where(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) if isinstance(p, int) or _FIELD.match(str(p)) else "<key>" for p in loc]
    return ".".join(parts)


def describe_errors(errors: list[dict[str, Any]], what: str = "request", limit: int = 3) -> str:
    """Like ``domain.validation.describe``, for FastAPI's error lists (which carry the input)."""
    parts = []
    for e in errors[:limit]:
        if e.get("type") == "json_invalid":
            parts.append("body: not valid JSON")
            continue
        loc = list(e.get("loc") or [])
        where = _where(loc) or what
        parts.append(f"{where}: {e.get('msg', 'invalid')}")
    more = f" (+{len(errors) - limit} more)" if len(errors) > limit else ""
    return f"invalid {what}: " + "; ".join(parts) + more


# Responses every API route may give, for the OpenAPI document.
Responses = dict[int | str, dict[str, Any]]
COMMON: Responses = {
    401: {"model": ErrorBody, "description": "missing or invalid API key"},
    413: {"model": ErrorBody, "description": "body larger than the limit"},
    422: {"model": ErrorBody, "description": "malformed request (the field and the rule are named)"},
    503: {"model": ErrorBody, "description": "Temporal is unreachable; retry later"},
}
JOURNEY: Responses = {404: {"model": ErrorBody, "description": "no journey with that case reference"}}
COMMAND: Responses = {
    409: {"model": ErrorBody, "description": "refused by the journey (the validator's message), or closed"},
    429: {"model": ErrorBody, "description": "the journey is busy with other commands; retry after Retry-After seconds"},
    415: {"model": ErrorBody, "description": "the body must be application/json"},
}


def install(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        return error(422, describe_errors(list(exc.errors())))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = exc.detail if isinstance(exc.detail, str) else "request refused"
        headers = dict(getattr(exc, "headers", None) or {})
        if exc.status_code == 400 and detail == "There was an error parsing the body":
            return error(422, "invalid request: body: not valid JSON (UTF-8)")
        if exc.status_code == 405:
            # Every method the path supports, not just those of the first route that matched.
            methods = sorted({m for route in app.router.routes if isinstance(route, Route)
                              and route.matches(request.scope)[0] != Match.NONE for m in (route.methods or ())})
            headers["Allow"] = ", ".join(methods)
        return error(exc.status_code, detail, headers=headers or None)

    @app.exception_handler(JourneyNotFound)
    async def _not_found(request: Request, exc: JourneyNotFound) -> JSONResponse:
        return error(404, str(exc))

    @app.exception_handler(JourneyClosed)
    async def _closed(request: Request, exc: JourneyClosed) -> JSONResponse:
        return error(409, str(exc))

    @app.exception_handler(CommandRefused)
    async def _refused(request: Request, exc: CommandRefused) -> JSONResponse:
        return error(409, str(exc))

    @app.exception_handler(JourneyError)
    async def _journey_error(request: Request, exc: JourneyError) -> JSONResponse:
        return error(422, str(exc))

    @app.exception_handler(JourneyBusy)
    async def _busy(request: Request, exc: JourneyBusy) -> JSONResponse:
        return error(503, str(exc), headers={"Retry-After": "5"})

    @app.exception_handler(JourneyBusyNow)
    async def _busy_now(request: Request, exc: JourneyBusyNow) -> JSONResponse:
        return busy(str(exc))

    @app.exception_handler(RPCError)
    async def _rpc(request: Request, exc: RPCError) -> JSONResponse:
        log.warning("Temporal call failed: %s", exc.status.name if exc.status else "unknown")
        if journey_busy(exc):
            return busy("the journey is busy with other commands; retry shortly")
        return error(503, "the journey service is unavailable; try again shortly", headers={"Retry-After": "5"})


def journey_busy(exc: RPCError) -> bool:
    """Temporal's per-journey limits (updates in flight): the journey is busy, the service is not."""
    return exc.status == RPCStatusCode.RESOURCE_EXHAUSTED


def busy(detail: str) -> JSONResponse:
    return error(429, detail, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})
