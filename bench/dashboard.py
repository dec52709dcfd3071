"""The coordinator's views at scale: the server filled to N open journeys (one in ten for the
dev dashboard account ``coord-lin``; one in twenty needing a person from the start), the real
API process (python -m api.app), and Today, the Journeys list and GET /journeys timed over HTTP.
Also checks that Today names every family of coord-lin that needs a person."""

from __future__ import annotations

import asyncio
import re
import shlex
import statistics
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urljoin

import httpx
from temporalio.client import Client

from api import dev_defaults
from bench import cases, drive, processes
from bench.processes import Process
from service.journeys import Journeys

NEEDS_PERSON_EVERY = 20
REPEATS = 5
VIEWS = (
    ("Today, one coordinator", "dashboard", "/dashboard/?scope=mine"),
    ("Today, everyone", "dashboard", "/dashboard/?scope=all"),
    ("Journeys list, everyone", "dashboard", "/dashboard/journeys?scope=all"),
    ("Journeys list, one coordinator", "dashboard", "/dashboard/journeys?scope=mine"),
    ("GET /journeys", "api", "/journeys"),
    ("GET /journeys?coordinator=coord-lin", "api", f"/journeys?coordinator={cases.DASHBOARD_COORDINATOR}"),
    ("GET /journeys?stage=remote_review&pathway=second_opinion", "api",
     "/journeys?stage=remote_review&pathway=second_opinion"),
)
_REF = re.compile(r"WJ-\d{4}-\d{3,6}")


def _log(text: str) -> None:
    print(f"[dashboard] {text}", file=sys.stderr, flush=True)


async def _open_journeys(client: Client) -> int:
    return (await client.count_workflows("WorkflowType = 'journey' AND ExecutionStatus = 'Running'")).count


async def _fill(client: Client, address: str, work: Path, target: int, concurrency: int) -> list[int]:
    """Starts journeys until ``target`` are open; returns the numbers started (every 20th with all
    its records in hand, so it needs a person: records ready for review)."""
    open_now = await _open_journeys(client)
    missing = target - open_now
    if missing <= 0:  # a server this benchmark filled before (--work-dir): the same families
        return list(range(100_001, 100_001 + open_now))
    task_queue = f"bench-dashboard-{uuid.uuid4().hex[:8]}"
    worker = processes.start_worker("dashboard worker", ["worker.py"], address, task_queue, work / "outbox-dashboard",
                                    work / "worker-dashboard.log")
    journeys = Journeys(client, task_queue)
    numbers = list(range(100_001, 100_001 + missing))
    step = max(1, missing // 10)

    async def start(n: int) -> drive.Driven:
        await journeys.start(cases.case(n, all_records_in_hand=n % NEEDS_PERSON_EVERY == 0))
        return drive.Driven(cases.reference(n), 0)

    try:
        _log(f"starting {missing} journeys to reach {target} open")
        await drive.drive_all(numbers, concurrency, start, lambda k: k % step == 0 and _log(f"{k} started"))
        # Each journey's first task publishes what the views read and sends its first messages:
        # wait until every journey has written to the outbox (or an hour has passed).
        outbox, deadline, shown = work / "outbox-dashboard", time.monotonic() + 3600, 0
        while time.monotonic() < deadline:
            worker.check_alive()
            done = sum(1 for _ in outbox.iterdir()) if outbox.exists() else 0
            if done >= len(numbers):
                break
            if done - shown >= step:
                _log(f"{done} through their first task")
                shown = done
            await asyncio.sleep(2)
    finally:
        worker.stop()
    return numbers


def _credentials(env_file: Path) -> dict[str, str]:
    values: dict[str, str] = {}
    for line in env_file.read_text().splitlines():
        if "=" in line and not line.startswith("#"):
            name, value = line.split("=", 1)
            values[name] = shlex.split(value)[0]
    return values


async def _login(http: httpx.AsyncClient, password: str) -> None:
    page = await http.get("/dashboard/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token, "no CSRF token on the login page"
    done = await http.post("/dashboard/login", data={"csrf_token": token.group(1), "account": cases.DASHBOARD_COORDINATOR,
                                                     "password": password, "next": "/dashboard/"})
    assert done.status_code == 303, f"dashboard sign-in failed ({done.status_code})"


async def _timed(http: httpx.AsyncClient, path: str) -> tuple[float, httpx.Response]:
    began = time.monotonic()
    page = await http.get(path)
    return time.monotonic() - began, page


async def _walk(http: httpx.AsyncClient, first: httpx.Response) -> list[httpx.Response]:
    """A view's pages, following rel="next" links (headers or HTML) to the end."""
    pages, url = [first], first.links.get("next", {}).get("url") or _next_link(first)
    while url and len(pages) < 1000:
        page = await http.get(urljoin(str(first.url), url))
        pages.append(page)
        url = page.links.get("next", {}).get("url") or _next_link(page)
    return pages


def _html_total(response: httpx.Response) -> str | None:
    found = re.search(r'data-testid="total">\((\d+)\)', response.text) if "html" in response.headers.get("content-type", "") else None
    return found.group(1) if found else None


def _next_link(response: httpx.Response) -> str | None:
    if "html" not in response.headers.get("content-type", ""):
        return None
    found = re.search(r'<a[^>]*rel="next"[^>]*href="([^"]+)"', response.text) or \
        re.search(r'<a[^>]*href="([^"]+)"[^>]*rel="next"', response.text)
    return found.group(1).replace("&amp;", "&") if found else None


async def measure(client: Client, server: Process, address: str, work: Path, target: int, concurrency: int,
                  already: list[int]) -> dict:
    started = await _fill(client, address, work, target, concurrency)
    open_now = await _open_journeys(client)
    # Families of coord-lin that need a person: the driven ones (records ready for review) and
    # the ones started with every record in hand.
    needing = {cases.reference(n) for n in [*already, *(n for n in started if n % NEEDS_PERSON_EVERY == 0)]
               if cases.coordinator_of(n) == cases.DASHBOARD_COORDINATOR}
    credentials = {**_credentials(dev_defaults.ensure(work)), **_credentials(dev_defaults.ensure_document_keys(work))}
    port = processes.free_port()
    api = processes.spawn("API", [sys.executable, "-m", "api.app"], work / "api.log", {
        "TEMPORAL_ADDRESS": address, "WAYPOINT_API_PORT": str(port), "WAYPOINT_LOG_LEVEL": "WARNING",
        "WAYPOINT_OUTBOX_DIR": str(work / "outbox-api"), "WAYPOINT_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        "WAYPOINT_FAMILY_DB": f"sqlite:///{work / 'family.sqlite'}", "WAYPOINT_DOCUMENT_STORE": f"folder:{work / 'documents'}",
        "WAYPOINT_LEDGER_URL": f"sqlite:///{work / 'ledger.sqlite'}", **credentials})
    base = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(base_url=base, timeout=120, headers={"X-API-Key": credentials["WAYPOINT_DEV_API_KEY"]}) as http:
            for _ in range(100):
                try:
                    if (await http.get("/healthz")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                api.check_alive()
                await asyncio.sleep(0.3)
            await _login(http, credentials["WAYPOINT_DEV_PASSWORD"])
            views = []
            for label, kind, path in VIEWS:
                timings = []
                for _ in range(REPEATS):
                    seconds, first = await _timed(http, path)
                    timings.append(seconds)
                    assert first.status_code == 200, f"{path}: {first.status_code}"
                total = first.headers.get("X-Total-Count") or _html_total(first)
                view = {"view": label, "path": path, "median_s": statistics.median(timings), "max_s": max(timings),
                        "first_page_bytes": len(first.content),
                        "first_page_rows": len(first.json()) if kind == "api" else None,
                        "has_next_page": bool(first.links.get("next") or _next_link(first)),
                        "total": int(total) if total else None}
                if path == "/dashboard/?scope=mine":
                    pages = await _walk(http, first)  # every page, once: is anyone missing?
                    shown = {ref for p in pages for ref in _REF.findall(p.text)}
                    view["pages"] = len(pages)
                    view["needing_a_person"] = len(needing)
                    view["missing_from_today"] = len(needing - shown)
                views.append(view)
                _log(f"{label}: median {view['median_s']:.2f} s over {REPEATS}")
    finally:
        api.stop()
    return {"open_journeys": open_now, "for_one_coordinator": sum(
        1 for n in [*already, *started] if cases.coordinator_of(n) == cases.DASHBOARD_COORDINATOR), "views": views}


def table(figures: dict) -> str:
    lines = [f"\n{figures['open_journeys']} open journeys, {figures['for_one_coordinator']} for {cases.DASHBOARD_COORDINATOR}",
             "| view | median (s) | max (s) | first page bytes | first page rows | next page | total | on Today / needing a person |",
             "|---|---|---|---|---|---|---|---|"]
    for v in figures["views"]:
        today = (f"{v['needing_a_person'] - v['missing_from_today']} / {v['needing_a_person']}"
                 if "needing_a_person" in v else "")
        rows = "" if v["first_page_rows"] is None else v["first_page_rows"]
        lines.append(f"| {v['view']} | {v['median_s']:.2f} | {v['max_s']:.2f} | {v['first_page_bytes']} | {rows} | "
                     f"{'yes' if v['has_next_page'] else 'no'} | {'' if v['total'] is None else v['total']} | {today} |")
    return "\n".join(lines)
