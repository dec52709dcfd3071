"""Security headers on every answer, /docs without a CDN, and an access log without query
strings, over real HTTP (the API process itself for the log)."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import os
import re
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator

import httpx
import pytest_asyncio

from api.app import create_app
from api.dashboard.accounts import Account, Coordinators, hash_password
from api.keys import hash_key
from tests.conftest import ROOT, Harness
from tests.support.api_harness import API_KEY, api_settings, served


@pytest_asyncio.fixture
async def base(dev: Harness) -> AsyncIterator[str]:
    accounts = Coordinators([Account("coord-lin", hash_password("a long password here"))])
    app = create_app(dev.settings, dev.journeys, None,
                     api_settings(coordinators=accounts, session_secret=secrets.token_urlsafe(32)))
    async with served(app) as url:
        yield url


def _hardened(r: httpx.Response) -> None:
    csp = r.headers.get("content-security-policy", "")
    assert "frame-ancestors 'none'" in csp and "default-src" in csp, (r.url, csp)
    assert r.headers.get("x-content-type-options") == "nosniff"
    assert r.headers.get("referrer-policy") == "no-referrer"


async def test_every_answer_carries_the_security_headers_and_personal_ones_are_not_cached(base: str):
    async with httpx.AsyncClient(base_url=base, timeout=30) as web:
        answers = [
            await web.get("/dashboard/login"),
            await web.get("/journeys", headers={"X-API-Key": API_KEY}),
            await web.get("/journeys"),  # 401
            await web.get("/journeys/WJ-2026-000001", headers={"X-API-Key": API_KEY}),  # 404
            await web.post("/webhooks/resend", content=b"{}", headers={"content-type": "application/json"}),
            await web.get("/docs"),
            await web.get("/openapi.json"),
        ]
        for r in answers:
            _hardened(r)
        for r in answers[:5]:
            assert "no-store" in r.headers.get("cache-control", ""), r.url
        # Static files may be cached; they hold nothing personal.
        css = await web.get("/dashboard/static/dashboard.css")
        assert css.status_code == 200 and "no-store" not in css.headers.get("cache-control", "")
        _hardened(css)


async def test_docs_are_served_from_a_package_with_no_cdn(base: str):
    async with httpx.AsyncClient(base_url=base, timeout=30) as web:
        page = await web.get("/docs")
        assert page.status_code == 200
        sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
        assert sources and all(s.startswith("/") and not s.startswith("//") for s in sources), sources
        assert "cdn" not in page.text.lower()
        for source in sources:
            assert (await web.get(source)).status_code == 200, source
        # The page's one inline script is allowed by its hash, nothing else inline.
        [inline] = [s for s in re.findall(r"<script>(.*?)</script>", page.text, flags=re.S)]
        digest = base64.b64encode(hashlib.sha256(inline.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in page.headers["content-security-policy"]
        assert "unsafe-inline" not in page.headers["content-security-policy"].split("style-src")[0]
        assert (await web.get("/redoc")).status_code in (401, 404)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_the_access_log_never_records_a_query_string(dev: Harness, tmp_path):
    port = _free_port()
    secret_in_query = "wpk_" + secrets.token_urlsafe(16)
    env = {**os.environ, "TEMPORAL_ADDRESS": dev.client.service_client.config.target_host,
           "WAYPOINT_TASK_QUEUE": dev.settings.task_queue, "WAYPOINT_API_PORT": str(port),
           "WAYPOINT_API_KEYS": f"test:{hash_key(API_KEY)}", "WAYPOINT_LOG_LEVEL": "INFO",
           "WAYPOINT_CASE_LINK_BASE": "https://portal.waypoint.example/case"}  # no family page here
    for name in ("WAYPOINT_COORDINATORS", "WAYPOINT_SESSION_SECRET"):
        env.pop(name, None)
    log = tmp_path / "api.log"
    with log.open("w") as out:
        process = subprocess.Popen([sys.executable, "-m", "api.app"], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as web:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if (await web.get("/healthz")).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                assert time.monotonic() < deadline and process.poll() is None, log.read_text()
                await asyncio.sleep(0.3)
            r = await web.get(f"/journeys?api_key={secret_in_query}&stage=remote_review")
            assert r.status_code == 401
            r = await web.get("/journeys", params={"coordinator": "coord-lin"}, headers={"X-API-Key": API_KEY})
            assert r.status_code == 200
        await asyncio.sleep(0.5)
    finally:
        process.terminate()
        process.wait(timeout=30)
    text = log.read_text()
    assert "GET /journeys" in text and " 401" in text and " 200" in text  # the requests are logged...
    assert secret_in_query not in text and "coord-lin" not in text and "?" not in text  # ...without their query
