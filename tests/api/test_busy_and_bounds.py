"""Overload is "busy, retry" (429 with Retry-After), never an outage (5xx); policy durations
have a lower bound. Over real HTTP against the dev server."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest_asyncio

from api.app import create_app
from domain.commands import SetConsent
from domain.status import JourneySummary
from service.journeys import Journeys
from tests.conftest import Harness, case_data, make_case
from tests.support.api_harness import API_KEY, api_settings, served
from tests.support.polling import eventually


@pytest_asyncio.fixture
async def http(dev: Harness) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(dev.settings, dev.journeys, None, api_settings())
    limits = httpx.Limits(max_connections=250)
    async with served(app) as base, httpx.AsyncClient(base_url=base, headers={"X-API-Key": API_KEY}, timeout=120,
                                                      limits=limits) as client:
        yield client


async def test_two_hundred_concurrent_commands_on_one_journey_get_answers_not_outages(http: httpx.AsyncClient,
                                                                                     dev: Harness):
    case = make_case()
    await dev.journeys.start(case)
    ref = case.case_reference
    await eventually(lambda: _running(http, ref))

    async def one(n: int) -> httpx.Response:
        return await http.post(f"/journeys/{ref}/consent", json={"granted": n % 2 == 0})

    answers = await asyncio.gather(*(one(n) for n in range(200)))
    codes = Counter(r.status_code for r in answers)
    assert set(codes) <= {200, 409, 429}, codes
    assert codes[200] > 0
    for r in answers:
        if r.status_code == 429:
            assert int(r.headers["retry-after"]) >= 1 and "busy" in r.json()["detail"]


async def _running(http: httpx.AsyncClient, ref: str) -> bool:
    return (await http.get(f"/journeys/{ref}")).status_code == 200


async def test_temporals_in_flight_update_limit_is_answered_429_busy(dev: Harness):
    # A journey on a task queue no worker polls: its updates stay in flight, so ten of them sent
    # straight to Temporal fill its per-journey limit and the next one is refused by Temporal.
    idle = Journeys(dev.client, f"idle-{uuid.uuid4()}")
    case = make_case()
    await idle.start(case)
    ref = case.case_reference
    handle = idle.handle(ref)

    async def in_flight() -> None:
        with contextlib.suppress(Exception):
            await handle.execute_update("set-consent", SetConsent(granted=True), result_type=JourneySummary,
                                        rpc_timeout=timedelta(seconds=30))

    pending = [asyncio.create_task(in_flight()) for _ in range(10)]
    try:
        await asyncio.sleep(2.0)
        app = create_app(dev.settings, idle, None, api_settings())
        async with served(app) as base, httpx.AsyncClient(base_url=base, headers={"X-API-Key": API_KEY},
                                                          timeout=60) as http:
            r = await http.post(f"/journeys/{ref}/consent", json={"granted": False})
        assert r.status_code == 429, r.text
        assert int(r.headers["retry-after"]) >= 1 and "busy" in r.json()["detail"]
    finally:
        for task in pending:
            task.cancel()
        await handle.terminate(reason="test finished")


async def test_policy_durations_below_a_second_are_refused(http: httpx.AsyncClient):
    for field in ("first_reminder_after", "reminder_interval", "records_deadline"):
        data = case_data(policy={"chase": {field: "PT0.001S"}})
        r = await http.post("/journeys", json=data)
        assert r.status_code == 422 and "policy.chase" in r.json()["detail"] and field in r.json()["detail"], r.text
