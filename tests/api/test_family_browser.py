"""The family page in headless Debian Chromium at phone width, in English, Russian and Arabic
(right to left), opened from the link in a real message in the outbox, served over real HTTP
around a real worker. Screenshots go to test-output/screenshots/family/."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
import pytest_asyncio
from sqlalchemy import update

from messaging.links import links as links_table
from tests.api.test_dashboard_browser import browser  # noqa: F401 - the same Chromium fixture
from tests.conftest import ROOT, Harness, make_case
from tests.support.family import COORDINATOR_PASSWORD, FamilySite, family_site, not_a_record, pdf, sealed_files, token_from_outbox
from tests.support.polling import eventually

pytestmark = pytest.mark.browser

SHOTS = ROOT / "test-output" / "screenshots" / "family"
PASSWORD = COORDINATOR_PASSWORD
UPLOAD_LIMIT = 64 * 1024  # small, so "too large" is quick to show
PHONE = {"width": 390, "height": 844}

# What each language must say (from its catalog), so a fallback to English would fail the test.
SAYS = {
    "en": {"needed": "Records still needed", "wrong": "is not a PDF, a photo or a DICOM file",
           "large": "is too large", "not_valid": "This link does not open a page", "fresh": "A new link"},
    "ru": {"needed": "Какие документы ещё нужны", "wrong": "не PDF, не фотография и не файл DICOM",
           "large": "слишком большой", "not_valid": "Эта ссылка больше не открывает страницу", "fresh": "Новая ссылка"},
    "ar": {"needed": "المستندات التي ما زلنا نحتاجها", "wrong": "ليس ملف PDF ولا صورة ولا ملف DICOM",
           "large": "كبير جدًا", "not_valid": "هذا الرابط لا يفتح أي صفحة", "fresh": "رابط جديد"},
}


@pytest_asyncio.fixture
async def site(dev: Harness) -> AsyncIterator[FamilySite]:
    async with family_site(dev, upload_max_bytes=UPLOAD_LIMIT) as running:
        yield running


async def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


async def record_status(site: FamilySite, ref: str, record: str) -> str:
    status = await site.harness.journeys.status(ref)
    return next(r.status.value for r in status.records if r.record_type.value == record)


@pytest.mark.parametrize("language", ["en", "ru", "ar"])
async def test_a_guardian_opens_the_link_and_sends_a_record(site: FamilySite, browser, language: str):
    says = SAYS[language]
    guardian = {"name": "Test Guardian", "language": language, "timezone": "UTC", "email": "guardian@example.org",
                "channels": ["email"]}
    case = make_case(pathway="second_opinion", guardians=[guardian], coordinator={"id": site.coordinator},
                     record_holders={"blood_counts": "family"})
    ref = case.case_reference
    await site.harness.journeys.start(case)
    token = await eventually(lambda: token_from_outbox(site.harness, ref))

    context = await browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = await context.new_page()
    problems: list[str] = []
    # Refusals answer 4xx on purpose; what must never appear is a resource the CSP refused.
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" and "Failed to load resource" not in m.text
            else None)
    page.on("pageerror", lambda e: problems.append(str(e)))

    # The page from the message: the guardian's language and direction, what is missing.
    await page.goto(f"{site.base}/family/{token}")
    html = page.locator("html")
    assert await html.get_attribute("lang") == language
    assert await html.get_attribute("dir") == ("rtl" if language == "ar" else "ltr")
    assert says["needed"] in await page.locator("#needed").inner_text()
    assert await page.locator("li.record[data-record='pathology'][data-status='requested']").count() == 1
    assert await page.locator("[data-testid=for-doctors]").count() == 1  # the words for the doctors
    assert await page.locator(".steps li[aria-current=step][data-stage='remote_review']").count() == 1
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page is {width}px wide in a {PHONE['width']}px window"
    await shot(page, f"{language}-01-page")

    # A file of the wrong type, then one too large: refused in their language, nothing changes.
    imaging = page.locator("li.record[data-record='imaging']")
    await imaging.locator("input[type=file]").set_input_files(
        [{"name": "scan.pdf", "mimeType": "application/pdf", "buffer": not_a_record()}])
    await imaging.locator("button[type=submit]").click()
    refused = page.locator("[data-testid=refused]")
    await refused.wait_for()
    assert says["wrong"] in await refused.inner_text()
    await shot(page, f"{language}-02-wrong-type")
    imaging = page.locator("li.record[data-record='imaging']")
    await imaging.locator("input[type=file]").set_input_files(
        [{"name": "big.pdf", "mimeType": "application/pdf", "buffer": pdf(UPLOAD_LIMIT + 1)}])
    await imaging.locator("button[type=submit]").click()
    await page.locator("[data-testid=refused] [data-problem=too_large]").wait_for()
    assert says["large"] in await page.locator("[data-testid=refused]").inner_text()
    await shot(page, f"{language}-03-too-large")
    assert await record_status(site, ref, "imaging") == "requested"
    assert site.parts.documents.index.of_case(ref) == []

    # One record sent: the page thanks them and lists it as received.
    await page.goto(f"{site.base}/family/{token}")
    pathology = page.locator("li.record[data-record='pathology']")
    await pathology.locator("input[type=file]").set_input_files(
        [{"name": "pathology.pdf", "mimeType": "application/pdf", "buffer": pdf()}])
    await pathology.locator("button[type=submit]").click()
    await page.wait_for_url(f"{site.base}/family/{token}?sent=pathology")
    await page.locator("[data-testid=sent]").wait_for()
    assert await page.locator(".have li[data-record='pathology'][data-status='received']").count() == 1
    assert await page.locator("li.record[data-record='pathology']").count() == 0
    await shot(page, f"{language}-04-sent")

    # Stored as ciphertext on disk.
    (stored,) = sealed_files(site.documents_dir)
    raw = stored.read_bytes()
    assert raw.startswith(b"WPD1") and b"%PDF" not in raw

    # The coordinator's dashboard shows it received, with the document to download.
    desk = await browser.new_context(viewport={"width": 1280, "height": 900})
    dash = await desk.new_page()
    await dash.goto(f"{site.base}/dashboard/journeys/{ref}")
    await dash.fill("input[name=account]", site.coordinator)
    await dash.fill("input[name=password]", PASSWORD)
    await dash.click("form[action='/dashboard/login'] button[type=submit]")
    await dash.wait_for_url(f"{site.base}/dashboard/journeys/{ref}")
    assert await dash.locator("tr[data-record='pathology']").get_attribute("data-status") == "received"
    assert await dash.locator("[data-testid=family-documents] li[data-record='pathology']").count() == 1
    await shot(dash, f"{language}-05-dashboard-received")
    await desk.close()

    # A forged token, and this one once expired: the same page, offering a fresh link.
    await page.goto(f"{site.base}/family/{secrets.token_urlsafe(16)}?lang={language}")
    assert says["not_valid"] in await page.locator("[data-testid=not-valid]").inner_text()
    await shot(page, f"{language}-06-forged")
    with site.parts.links.engine.begin() as conn:
        conn.execute(update(links_table).where(links_table.c.case_reference == ref)
                     .values(expires_at=datetime.now(UTC) - timedelta(minutes=1)))
    await page.goto(f"{site.base}/family/{token}")
    assert says["not_valid"] in await page.locator("[data-testid=not-valid]").inner_text()
    assert await html.get_attribute("dir") == ("rtl" if language == "ar" else "ltr")
    await shot(page, f"{language}-07-expired")
    await page.click("form[action$='/fresh'] button[type=submit]")
    assert says["fresh"] in await page.locator("[data-testid=fresh-sent]").inner_text()
    await shot(page, f"{language}-08-fresh-link-sent")
    fresh = await eventually(lambda: [p for p in site.harness.outbox_files(ref) if p.name.startswith("family_link")])
    assert len(fresh) == 1

    assert not problems, f"errors in the page (a strict CSP refusing something?): {problems}"
    await context.close()
