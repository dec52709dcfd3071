"""The API's health (service/health.py): ``/healthz`` liveness, ``/healthz/ready`` readiness
(Temporal answers; the delivery ledger answers when one is configured). Public, like every
``/healthz`` path (api/guards.py), and outside the OpenAPI schema."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from service.health import Check, ledger_check, readiness, temporal_check

router = APIRouter(include_in_schema=False)


@router.get("/healthz")
async def alive() -> dict[str, str]:
    return {"status": "alive"}


@router.get("/healthz/ready")
async def ready(request: Request) -> JSONResponse:
    checks: dict[str, Check] = {"temporal": temporal_check(request.app.state.journeys.client)}
    if request.app.state.ledger is not None:
        checks["ledger"] = ledger_check(request.app.state.ledger)
    ok, results = await readiness(checks)
    return JSONResponse({"status": "ready" if ok else "not ready", "checks": results}, status_code=200 if ok else 503)
