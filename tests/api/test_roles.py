"""Roles over real HTTP: a coordinator sees and acts on the journeys assigned to them or their
team; a supervisor sees all and reassigns (a journey command with its timeline entry); an API
key acts as itself (its name is the actor, a person it names is recorded as claimed)."""

from __future__ import annotations

import re
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest_asyncio

from api.app import create_app
from api.dashboard.accounts import Account, Coordinators, hash_password
from tests.conftest import Harness, make_case
from tests.support.api_harness import API_KEY, api_settings, served
from tests.support.polling import eventually

PASSWORD = "a long dev password " + secrets.token_hex(4)


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


@dataclass
class Site:
    base: str
    harness: Harness

    async def signed_in(self, account: str) -> httpx.AsyncClient:
        web = httpx.AsyncClient(base_url=self.base, timeout=60)
        page = await web.get("/dashboard/login")
        r = await web.post("/dashboard/login", data={"account": account, "password": PASSWORD,
                                                    "csrf_token": _csrf(page.text)})
        assert r.status_code == 303, r.text
        return web


@pytest_asyncio.fixture
async def site(dev: Harness) -> AsyncIterator[Site]:
    hashed = hash_password(PASSWORD)
    accounts = Coordinators([
        Account("coord-lin", hashed, team="almaty"), Account("coord-aru", hashed, team="almaty"),
        Account("coord-bo", hashed, team="beijing", email="bo@waypoint.example"), Account("sup-mei", hashed, role="supervisor"),
    ])
    app = create_app(dev.settings, dev.journeys, None,
                     api_settings(coordinators=accounts, session_secret=secrets.token_urlsafe(32)))
    async with served(app) as base:
        yield Site(base, dev)


async def _journey_of(h: Harness, coordinator: str) -> str:
    case = make_case(coordinator={"id": coordinator})
    await h.journeys.start(case)
    await eventually(lambda: _published(h, case.case_reference))
    return case.case_reference


async def _published(h: Harness, ref: str) -> bool:
    try:
        return (await h.journeys.status(ref)).case_reference == ref
    except Exception:  # noqa: BLE001 - not yet started
        return False


async def test_a_coordinator_acts_only_on_their_own_and_their_teams_journeys(site: Site):
    h = site.harness
    lins = await _journey_of(h, "coord-lin")
    bo = await site.signed_in("coord-bo")
    aru = await site.signed_in("coord-aru")
    try:
        page = await bo.get(f"/dashboard/journeys/{lins}")
        assert page.status_code == 403
        home = await bo.get("/dashboard/")
        r = await bo.post(f"/dashboard/journeys/{lins}/pause", data={"reason": "other", "csrf_token": _csrf(home.text)})
        assert r.status_code == 403
        assert not (await h.journeys.status(lins)).paused
        listed = await bo.get("/dashboard/journeys", params={"scope": "all"})
        assert lins not in listed.text
        # A colleague in the same team may.
        page = await aru.get(f"/dashboard/journeys/{lins}")
        assert page.status_code == 200
        r = await aru.post(f"/dashboard/journeys/{lins}/pause", data={"reason": "other", "csrf_token": _csrf(page.text)})
        assert r.status_code == 303 and (await h.journeys.status(lins)).paused
        # Only a supervisor reassigns.
        r = await aru.post(f"/dashboard/journeys/{lins}/reassign",
                           data={"coordinator": "coord-aru", "csrf_token": _csrf(page.text)})
        assert r.status_code == 403
        assert (await h.journeys.status(lins)).coordinator == "coord-lin"
    finally:
        await bo.aclose()
        await aru.aclose()


async def test_a_supervisor_sees_all_and_reassigns_with_a_timeline_entry(site: Site):
    h = site.harness
    lins = await _journey_of(h, "coord-lin")
    mei = await site.signed_in("sup-mei")
    bo = await site.signed_in("coord-bo")
    try:
        listed = await mei.get("/dashboard/journeys", params={"scope": "all"})
        assert lins in listed.text
        page = await mei.get(f"/dashboard/journeys/{lins}")
        assert page.status_code == 200 and 'action="/dashboard/journeys/' + lins + '/reassign"' in page.text
        r = await mei.post(f"/dashboard/journeys/{lins}/reassign",
                           data={"coordinator": "coord-bo", "csrf_token": _csrf(page.text)})
        assert r.status_code == 303, r.text
        assert (await h.journeys.status(lins)).coordinator == "coord-bo"
        timeline = await h.journeys.timeline(lins)
        entry = [e for e in timeline if e.kind == "reassigned"][-1]
        assert entry.by == "sup-mei" and entry.detail["from_coordinator"] == "coord-lin" \
            and entry.detail["to_coordinator"] == "coord-bo"
        # Listing follows the new assignment; the new coordinator may act now.
        await eventually(lambda: _listed_for(h, "coord-bo", lins))
        assert (await bo.get(f"/dashboard/journeys/{lins}")).status_code == 200
    finally:
        await mei.aclose()
        await bo.aclose()


async def _listed_for(h: Harness, coordinator: str, ref: str) -> bool:
    return any(j.case_reference == ref for j in await h.journeys.find(coordinator=coordinator))


async def test_an_api_key_acts_as_itself_and_a_named_person_is_recorded_as_claimed(site: Site):
    h = site.harness
    ref = await _journey_of(h, "coord-lin")
    async with httpx.AsyncClient(base_url=site.base, headers={"X-API-Key": API_KEY}, timeout=60) as api:
        r = await api.post(f"/journeys/{ref}/pause", json={"reason": "other", "by": "coord-bo"})
        assert r.status_code == 200, r.text
        r = await api.post(f"/journeys/{ref}/resume", json={})
        assert r.status_code == 200, r.text
        r = await api.post(f"/journeys/{ref}/coordinator", json={"coordinator": {"id": "coord-aru"}, "by": "sup-mei"})
        assert r.status_code == 200, r.text
    timeline = await h.journeys.timeline(ref)
    paused = [e for e in timeline if e.kind == "paused"][-1]
    assert paused.by == "key:test-backend" and paused.detail.get("claimed_by") == "coord-bo"
    resumed = [e for e in timeline if e.kind == "resumed"][-1]
    assert resumed.by == "key:test-backend" and "claimed_by" not in resumed.detail
    moved = [e for e in timeline if e.kind == "reassigned"][-1]
    assert moved.by == "key:test-backend" and moved.detail["claimed_by"] == "sup-mei"
    assert (await h.journeys.status(ref)).coordinator == "coord-aru"


async def test_another_coordinator_neither_downloads_a_familys_document_nor_revokes_its_links(dev: Harness):
    from tests.api.test_family_http import started_with_link
    from tests.support.family import COORDINATOR_PASSWORD, family_site, pdf

    async with family_site(dev, others=("coord-other",)) as site:
        ref, token = await started_with_link(site, "en")
        async with httpx.AsyncClient(base_url=site.base, timeout=60) as http:
            sent = await http.post(f"/family/{token}/records/pathology", files=[("files", ("a.pdf", pdf(3000), "application/pdf"))])
            assert sent.status_code == 303
            (entry,) = site.parts.documents.index.of_case(ref)
            page = await http.get("/dashboard/login")
            await http.post("/dashboard/login", data={"csrf_token": _csrf(page.text), "account": "coord-other",
                                                      "password": COORDINATOR_PASSWORD})
            got = await http.get(f"/dashboard/documents/{entry.document_id}")
            assert got.status_code == 403 and got.content[:4] != b"%PDF"
            home = await http.get("/dashboard/")
            revoked = await http.post(f"/dashboard/journeys/{ref}/family-links/revoke", data={"csrf_token": _csrf(home.text)})
            assert revoked.status_code == 403
            assert (await http.get(f"/family/{token}")).status_code == 200  # the family's link still works
        assert site.parts.documents.index.downloads_of(entry.document_id) == []
