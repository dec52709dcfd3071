"""The family page over real HTTP, around a real worker on the Temporal dev server: the link
comes from a real message in the outbox; what the page does reaches the journey."""

from __future__ import annotations

import asyncio
import logging
import secrets
import socket
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest_asyncio
import uvicorn
from sqlalchemy import update

from api.app import create_app
from messaging.links import links as links_table
from tests.support.api_harness import api_settings
from tests.conftest import Harness, make_case
from tests.support.family import (
    COORDINATOR_PASSWORD,
    FamilySite,
    dicom_zip,
    family_site,
    not_a_record,
    pdf,
    png,
    sealed_files,
    token_from_outbox,
)
from tests.support.polling import eventually

PASSWORD = COORDINATOR_PASSWORD


@pytest_asyncio.fixture
async def site(dev: Harness) -> AsyncIterator[FamilySite]:
    async with family_site(dev) as running:
        yield running


def guardian(language: str = "en", **extra: object) -> dict[str, object]:
    return {"name": "Test Guardian", "language": language, "timezone": "UTC", "email": "guardian@example.org",
            "channels": ["email"], **extra}


async def started_with_link(site: FamilySite, language: str = "en", **case: object) -> tuple[str, str]:
    """A journey whose guardian got a record request; returns (case reference, token)."""
    made = make_case(guardians=[guardian(language)], coordinator={"id": site.coordinator}, **case)
    await site.harness.journeys.start(made)
    token = await eventually(lambda: token_from_outbox(site.harness, made.case_reference))
    return made.case_reference, token


async def status_of(site: FamilySite, ref: str, record: str) -> str:
    status = await site.harness.journeys.status(ref)
    return next(r.status.value for r in status.records if r.record_type.value == record)


async def test_a_guardian_sends_a_record_through_the_link_in_their_message(site: FamilySite):
    ref, token = await started_with_link(site, "ru")
    async with httpx.AsyncClient(base_url=site.base) as http:
        page = await http.get(f"/family/{token}")
        assert page.status_code == 200
        assert page.headers["referrer-policy"] == "no-referrer"
        assert 'lang="ru"' in page.text and ref in page.text
        assert 'data-record="pathology" data-status="requested"' in page.text
        assert "Какие документы ещё нужны" in page.text
        # Only the guardian's own channels are offered (this one has e-mail, no phone).
        assert 'data-channel="email"' in page.text and 'data-channel="sms"' not in page.text
        sent = await http.post(f"/family/{token}/records/pathology",
                               files=[("files", ("scan.pdf", pdf(), "application/pdf")),
                                      ("files", ("photo.png", png(), "image/png"))])
        assert sent.status_code == 303 and sent.headers["location"] == f"/family/{token}?sent=pathology"
    assert await status_of(site, ref, "pathology") == "received"
    entries = site.parts.documents.index.of_case(ref)
    assert [(e.record_type, e.kind, e.sent_by) for e in entries] == [("pathology", "pdf", "guardian-1"),
                                                                     ("pathology", "png", "guardian-1")]
    # Stored sealed: neither the PDF's bytes nor its header are on disk in the clear.
    stored = sealed_files(site.documents_dir)
    assert len(stored) == 2
    for path in stored:
        raw = path.read_bytes()
        assert raw.startswith(b"WPD1") and b"%PDF" not in raw and b"PNG" not in raw
    # The journey carries the document ids, nothing else.
    timeline = await site.harness.journeys.timeline(ref)
    assert {e.detail.get("document_id") for e in timeline if e.kind == "record_received"} == {
        e.document_id for e in entries}


async def test_refused_uploads_change_nothing(site: FamilySite):
    ref, token = await started_with_link(site, "ar")
    limit = site.harness.settings.family.upload_max_bytes
    async with httpx.AsyncClient(base_url=site.base) as http:
        wrong = await http.post(f"/family/{token}/records/imaging",
                                files=[("files", ("scan.pdf", not_a_record(), "application/pdf"))])
        assert wrong.status_code == 415
        assert 'data-problem="wrong_type"' in wrong.text and 'dir="rtl"' in wrong.text
        assert "ليس ملف PDF" in wrong.text
        large = await http.post(f"/family/{token}/records/imaging",
                                files=[("files", ("big.pdf", pdf(limit + 1), "application/pdf"))])
        assert large.status_code == 413 and 'data-problem="too_large"' in large.text
        # One good file and one bad: nothing of the upload is kept.
        mixed = await http.post(f"/family/{token}/records/imaging",
                                files=[("files", ("ok.zip", dicom_zip(), "application/zip")),
                                       ("files", ("bad.pdf", b"", "application/pdf"))])
        assert mixed.status_code == 422 and 'data-problem="empty"' in mixed.text
        none = await http.post(f"/family/{token}/records/imaging", files=[])
        assert none.status_code == 400
    assert await status_of(site, ref, "imaging") == "requested"
    assert site.parts.documents.index.of_case(ref) == []
    assert sealed_files(site.documents_dir) == []


async def test_forged_expired_revoked_and_other_families_tokens(site: FamilySite):
    ref, token = await started_with_link(site, "en", pathway="car_t")
    other, other_token = await started_with_link(site, "en", pathway="second_opinion")
    forged = secrets.token_urlsafe(16)  # the shape of a real token
    async with httpx.AsyncClient(base_url=site.base) as http:
        refused_forged = await http.get(f"/family/{forged}")
        assert refused_forged.status_code == 404 and 'data-testid="not-valid"' in refused_forged.text
        upload = await http.post(f"/family/{forged}/records/pathology",
                                 files=[("files", ("a.pdf", pdf(), "application/pdf"))])
        assert upload.status_code == 403
        # Another family's token opens only their own page: never this case, nor its items.
        theirs = await http.get(f"/family/{other_token}")
        assert other in theirs.text and ref not in theirs.text
        not_theirs = await http.post(f"/family/{other_token}/records/organ_function_labs",
                                     files=[("files", ("a.pdf", pdf(), "application/pdf"))])
        assert not_theirs.status_code == 409 and 'data-problem="not_asked"' in not_theirs.text

        # Expired: the same page as a forged token, offering a fresh link.
        with site.parts.links.engine.begin() as conn:
            conn.execute(update(links_table).where(links_table.c.case_reference == ref)
                         .values(expires_at=datetime.now(UTC) - timedelta(minutes=1)))
        expired = await http.get(f"/family/{token}")
        assert expired.status_code == 404
        assert expired.text.replace(token, "T") == refused_forged.text.replace(forged, "T")
        late = await http.post(f"/family/{token}/records/pathology",
                               files=[("files", ("a.pdf", pdf(), "application/pdf"))])
        assert late.status_code == 403

        # A fresh link is sent once to the guardian's own channel; asking again within the hour
        # (or with a forged token) gets the same answer and sends nothing.
        before = len(site.harness.outbox_files(ref))
        asked = (token, token, forged)
        answers = [await http.post(f"/family/{t}/fresh", data={}) for t in asked]
        assert len({a.text.replace(t, "T") for a, t in zip(answers, asked, strict=True)}) == 1
        assert all(a.status_code == 200 for a in answers)
        fresh = await eventually(lambda: [p for p in site.harness.outbox_files(ref) if p.name.startswith("family_link")])
        assert len(fresh) == 1 and len(site.harness.outbox_files(ref)) == before + 1
        new_token = token_from_outbox(site.harness, ref)
        assert new_token not in (None, token)
        assert (await http.get(f"/family/{new_token}")).status_code == 200

        # Revoked by the coordinator: the link stops working at once.
        assert site.parts.links.revoke(ref, datetime.now(UTC)) >= 1
        assert (await http.get(f"/family/{new_token}")).status_code == 404
    assert await status_of(site, ref, "pathology") == "requested"
    assert site.parts.documents.index.of_case(ref) == []


async def test_a_guardian_stops_and_restarts_a_channel(site: FamilySite):
    ref, token = await started_with_link(site, "en")
    async with httpx.AsyncClient(base_url=site.base) as http:
        stop = await http.post(f"/family/{token}/channels", data={"channel": "email", "keyword": "stop"})
        assert stop.status_code == 303
        await eventually(lambda: _opted_out(site, ref))
        confirmation = await eventually(lambda: [p for p in site.harness.outbox_files(ref)
                                                 if p.name.startswith("opt_out_confirmation")])
        assert len(confirmation) == 1
        await http.post(f"/family/{token}/channels", data={"channel": "email", "keyword": "stop"})
        page = await http.get(f"/family/{token}")
        assert 'name="keyword" value="start"' in page.text
        await http.post(f"/family/{token}/channels", data={"channel": "email", "keyword": "start"})
        await eventually(lambda: _opted_in(site, ref))
    assert len([p for p in site.harness.outbox_files(ref) if p.name.startswith("opt_out_confirmation")]) == 1


async def _opted_out(site: FamilySite, ref: str) -> bool:
    return "email" in (await site.harness.journeys.status(ref)).opted_out.get("guardian-1", [])


async def _opted_in(site: FamilySite, ref: str) -> bool:
    return not await _opted_out(site, ref)


async def test_only_a_signed_in_coordinator_downloads_and_it_is_audited(site: FamilySite):
    ref, token = await started_with_link(site, "en")
    original = pdf(5000)
    async with httpx.AsyncClient(base_url=site.base) as http:
        await http.post(f"/family/{token}/records/pathology", files=[("files", ("a.pdf", original, "application/pdf"))])
        (entry,) = site.parts.documents.index.of_case(ref)
        # Nobody without a coordinator's sign-in: not the family's link, not an API caller.
        anonymous = await http.get(f"/dashboard/documents/{entry.document_id}")
        assert anonymous.status_code == 303 and "/dashboard/login" in anonymous.headers["location"]
        assert (await http.get(f"/family/{token}/documents/{entry.document_id}")).status_code in (404, 405)
        login = await http.get("/dashboard/login")
        csrf = login.text.split('name="csrf_token" value="')[1].split('"')[0]
        await http.post("/dashboard/login", data={"csrf_token": csrf, "account": site.coordinator,
                                                  "password": PASSWORD, "next": "/dashboard/"})
        journey = await http.get(f"/dashboard/journeys/{ref}")
        assert f'/dashboard/documents/{entry.document_id}' in journey.text
        got = await http.get(f"/dashboard/documents/{entry.document_id}")
        assert got.status_code == 200 and got.content == original
        assert got.headers["content-type"] == "application/pdf"
    (audit,) = site.parts.documents.index.downloads_of(entry.document_id)
    assert audit.by == site.coordinator and (datetime.now(UTC) - audit.at) < timedelta(minutes=5)


async def test_a_guardian_sets_quiet_hours_and_language(site: FamilySite):
    from datetime import time

    from workflows.journey_types import Query
    from domain.status import GuardianView

    ref, token = await started_with_link(site, "en")
    async with httpx.AsyncClient(base_url=site.base) as http:
        page = await http.get(f"/family/{token}")
        assert 'data-testid="preferences"' in page.text and 'value="21:00"' in page.text
        saved = await http.post(f"/family/{token}/preferences",
                                data={"quiet_start": "22:30", "quiet_end": "06:45", "language": "ru"})
        assert saved.status_code == 303 and saved.headers["location"] == f"/family/{token}?prefs=saved"

        async def changed() -> GuardianView | None:
            view = await site.harness.journeys.query(ref, Query.GUARDIAN, GuardianView, args=("guardian-1",))
            return view if view.language == "ru" else None

        view = await eventually(changed)
        assert view.quiet_hours.start == time(22, 30) and view.quiet_hours.end == time(6, 45)
        again = await http.get(f"/family/{token}")
        assert 'lang="ru"' in again.text and 'value="22:30"' in again.text
        # A language we have no words for, or a time that is not one, changes nothing.
        for bad in ({"quiet_start": "22:30", "quiet_end": "06:45", "language": "xx"},
                    {"quiet_start": "25:00", "quiet_end": "06:45", "language": "en"}):
            refused = await http.post(f"/family/{token}/preferences", data=bad)
            assert refused.status_code == 400 and 'data-testid="not-understood"' in refused.text
    view = await site.harness.journeys.query(ref, Query.GUARDIAN, GuardianView, args=("guardian-1",))
    assert view.language == "ru" and view.quiet_hours.start == time(22, 30)


async def test_the_token_never_reaches_the_access_log(dev: Harness):
    """The link is the key: the access log uvicorn writes at info level must not write it down."""
    lines: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(record.getMessage())

    async with family_site(dev) as site:
        _, token = await started_with_link(site, "en")
        app = create_app(dev.settings, dev.journeys, None, api_settings(), site.parts)
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        server = uvicorn.Server(uvicorn.Config(app, log_level="info", lifespan="off"))  # configures its loggers
        keep = Keep()
        logging.getLogger("uvicorn.access").addHandler(keep)
        task = asyncio.create_task(server.serve(sockets=[sock]))
        try:
            await eventually(lambda: server.started)
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{sock.getsockname()[1]}") as http:
                assert (await http.get(f"/family/{token}")).status_code == 200
        finally:
            server.should_exit = True
            await task
            sock.close()
            logging.getLogger("uvicorn.access").removeHandler(keep)
    assert any("/family/" in line for line in lines), lines
    assert not any(token in line for line in lines), lines


async def test_the_next_appointment_with_its_calendar_file(site: FamilySite):
    from domain.appointments import AppointmentKind
    from domain.commands import ScheduleAppointment

    ref, token = await started_with_link(site, "ru")
    starts = (datetime.now(UTC) + timedelta(days=10)).replace(microsecond=0, second=0)
    await site.harness.journeys.command(ref, ScheduleAppointment(
        kind=AppointmentKind.FOLLOW_UP_CALL, starts_at=starts, venue_timezone="Asia/Shanghai"))

    async with httpx.AsyncClient(base_url=site.base) as http:
        async def shown():
            page = await http.get(f"/family/{token}")
            return page if 'data-testid="appointment"' in page.text else None

        page = await eventually(shown)
        assert "Ближайший приём" in page.text and "(UTC)" in page.text  # in the guardian's own zone
        link = page.text.split('href="/family/' + token + '/appointments/')[1].split('"')[0]
        ics = await http.get(f"/family/{token}/appointments/{link}")
        assert ics.status_code == 200 and ics.headers["content-type"].startswith("text/calendar")
        body = ics.text
        assert "BEGIN:VEVENT" in body and "@waypoint-journeys" in body and ref in body
        # Another family's link cannot fetch it, nor a forged one.
        _, other_token = await started_with_link(site, "en")
        assert (await http.get(f"/family/{other_token}/appointments/{link}")).status_code == 404
        assert (await http.get(f"/family/{secrets.token_urlsafe(16)}/appointments/{link}")).status_code == 404
