"""The family page: where the link in every message leads.

``/family/<token>``: one guardian's view of their journey, in their language, phone width first,
no JavaScript needed and none inline (a strict CSP holds). What it shows comes from the journey's
status (``Journeys.status``); what it does goes to the journey as signals: ``record-received``
(with a document id only) for an upload, ``channel-reply`` (STOP/START) for a channel preference,
``guardian-preferences`` for quiet hours and language, ``family-link-requested`` for a fresh link. A token that is forged, expired,
revoked or another case's gets the same page: nothing tells whether a case exists.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel
from temporalio.service import RPCError

from api.family.uploads import BadForm, BodyTooLarge, small_form, uploaded_files
from api.family.view import FamilyView, Label, family_appointment, family_view
from api.family.words import Words, languages, pick
from documents.library import Documents, Problem, Refusal, check_files
from domain.case_file import Channel
from domain.commands import ChannelReply, GuardianPreferences, LinkRequested, RecordReceived
from domain.policy import QuietHours
from domain.status import GuardianView
from domain.opt_out import Keyword
from domain.records import RecordType
from messaging.calendar import invitation
from messaging.links import Grant, LinkBook
from translations.labels import label as name_of
from service.config import FamilySettings
from service.logs import hide_family_tokens_in_access_log
from service.journeys import JourneyClosed, JourneyError, JourneyNotFound, Journeys
from workflows.journey_types import Query

log = logging.getLogger("waypoint.family")
HERE = Path(__file__).resolve().parent
router = APIRouter(prefix="/family", include_in_schema=False)
LANG_COOKIE = "family_lang"
UPLOAD_SLACK = 64 * 1024  # multipart framing around the files
# No inline script or style anywhere on the page: everything comes from /family-static/.
CONTENT_SECURITY_POLICY = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
                           "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")


class FamilyPage:
    def __init__(self, settings: FamilySettings, links: LinkBook, documents: Documents, journeys: Journeys) -> None:
        self.settings = settings
        self.links = links
        self.documents = documents
        self.journeys = journeys
        self.templates = Jinja2Templates(directory=str(HERE / "templates"))

    @property
    def upload_limit(self) -> int:
        return self.settings.upload_max_bytes * self.settings.upload_max_files + UPLOAD_SLACK


def _page(request: Request) -> FamilyPage:
    return request.app.state.family


def _words(request: Request, grant: Grant | None = None) -> Words:
    chosen = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE)
    if chosen in languages():
        return Words(chosen)
    if grant is not None:
        return Words(pick(grant.language))
    return Words(pick(None, request.headers.get("accept-language")))


def _label(language: str) -> Label:
    """Names of codes from the shared ``labels`` catalog; an unknown code shows as itself."""
    def label(group: str, code: str) -> str:
        try:
            return name_of(group, code, language)
        except KeyError:
            return str(code).replace("_", " ")
    return label


def _moment(language: str, zone: str | None) -> Any:
    """A moment in the guardian's language and time zone (the venue's when theirs is unknown)."""
    def moment(value: datetime, venue_zone: str) -> str:
        tz = ZoneInfo(zone or venue_zone)
        return f"{format_datetime(value.astimezone(tz), format='medium', tzinfo=tz, locale=language)} ({tz.key})"
    return moment


def _headers(response: Response) -> Response:
    # The token is in the path: never let it leave in a Referer; never keep the page in a cache.
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _render(request: Request, name: str, words: Words, status: int = 200, **context: Any) -> Response:
    page = _page(request)
    response = page.templates.TemplateResponse(
        request, name,
        {"_": words, "words": words, "label": _label(words.language), "languages": languages(),
         "language_names": {code: Words(code).name for code in languages()},
         "here": request.url.path, **context},
        status_code=status,
    )
    if request.query_params.get("lang") in languages():
        response.set_cookie(LANG_COOKIE, words.language, max_age=365 * 86400, samesite="lax", path="/family",
                            httponly=True)
    return _headers(response)


def _not_valid(request: Request, token: str, status: int = 404) -> Response:
    """The one answer for every token that does not open a page (forged, expired, revoked)."""
    return _render(request, "not_valid.html", _words(request), status=status, token=token)


def _grant(request: Request, token: str) -> Grant | None:
    return _page(request).links.grant(token, datetime.now(UTC))


async def _view(request: Request, grant: Grant, words: Words) -> FamilyView | None:
    try:
        status = await _page(request).journeys.status(grant.case_reference)
    except (JourneyNotFound, JourneyClosed):
        return None
    channels = await asyncio.to_thread(_page(request).links.channels_of, grant.case_reference, grant.recipient)
    return family_view(status, grant, _label(words.language), channels)


async def _guardian(request: Request, grant: Grant) -> GuardianView | None:
    """The guardian's own settings (a query: needs a worker; None when none answers)."""
    try:
        return await _page(request).journeys.query(grant.case_reference, Query.GUARDIAN, GuardianView, attempts=1,
                                                   args=(grant.recipient,))
    except (RPCError, JourneyError, ValueError, TypeError):
        return None


async def _guardian_context(request: Request, grant: Grant, words: Words) -> dict[str, Any]:
    guardian = await _guardian(request, grant)
    return {"guardian": guardian, "moment": _moment(words.language, guardian.timezone if guardian else None)}


@router.get("/")
async def front_door(request: Request) -> Response:
    return _render(request, "front_door.html", _words(request))


@router.get("/{token}")
async def family_home(request: Request, token: str, sent: str | None = None, prefs: str | None = None) -> Response:
    grant = _grant(request, token)
    if grant is None:
        return _not_valid(request, token)
    words = _words(request, grant)
    try:
        view = await _view(request, grant, words)
    except (RPCError, JourneyError):
        return _render(request, "unavailable.html", words, status=503)
    if view is None:
        return _not_valid(request, token)
    return _render(request, "family.html", words, token=token, v=view, sent=sent, prefs=prefs, refusals=None,
                   refused_item=None, max_mb=_page(request).settings.upload_max_bytes // (1024 * 1024),
                   max_files=_page(request).settings.upload_max_files, **await _guardian_context(request, grant, words))


async def _refused(request: Request, token: str, grant: Grant, words: Words, item: str, refusals: list[Refusal],
                   status: int) -> Response:
    view = await _view(request, grant, words)
    if view is None:
        return _not_valid(request, token)
    settings = _page(request).settings
    return _render(request, "family.html", words, status=status, token=token, v=view, sent=None, prefs=None,
                   refusals=refusals, refused_item=item, max_mb=settings.upload_max_bytes // (1024 * 1024),
                   max_files=settings.upload_max_files, **await _guardian_context(request, grant, words))


@router.get("/{token}/appointments/{appointment_id}.ics")
async def appointment_calendar(request: Request, token: str, appointment_id: str) -> Response:
    """The calendar file of the family's upcoming appointment, as the invitation e-mail carries."""
    grant = _grant(request, token)
    if grant is None:
        return _not_valid(request, token)
    try:
        status = await _page(request).journeys.status(grant.case_reference)
    except (JourneyNotFound, JourneyClosed):
        return _not_valid(request, token)
    except (RPCError, JourneyError):
        return _render(request, "unavailable.html", _words(request, grant), status=503)
    appointment = family_appointment(status, appointment_id)
    if appointment is None:
        return _not_valid(request, token)
    words = _words(request, grant)
    summary = f"{_label(words.language)('appointment_kinds', appointment.kind.value)} ({grant.case_reference})"
    params = {"appointment_id": appointment.id, "starts_at": appointment.starts_at.isoformat(),
              "venue_timezone": appointment.venue_timezone, "sequence": appointment.sequence,
              "updated_at": appointment.updated_at.isoformat(), "place": appointment.place}
    ics = invitation(params, grant.case_reference, summary, cancelled=False)
    return _headers(Response(ics.content, media_type="text/calendar; charset=utf-8",
                             headers={"Content-Disposition": f'attachment; filename="{ics.filename}"'}))


@router.post("/{token}/records/{record_type}")
async def upload(request: Request, token: str, record_type: str) -> Response:
    page = _page(request)
    grant = _grant(request, token)
    if grant is None:
        return _not_valid(request, token, status=403)
    words = _words(request, grant)
    try:
        item = RecordType(record_type)
    except ValueError:
        return _not_valid(request, token, status=404)
    try:
        view = await _view(request, grant, words)
    except (RPCError, JourneyError):
        return _render(request, "unavailable.html", words, status=503)
    if view is None:
        return _not_valid(request, token, status=403)
    if not any(r.record_type == item and r.can_upload for r in view.records):
        return await _refused(request, token, grant, words, item.value, [Refusal(Problem.NOT_ASKED)], 409)
    try:
        files = await uploaded_files(request, page.upload_limit, page.settings.upload_max_files)
    except BodyTooLarge:
        return await _refused(request, token, grant, words, item.value, [Refusal(Problem.TOO_LARGE)], 413)
    except BadForm:
        return await _refused(request, token, grant, words, item.value, [Refusal(Problem.NO_FILE)], 400)
    kinds, refusals = check_files(files, page.documents.limits)
    if refusals:
        status = 413 if any(r.problem == Problem.TOO_LARGE for r in refusals) else 415 if any(
            r.problem == Problem.WRONG_TYPE for r in refusals) else 422
        log.info("family upload refused on %s: %s", grant.case_reference, ",".join(r.problem.value for r in refusals))
        return await _refused(request, token, grant, words, item.value, refusals, status)
    entries = await asyncio.to_thread(page.documents.store, grant.case_reference, item.value, grant.recipient,
                                      files, kinds)
    try:
        for entry in entries:
            await page.journeys.signal(
                grant.case_reference, RecordReceived(record_type=item, document_id=entry.document_id))
    except (JourneyClosed, JourneyNotFound):
        await asyncio.to_thread(page.documents.withdraw, entries)
        return _not_valid(request, token, status=403)
    except (RPCError, JourneyError):
        await asyncio.to_thread(page.documents.withdraw, entries)
        return _render(request, "unavailable.html", words, status=503)
    log.info("family upload on %s: %d document(s) for %s", grant.case_reference, len(entries), item.value)
    return _headers(RedirectResponse(f"/family/{token}?sent={item.value}", status_code=303))


async def _tell(request: Request, token: str, grant: Grant, fact: BaseModel) -> Response | None:
    """Signal the guardian's journey; the page to show instead when that cannot be done."""
    try:
        await _page(request).journeys.signal(grant.case_reference, fact)
    except (JourneyClosed, JourneyNotFound):
        return _not_valid(request, token, status=403)
    except (RPCError, JourneyError):
        return _render(request, "unavailable.html", _words(request, grant), status=503)
    return None


def _not_understood(request: Request, token: str, grant: Grant) -> Response:
    return _render(request, "not_understood.html", _words(request, grant), status=400, token=token)


@router.post("/{token}/channels")
async def channel_preference(request: Request, token: str) -> Response:
    """Stop or start a channel, as a STOP or START reply would: one confirmation on a stop, and
    only this explicit start subscribes again."""
    grant = _grant(request, token)
    if grant is None:
        return _not_valid(request, token, status=403)
    try:
        form = await small_form(request)
        channel, keyword = Channel(form.get("channel", "")), Keyword(form.get("keyword", ""))
    except (BodyTooLarge, BadForm, ValueError):
        return _not_understood(request, token, grant)
    refused = await _tell(request, token, grant, ChannelReply(recipient=grant.recipient, channel=channel, keyword=keyword))
    if refused is not None:
        return refused
    log.info("family channel preference on %s: %s %s", grant.case_reference, channel.value, keyword.value)
    return _headers(RedirectResponse(f"/family/{token}?prefs={channel.value}-{keyword.value}", status_code=303))


@router.post("/{token}/preferences")
async def guardian_preferences(request: Request, token: str) -> Response:
    """The guardian's own quiet hours and language (signal guardian-preferences). The page shows
    itself in the new language at once; their next messages come in it."""
    grant = _grant(request, token)
    if grant is None:
        return _not_valid(request, token, status=403)
    try:
        form = await small_form(request)
        language = form.get("language", "")
        if language not in languages():
            raise ValueError("not a language of ours")
        prefs = GuardianPreferences(recipient=grant.recipient, language=language,
                                    quiet_hours=QuietHours(start=form.get("quiet_start"), end=form.get("quiet_end")))
    except (BodyTooLarge, BadForm, ValueError):  # pydantic's ValidationError is a ValueError
        return _not_understood(request, token, grant)
    refused = await _tell(request, token, grant, prefs)
    if refused is not None:
        return refused
    log.info("family preferences on %s for %s", grant.case_reference, grant.recipient)
    response = RedirectResponse(f"/family/{token}?prefs=saved", status_code=303)
    response.set_cookie(LANG_COOKIE, language, max_age=365 * 86400, samesite="lax", path="/family", httponly=True)
    return _headers(response)


@router.post("/{token}/fresh")
async def fresh_link(request: Request, token: str) -> Response:
    """An expired link asks for a fresh one on the guardian's own channel. The answer is the same
    whatever the token was, and whether or not a message goes (rate limited)."""
    page = _page(request)
    words = _words(request)
    try:
        await small_form(request)
    except (BodyTooLarge, BadForm):
        pass
    due = page.links.claim_fresh(token, datetime.now(UTC), page.settings.fresh_link_every)
    if due is not None:
        try:
            await page.journeys.signal(
                due.case_reference, LinkRequested(recipient=due.recipient, channel=Channel(due.channel)))
            log.info("fresh family link requested on %s for %s", due.case_reference, due.recipient)
        except (RPCError, JourneyError):
            log.info("fresh family link not requested on %s: journey closed or unavailable", due.case_reference)
    return _render(request, "fresh_sent.html", words)


def install(app: FastAPI, settings: FamilySettings, links: LinkBook, documents: Documents, journeys: Journeys) -> None:
    hide_family_tokens_in_access_log()
    app.state.family = FamilyPage(settings, links, documents, journeys)
    app.include_router(router)
    app.mount("/family-static", StaticFiles(directory=str(HERE / "static")), name="family-static")
