"""The coordinator's side of the family page, on the dashboard: download what a family sent
(audited: who, when) and revoke a case's family links.

Only a signed-in coordinator reaches these; nobody else can download a document (the family page
has no download at all, so a family cannot fetch what the local team sent either).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from urllib.parse import quote

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import RedirectResponse, Response

from api.dashboard.routes import _REF, _form, _signed_in, may_act_on, render
from documents.content import EXTENSIONS, Kind
from documents.index import DocumentEntry
from documents.library import Documents
from documents.objects import ObjectMissing
from documents.sealing import SealBroken
from messaging.links import LinkBook

log = logging.getLogger("waypoint.dashboard")
router = APIRouter(prefix="/dashboard", include_in_schema=False)


def case_documents(request: Request, case_reference: str) -> list[DocumentEntry] | None:
    """What the journey page lists (None when the family page is off)."""
    documents: Documents | None = getattr(request.app.state, "documents", None)
    return documents.index.of_case(case_reference) if documents is not None else None


@router.get("/documents/{document_id}")
async def download(request: Request, document_id: str) -> Response:
    session, account = _signed_in(request)
    documents: Documents = request.app.state.documents
    found = await asyncio.to_thread(documents.index.get, document_id)
    if found is not None and not await may_act_on(request, account, found.case_reference):
        log.warning("document %s: download refused for %s (not theirs)", document_id, account.id)
        return render(request, "error.html", session, account, status=403, message="not_yours")
    try:
        opened = await asyncio.to_thread(documents.open, document_id, account.id)
    except (ObjectMissing, SealBroken) as err:
        log.warning("document %s could not be opened: %s", document_id, type(err).__name__)
        return render(request, "error.html", session, account, status=410, message="not_found")
    if opened is None:
        return render(request, "error.html", session, account, status=404, message="not_found")
    entry, data, media_type = opened
    log.info("document %s of %s downloaded by %s", entry.document_id, entry.case_reference, account.id)
    name = f"{entry.case_reference}-{entry.record_type}-{entry.document_id}.{EXTENSIONS[Kind(entry.kind)]}"
    return Response(data, media_type=media_type, headers={
        "Content-Disposition": f'attachment; filename="{name}"',
        "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff",
    })


@router.post("/journeys/{ref}/family-links/revoke")
async def revoke_links(request: Request, ref: str) -> Response:
    got = await _form(request)
    if isinstance(got, Response):
        return got
    session, account, _ = got
    if not _REF.match(ref):
        return render(request, "error.html", session, account, status=404, message="not_found")
    if not await may_act_on(request, account, ref):
        return render(request, "error.html", session, account, status=403, message="not_yours")
    links: LinkBook = request.app.state.family_links
    count = await asyncio.to_thread(links.revoke, ref, datetime.now(UTC))
    log.info("family links of %s revoked by %s (%d)", ref, account.id, count)
    return RedirectResponse(f"/dashboard/journeys/{quote(ref)}?done=revoke-links", status_code=303)


def install(app: FastAPI, links: LinkBook, documents: Documents) -> None:
    app.state.documents = documents
    app.state.family_links = links
    app.include_router(router)
