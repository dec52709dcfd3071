"""Sign-in brake and revocable sessions, over real HTTP.

Failed sign-ins are limited per account and per client address: past the limit every attempt
(the right password too) is answered 429 with Retry-After, and the delay grows with each
lockout; the lockout is logged with the account id only. Sessions live on the server: sign-out,
a password change, an idle timeout and "sign out everywhere" end them, so a copied cookie stops
working. The clock the brake and the sessions read is moved forward instead of waiting.
"""

from __future__ import annotations

import logging
import re
import secrets
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI

from api.app import create_app
from api.dashboard.accounts import Account, Coordinators, hash_password
from tests.conftest import Harness, make_case
from tests.support.api_harness import api_settings, served

PASSWORD = "a long dev password " + secrets.token_hex(4)
NEW_PASSWORD = "another long password " + secrets.token_hex(4)
SECRET = secrets.token_urlsafe(32)


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


@dataclass
class Site:
    app: FastAPI
    base: str
    clock: Clock

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.base, timeout=30)


def _app(dev: Harness, store: str, password: str = PASSWORD) -> FastAPI:
    accounts = Coordinators([Account("coord-lin", hash_password(password)), Account("coord-bo", hash_password(password))])
    return create_app(dev.settings, dev.journeys, None,
                      api_settings(coordinators=accounts, session_secret=SECRET, session_store_url=store))


def _with_clock(app: FastAPI) -> Clock:
    clock = Clock()
    app.state.dashboard.clock = clock
    return clock


@pytest_asyncio.fixture
async def site(dev: Harness, tmp_path) -> AsyncIterator[Site]:
    app = _app(dev, f"sqlite:///{tmp_path / 'sessions.sqlite'}")
    clock = _with_clock(app)
    async with served(app) as base:
        yield Site(app, base, clock)


async def sign_in(web: httpx.AsyncClient, account: str = "coord-lin", password: str = PASSWORD) -> httpx.Response:
    page = await web.get("/dashboard/login")
    return await web.post("/dashboard/login", data={"account": account, "password": password,
                                                   "csrf_token": _csrf(page.text)})


async def test_wrong_passwords_hit_a_brake_per_account_with_a_growing_delay(site: Site, caplog):
    caplog.set_level(logging.INFO)
    async with site.client() as web:
        for _ in range(5):
            assert (await sign_in(web, password="wrong")).status_code == 401
        locked = await sign_in(web)  # the right password, right after: still refused
        assert locked.status_code == 429
        first = int(locked.headers["retry-after"])
        assert first > 0 and PASSWORD not in locked.text
        ours = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("waypoint"))
        assert "locked" in ours and "coord-lin" in ours
        assert "127.0.0.1" not in ours and "wrong" not in ours and PASSWORD not in ours
        # Once the delay has passed, five more wrong passwords lock the account again, for longer.
        site.clock.now += first + 1
        assert [(await sign_in(web, password="wrong")).status_code for _ in range(5)] == [401] * 5
        r = await sign_in(web)
        assert r.status_code == 429 and int(r.headers["retry-after"]) > first
        site.clock.now += int(r.headers["retry-after"]) + 1
        assert (await sign_in(web)).status_code == 303  # the right one, after the delay
    # Another account is not held up by coord-lin's lockout.
    async with site.client() as other:
        assert (await sign_in(other, "coord-bo")).status_code == 303


async def test_one_client_address_trying_many_accounts_is_braked_too(site: Site):
    async with site.client() as web:
        codes = [(await sign_in(web, f"coord-x{n:02d}", "wrong")).status_code for n in range(25)]
        assert codes[0] == 401 and codes[-1] == 429
        r = await sign_in(web, "coord-bo")
        assert r.status_code == 429 and int(r.headers["retry-after"]) > 0


async def test_two_api_processes_over_one_session_store_share_the_brake(dev: Harness, tmp_path):
    """Two replicas behind a load balancer: wrong passwords spread over both still lock at five."""
    store = f"sqlite:///{tmp_path / 'sessions.sqlite'}"
    one, two = _app(dev, store), _app(dev, store)
    clock = _with_clock(one)
    two.state.dashboard.clock = clock
    async with served(one) as first, served(two) as second, \
            httpx.AsyncClient(base_url=first, timeout=30) as web_one, \
            httpx.AsyncClient(base_url=second, timeout=30) as web_two:
        codes = [(await sign_in(web_one if n % 2 else web_two, password="wrong")).status_code for n in range(5)]
        assert codes == [401] * 5
        locked = await sign_in(web_two, password="wrong")  # the sixth, on the second replica
        assert locked.status_code == 429 and int(locked.headers["retry-after"]) > 0
        assert (await sign_in(web_one)).status_code == 429  # the right password, on the first: refused
    # A restart of both keeps the lockout (it lives in the session store, not in the process).
    restarted = _app(dev, store)
    restarted.state.dashboard.clock = clock
    async with served(restarted) as base, httpx.AsyncClient(base_url=base, timeout=30) as web:
        assert (await sign_in(web)).status_code == 429


async def test_a_copied_cookie_stops_working_at_sign_out(site: Site, dev: Harness):
    case = make_case(coordinator={"id": "coord-lin"})
    await dev.journeys.start(case)
    ref = case.case_reference
    async with site.client() as web, site.client() as thief:
        assert (await sign_in(web)).status_code == 303
        thief.cookies.update(web.cookies)  # the copied cookie
        page = await thief.get(f"/dashboard/journeys/{ref}")
        assert page.status_code == 200
        stolen_token = _csrf(page.text)
        home = await web.get("/dashboard/")
        assert (await web.post("/dashboard/logout", data={"csrf_token": _csrf(home.text)})).status_code == 303
        r = await thief.get(f"/dashboard/journeys/{ref}")
        assert r.status_code == 303 and "/dashboard/login" in r.headers["location"]
        r = await thief.post(f"/dashboard/journeys/{ref}/pause", data={"reason": "other", "csrf_token": stolen_token})
        assert r.status_code == 303 and r.headers["location"].startswith("/dashboard/login")
        assert not (await dev.journeys.status(ref)).paused


async def test_an_idle_session_ends(site: Site):
    async with site.client() as web:
        assert (await sign_in(web)).status_code == 303
        assert (await web.get("/dashboard/journeys")).status_code == 200
        site.clock.now += 20 * 60  # active again within the idle limit: still signed in
        assert (await web.get("/dashboard/journeys")).status_code == 200
        site.clock.now += 31 * 60
        r = await web.get("/dashboard/journeys")
        assert r.status_code == 303 and "/dashboard/login" in r.headers["location"]


async def test_a_coordinator_can_end_all_their_sessions(site: Site):
    async with site.client() as laptop, site.client() as phone, site.client() as colleague:
        assert (await sign_in(laptop)).status_code == 303
        assert (await sign_in(phone)).status_code == 303
        assert (await sign_in(colleague, "coord-bo")).status_code == 303
        home = await laptop.get("/dashboard/")
        assert 'action="/dashboard/sessions/end-all"' in home.text
        r = await laptop.post("/dashboard/sessions/end-all", data={"csrf_token": _csrf(home.text)})
        assert r.status_code == 303
        for web in (laptop, phone):
            r = await web.get("/dashboard/")
            assert r.status_code == 303 and "/dashboard/login" in r.headers["location"]
        assert (await colleague.get("/dashboard/")).status_code == 200  # someone else's are untouched


async def test_a_password_change_ends_the_sessions_signed_in_with_the_old_one(dev: Harness, tmp_path):
    store = f"sqlite:///{tmp_path / 'sessions.sqlite'}"
    async with served(_app(dev, store)) as base, httpx.AsyncClient(base_url=base) as web:
        assert (await sign_in(web)).status_code == 303
        assert (await web.get("/dashboard/")).status_code == 200
        cookies = dict(web.cookies)
    # The account's password is changed in WAYPOINT_COORDINATORS and the API restarted.
    async with served(_app(dev, store, NEW_PASSWORD)) as base, httpx.AsyncClient(base_url=base) as web:
        web.cookies.update(cookies)
        r = await web.get("/dashboard/")
        assert r.status_code == 303 and "/dashboard/login" in r.headers["location"]
        assert (await sign_in(web, password=NEW_PASSWORD)).status_code == 303


@pytest.mark.parametrize("value", ["", "sqlite:///:memory:"])
def test_the_session_store_setting(value: str):
    from api.app import ApiSettings
    from service.config import Settings

    env = {"WAYPOINT_COORDINATORS": '{"coordinators": [{"id": "coord-lin", "password_hash": "' + hash_password(PASSWORD) + '"}]}',
           "WAYPOINT_SESSION_SECRET": SECRET, "WAYPOINT_SESSION_STORE_URL": value}
    assert ApiSettings.from_settings(Settings.from_env(env)).session_store_url == (value or "sqlite://")
