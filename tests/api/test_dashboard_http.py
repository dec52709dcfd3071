"""Dashboard sign-in, session and CSRF over real HTTP (no browser needed for these rules)."""

from __future__ import annotations

import re
import secrets

import httpx
import pytest

from api.app import create_app
from api.dashboard.accounts import Account, Coordinators, hash_password
from service.journeys import Journeys
from tests.support.api_harness import api_settings, served
from tests.conftest import Harness, make_case
from tests.support.polling import eventually
from worker import build_worker
from workflows.journey_types import DIGEST_MEMO

PASSWORD = "a long dev password " + secrets.token_hex(4)


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


async def test_sign_in_csrf_and_sign_out(dev: Harness):
    accounts = Coordinators([Account("coord-lin", hash_password(PASSWORD), "zh")])
    app = create_app(dev.settings, dev.journeys, None,
                     api_settings(coordinators=accounts, session_secret=secrets.token_urlsafe(32)))
    case = make_case(coordinator={"id": "coord-lin"})
    await dev.journeys.start(case)
    ref = case.case_reference
    async with served(app) as base, httpx.AsyncClient(base_url=base) as web:
        r = await web.get(f"/dashboard/journeys/{ref}")
        assert r.status_code == 303 and r.headers["location"].startswith("/dashboard/login?next=")
        page = await web.get("/dashboard/login")
        assert 'lang="en"' in page.text
        # A sign-in without the form's token is refused, as is a wrong password.
        r = await web.post("/dashboard/login", data={"account": "coord-lin", "password": PASSWORD})
        assert r.status_code == 403
        page = await web.get("/dashboard/login")
        r = await web.post("/dashboard/login", data={"account": "coord-lin", "password": "wrong", "csrf_token": _csrf(page.text)})
        assert r.status_code == 401 and PASSWORD not in r.text
        r = await web.post("/dashboard/login", data={"account": "coord-lin", "password": PASSWORD,
                                                    "csrf_token": _csrf(page.text), "next": f"/dashboard/journeys/{ref}"})
        assert r.status_code == 303 and r.headers["location"] == f"/dashboard/journeys/{ref}"
        cookie = r.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=lax" in cookie
        page = await web.get(f"/dashboard/journeys/{ref}")
        assert page.status_code == 200 and ref in page.text
        token = _csrf(page.text)
        # An action without (or with a wrong) CSRF token changes nothing.
        for data in ({"reason": "other"}, {"reason": "other", "csrf_token": "forged"}):
            r = await web.post(f"/dashboard/journeys/{ref}/pause", data=data)
            assert r.status_code == 403
        assert not (await dev.journeys.status(ref)).paused
        r = await web.post(f"/dashboard/journeys/{ref}/pause", data={"reason": "other", "csrf_token": token})
        assert r.status_code == 303 and (await dev.journeys.status(ref)).paused
        # Closing without the confirmation step only asks; nothing is closed.
        r = await web.post(f"/dashboard/journeys/{ref}/close", data={"reason": "other", "csrf_token": token})
        assert r.status_code == 200 and 'name="confirm" value="yes"' in r.text
        assert not (await dev.journeys.status(ref)).closed
        # Open redirects are not followed; sign-out ends the session.
        r = await web.get("/dashboard/lang", params={"to": "zh", "next": "https://evil.example/"})
        assert r.headers["location"] == "/dashboard/"
        page = await web.get("/dashboard/")
        assert 'lang="zh-Hans"' in page.text and "今天需要人工处理的家庭" in page.text
        r = await web.post("/dashboard/logout", data={"csrf_token": _csrf(page.text)})
        assert r.status_code == 303
        r = await web.get("/dashboard/")
        assert r.status_code == 303 and "/dashboard/login" in r.headers["location"]


def test_coordinator_accounts_from_configuration(tmp_path):
    hashed = hash_password(PASSWORD)
    toml = tmp_path / "coordinators.toml"
    toml.write_text(f'[[coordinators]]\nid = "coord-lin"\npassword_hash = \'{hashed}\'\nlanguage = "zh"\n')
    accounts = Coordinators.load(str(toml))
    assert accounts.authenticate("coord-lin", PASSWORD).language == "zh"
    assert accounts.authenticate("coord-lin", PASSWORD + "x") is None
    assert accounts.authenticate("coord-nobody", PASSWORD) is None
    assert hashed not in repr(accounts)
    with pytest.raises(ValueError, match="argon2"):
        Coordinators.load('{"coordinators": [{"id": "coord-lin", "password_hash": "plain"}]}')


async def test_milestones_from_the_dashboard_move_a_journey_on(dev: Harness):
    """A coordinator can record the review outcome and advance without leaving the dashboard;
    a milestone missing its details is refused with the journey's own message."""
    accounts = Coordinators([Account("coord-lin", hash_password(PASSWORD), "en")])
    app = create_app(dev.settings, dev.journeys, None,
                     api_settings(coordinators=accounts, session_secret=secrets.token_urlsafe(32)))
    case = make_case(coordinator={"id": "coord-lin"})
    ref = case.case_reference
    await dev.journeys.start(case)
    for line in (await dev.journeys.status(ref)).records:
        if line.status.value == "requested":
            from domain.commands import ReviewRecord

            await dev.journeys.command(ref, ReviewRecord(record_type=line.record_type, decision="waive"))
    async with served(app) as base, httpx.AsyncClient(base_url=base) as web:
        page = await web.get("/dashboard/login")
        await web.post("/dashboard/login", data={"account": "coord-lin", "password": PASSWORD, "csrf_token": _csrf(page.text)})
        page = await web.get(f"/dashboard/journeys/{ref}")
        assert 'data-testid="milestone"' in page.text and 'value="review_started"' in page.text
        token = _csrf(page.text)

        async def post(path: str, **data: str) -> httpx.Response:
            return await web.post(f"/dashboard/journeys/{ref}/{path}", data={"csrf_token": token, **data})

        r = await post("milestone", milestone="review_outcome")
        assert r.status_code == 409 and "needs review_started first" in r.text
        assert (await post("milestone", milestone="review_started")).status_code == 303
        r = await post("milestone", milestone="review_outcome", outcome="", pathway="")
        assert r.status_code == 409 and "needs: outcome" in r.text
        r = await post("milestone", milestone="review_outcome", outcome="proceed_to_eligibility", pathway="car_t", note="from the dashboard")
        assert r.status_code == 303 and r.headers["location"].endswith("?done=apply-milestone")
        assert (await post("stage", to_stage="eligibility")).status_code == 303
        status = await dev.journeys.status(ref)
        assert status.stage.value == "eligibility" and status.pathway.value == "car_t"
        assert {"review_started", "review_outcome"} <= set(status.milestones_done)


async def test_the_journey_page_shows_the_published_digest_while_no_worker_runs(dev_env, settings):
    """Workers down: the page still opens on the digest the journey last published (stage, flags,
    reasons) and says that the detail cannot be read, instead of failing."""
    accounts = Coordinators([Account("coord-lin", hash_password(PASSWORD), "en")])
    journeys = Journeys(dev_env.client, settings.task_queue)
    case = make_case(coordinator={"id": "coord-lin"})
    ref = case.case_reference

    async def published() -> bool:
        return await (await journeys.handle(ref).describe()).memo_value(DIGEST_MEMO, None) is not None

    try:
        async with build_worker(dev_env.client, settings):
            await journeys.start(case)
            await eventually(published)
        app = create_app(settings, journeys, None, api_settings(coordinators=accounts, session_secret=secrets.token_urlsafe(32)))
        async with served(app) as base, httpx.AsyncClient(base_url=base, timeout=30) as web:
            page = await web.get("/dashboard/login")
            await web.post("/dashboard/login", data={"account": "coord-lin", "password": PASSWORD, "csrf_token": _csrf(page.text)})
            page = await web.get(f"/dashboard/journeys/{ref}")
            assert page.status_code == 200, page.text
            assert 'data-testid="partial"' in page.text and 'data-testid="stage"' in page.text
    finally:
        await journeys.handle(ref).terminate(reason="test finished")


async def test_a_coordinator_books_and_moves_an_appointment_and_sees_it_on_the_journey_and_today(dev: Harness):
    from datetime import UTC, datetime, timedelta  # noqa: PLC0415

    accounts = Coordinators([Account("coord-lin", hash_password(PASSWORD), "en")])
    app = create_app(dev.settings, dev.journeys, None,
                     api_settings(coordinators=accounts, session_secret=secrets.token_urlsafe(32)))
    case = make_case(coordinator={"id": "coord-lin"})
    await dev.journeys.start(case)
    ref = case.case_reference
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).astimezone().strftime("%Y-%m-%dT%H:%M")
    async with served(app) as base, httpx.AsyncClient(base_url=base) as web:
        page = await web.get("/dashboard/login")
        await web.post("/dashboard/login", data={"account": "coord-lin", "password": PASSWORD, "csrf_token": _csrf(page.text)})
        page = await web.get(f"/dashboard/journeys/{ref}")
        assert 'data-testid="book-appointment"' in page.text and "In this stage for 0 days" in page.text
        token = _csrf(page.text)
        # A time in the past is refused with the journey's own words, and nothing is booked.
        r = await web.post(f"/dashboard/journeys/{ref}/appointments", data={
            "csrf_token": token, "action": "book", "kind": "video_consultation", "starts_at": "2020-01-01T09:00",
            "venue_timezone": "Asia/Shanghai"})
        assert r.status_code == 409 and "in the past" in r.text
        assert (await dev.journeys.status(ref)).appointments == []
        r = await web.post(f"/dashboard/journeys/{ref}/appointments", data={
            "csrf_token": token, "action": "book", "kind": "video_consultation", "starts_at": tomorrow,
            "venue_timezone": "Asia/Shanghai", "place": "GZ-HOSP-3"})
        assert r.status_code == 303 and "done=schedule-appointment" in r.headers["location"]
        page = await web.get(r.headers["location"])
        assert 'data-appointment="A1"' in page.text and "GZ-HOSP-3" in page.text and "calendar invitation" in page.text
        r = await web.post(f"/dashboard/journeys/{ref}/appointments", data={
            "csrf_token": token, "action": "move", "appointment_id": "A1",
            "starts_at": (datetime.now(UTC) + timedelta(days=1, hours=3)).astimezone().strftime("%Y-%m-%dT%H:%M")})
        assert r.status_code == 303
        assert (await dev.journeys.status(ref)).appointments[0].sequence == 1
        # An appointment within two days puts the family on Today, with its stage's age.
        async def on_today() -> str | None:
            text = (await web.get("/dashboard/?scope=mine")).text
            return text if f'data-case="{ref}"' in text and "next-appointment" in text else None
        today = await eventually(on_today, timeout=30)
        assert "an appointment within two days" in today and "in this stage for 0 days" in today
