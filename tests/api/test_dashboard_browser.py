"""The coordinator dashboard in headless Debian Chromium (Playwright, never a downloaded browser),
served over real HTTP against the Temporal dev server. Screenshots go to test-output/screenshots/."""

from __future__ import annotations

import asyncio
import os
import secrets
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import pytest_asyncio

from api.app import create_app
from api.dashboard.accounts import Account, Coordinators, hash_password
from domain.state import MessageStatus
from tests.support.polling import eventually
from tests.support.api_harness import api_settings, served
from tests.conftest import ROOT, Harness, case_data, make_case


pytestmark = pytest.mark.browser

SHOTS = ROOT / "test-output" / "screenshots"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
PASSWORD = "correct horse battery " + secrets.token_hex(4)


def chromium() -> str:
    path = os.environ.get("WAYPOINT_CHROMIUM_BIN") or "/usr/bin/chromium"
    if not Path(path).exists():
        pytest.fail("Debian chromium is missing: run scripts/ensure-chromium.sh (scripts/test.sh does)")
    return path


@dataclass
class Site:
    base: str
    coordinator: str
    harness: Harness


@pytest_asyncio.fixture
async def site(dev: Harness) -> AsyncIterator[Site]:
    coordinator = f"coord-{uuid.uuid4().hex[:8]}"
    accounts = Coordinators([Account(coordinator, hash_password(PASSWORD), "en")])
    app = create_app(dev.settings, dev.journeys, None,
                     api_settings(coordinators=accounts, session_secret=secrets.token_urlsafe(32)))
    async with served(app) as base:
        yield Site(base, coordinator, dev)


@pytest_asyncio.fixture
async def browser() -> AsyncIterator[object]:
    from playwright.async_api import async_playwright  # noqa: PLC0415

    async with async_playwright() as pw:
        b = await pw.chromium.launch(executable_path=chromium(), args=CHROMIUM_ARGS)
        yield b
        await b.close()


def quiet_now() -> dict[str, str]:
    """Quiet hours around the current UTC time, so family messages wait (deferred, not dropped)."""
    now = datetime.now(UTC)
    return {"start": (now - timedelta(hours=2)).strftime("%H:00"), "end": (now + timedelta(hours=3)).strftime("%H:00")}


async def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


async def sign_in(page, site: Site) -> None:
    await page.goto(site.base + "/dashboard/")
    assert "/dashboard/login" in page.url
    await shot(page, "01-sign-in")
    await page.fill("input[name=account]", site.coordinator)
    await page.fill("input[name=password]", PASSWORD)
    await page.click("form[action='/dashboard/login'] button[type=submit]")
    await page.wait_for_url(site.base + "/dashboard/")


async def test_a_coordinator_runs_the_day_from_the_dashboard(site: Site, browser):
    guardian = {"name": "Test Guardian", "language": "en", "timezone": "UTC", "email": "guardian@example.org",
                "channels": ["email"], "quiet_hours": quiet_now()}
    # The local team (with consent) is asked at once and chased until it escalates; the family's
    # own request waits for the end of its quiet hours (and nothing is chased before it went out).
    team = {**case_data()["local_team"], "consent": True}
    case = make_case(
        pathway="second_opinion", guardians=[guardian], coordinator={"id": site.coordinator}, local_team=team,
        policy={"chase": {"first_reminder_after": "PT1S", "reminder_interval": "PT1S", "escalate_after_reminders": 1}},
    )
    calm = make_case(coordinator={"id": site.coordinator})
    ref = case.case_reference
    journeys = site.harness.journeys
    await journeys.start(case)
    await journeys.start(calm)
    await eventually(lambda: _overdue(journeys, ref))

    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    await sign_in(page, site)

    # Today: the overdue family is there with its reason; the calm one is not.
    card = page.locator(f"li.card[data-case='{ref}']")
    await card.wait_for()
    assert await card.locator("[data-reason='r_overdue']").count() == 1
    assert await page.locator(f"li.card[data-case='{calm.case_reference}']").count() == 0
    await shot(page, "02-today")

    # Journeys by stage, with counts; search by case reference opens the journey.
    await page.click("nav a[href='/dashboard/journeys']")
    await page.click("a[href='/dashboard/journeys?scope=mine']")
    assert "2" in await page.locator("a[data-stage='remote_review'] b").inner_text()
    await shot(page, "03-journeys")
    await page.fill("form[role=search] input[name=q]", ref.lower())
    await page.press("form[role=search] input[name=q]", "Enter")
    await page.wait_for_url(f"{site.base}/dashboard/journeys/{ref}")

    # One journey: the picture comes from the transition table; mark an overdue record received.
    assert await page.locator("[data-testid=picture] li[data-stage='remote_review'][data-state='current']").count() == 1
    assert await page.locator("[data-testid=picture] li[data-stage='follow_up'][data-state='ahead']").count() == 1
    row = page.locator("tr[data-record='imaging']")
    assert await row.get_attribute("data-status") == "requested"
    assert await row.locator("[data-testid=pending-reminder]").count() == 1
    await shot(page, "04-journey")
    await row.locator("select[name=action]").select_option("received")
    await row.locator("button[type=submit]").click()
    await page.wait_for_url(f"{site.base}/dashboard/journeys/{ref}?done=received")
    row = page.locator("tr[data-record='imaging']")
    assert await row.get_attribute("data-status") == "received"
    assert await row.locator("[data-testid=pending-reminder]").count() == 0
    assert await page.locator("tr[data-record='pathology'] [data-testid=pending-reminder]").count() == 1
    status = await journeys.status(ref)
    imaging = next(r for r in status.records if r.record_type.value == "imaging")
    assert imaging.status.value == "received" and imaging.next_reminder_at is None

    # A refused stage change shows the validator's message, and the stage stays.
    await page.select_option("[data-testid=advance] select[name=to_stage]", "follow_up")
    await page.click("[data-testid=advance] button[type=submit]")
    refused = page.locator("[data-testid=refused]")
    await refused.wait_for()
    assert "cannot move to follow_up yet: needs" in await refused.inner_text()
    assert (await journeys.status(ref)).stage.value == "remote_review"
    await shot(page, "05-refused-stage-change")

    # Closing asks for confirmation; cancelling changes nothing.
    await page.select_option("[data-testid=close] select[name=reason]", "family_declined")
    await page.click("[data-testid=close] button[type=submit]")
    await page.locator("[data-testid=confirm-close]").wait_for()
    await shot(page, "06-confirm-close")
    await page.click("[data-testid=confirm-close] a.button")
    await page.wait_for_url(f"{site.base}/dashboard/journeys/{ref}")
    assert not (await journeys.status(ref)).closed
    pending_family = [m for m in await journeys.messages(ref)
                      if m.recipient.startswith("guardian") and m.status == MessageStatus.SCHEDULED]
    assert pending_family, "the family's messages should be waiting for the end of quiet hours"

    await page.select_option("[data-testid=close] select[name=reason]", "family_declined")
    await page.click("[data-testid=close] button[type=submit]")
    await page.click("[data-testid=confirm-close] button[type=submit]")
    await page.wait_for_url(f"{site.base}/dashboard/journeys/{ref}?done=close")
    assert await page.locator("[data-testid=closed]").count() == 1
    assert await page.locator("[data-testid=close]").count() == 0  # no more actions
    await shot(page, "07-closed")

    # The journey then sends nothing: what waited is cancelled, and nothing reaches the outbox.
    files = len(site.harness.outbox_files(ref))
    await asyncio.sleep(3)
    messages = await journeys.messages(ref)
    for waiting in pending_family:
        assert next(m for m in messages if m.key == waiting.key).status == MessageStatus.CANCELLED
    assert not [m for m in messages if m.status in (MessageStatus.SCHEDULED, MessageStatus.SENDING)]
    assert not [m for m in messages if m.recipient.startswith("guardian") and m.status == MessageStatus.SENT]
    assert len(site.harness.outbox_files(ref)) == files

    # The Chinese UI, and a phone-sized window.
    await page.click("a.lang[lang='zh']")
    await page.wait_for_url(f"{site.base}/dashboard/journeys/{ref}?done=close")
    assert await page.locator("html").get_attribute("lang") == "zh-Hans"
    assert "已结案" in await page.locator("[data-testid=closed]").inner_text()
    await shot(page, "08-journey-zh")
    phone = await browser.new_context(viewport={"width": 380, "height": 800}, is_mobile=True,
                                      storage_state=await context.storage_state())
    small = await phone.new_page()
    await small.goto(f"{site.base}/dashboard/journeys/{calm.case_reference}")
    width = await small.evaluate("document.documentElement.scrollWidth")
    assert width <= 400, f"the page is {width}px wide in a 380px window"
    await shot(small, "09-journey-phone")
    await small.goto(f"{site.base}/dashboard/")
    await shot(small, "10-today-phone")

    # Sign out: the pages need a sign-in again.
    await page.click("header form[action='/dashboard/logout'] button")
    await page.wait_for_url(f"{site.base}/dashboard/login")
    await page.goto(f"{site.base}/dashboard/journeys/{ref}")
    assert "/dashboard/login" in page.url
    await phone.close()
    await context.close()


async def _overdue(journeys, ref: str) -> bool:
    return (await journeys.status(ref)).overdue
