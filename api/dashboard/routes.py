"""Dashboard pages: sign-in, Today, Journeys, one journey with its actions.

Server-rendered (jinja2), no JavaScript. Every form carries the session's CSRF token; every
action goes through ``service.journeys.Journeys`` like the API, so a refused action shows the
journey validator's own message and changes nothing. Closing asks for confirmation first.
"""

from __future__ import annotations

import asyncio
import logging
import re
import secrets
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader
from pydantic import BaseModel, ValidationError
from temporalio.service import RPCError

from api.command_gate import RETRY_AFTER_SECONDS, JourneyBusyNow
from api.dashboard.access import may_act, may_reassign
from api.dashboard.accounts import Account, Coordinators
from api.dashboard.i18n import DOMAIN, LANGUAGES, Words
from api.errors import journey_busy
from api.dashboard.picture import picture
from api.dashboard.brake import SignInBrake
from api.dashboard.brake_store import BrakeStore
from api.dashboard.session import LANG_COOKIE, Session, Sessions
from api.dashboard.partial import partial_status
from api.dashboard.session_store import SessionStore
from domain.case_file import CASE_REFERENCE_PATTERN
from domain.appointments import AppointmentKind
from domain.commands import (
    AdvanceStage,
    Applicant,
    ApplyMilestone,
    MarkReplyHandled,
    CloseJourney,
    PauseJourney,
    PauseReason,
    ReassignJourney,
    RecordReceived,
    ResumeJourney,
    ReviewRecord,
    SetConsent,
    CancelAppointment,
    RecordAppointmentOutcome,
    RescheduleAppointment,
    ScheduleAppointment,
)
from domain.records import RecordStatus, RejectionReason
from domain.stages import CloseReason, Pathway, ReviewOutcome, Stage
from domain.validation import describe
from translations import catalogs
from domain.digest import digest_of_status, reasons
from service.journeys import (
    CommandRefused,
    JourneyBusy,
    JourneyClosed,
    JourneyError,
    JourneyNotFound,
    Journeys,
)
from workflows.journey_types import UPDATES, update_name

log = logging.getLogger("waypoint.dashboard")
HERE = Path(__file__).resolve().parent
router = APIRouter(prefix="/dashboard", include_in_schema=False)

_REF = re.compile(CASE_REFERENCE_PATTERN)


class SignInRequired(Exception):
    pass


def _templates(lang: str) -> Jinja2Templates:
    """The pages in one language: the ``dashboard`` catalog installed for ``_()``."""
    env = Environment(loader=FileSystemLoader(str(HERE / "templates")), autoescape=True, extensions=["jinja2.ext.i18n"])
    words, _, _ = catalogs.translations(lang, DOMAIN)
    env.install_gettext_translations(words, newstyle=True)  # type: ignore[attr-defined]
    return Jinja2Templates(env=env)


class Dashboard:
    def __init__(self, coordinators: Coordinators, sessions: Sessions, brake: SignInBrake) -> None:
        self.coordinators = coordinators
        self.sessions = sessions
        self.brake = brake
        self.clock: Callable[[], float] = time.time  # what sessions and the brake read as now
        self.templates = {lang: _templates(lang) for lang in LANGUAGES}

    def session(self, request: Request) -> Session:
        return self.sessions.read(request, self.clock())


def _dash(request: Request) -> Dashboard:
    return request.app.state.dashboard


def _journeys(request: Request) -> Journeys:
    return request.app.state.journeys


def _lang(request: Request, account: Account | None = None) -> str:
    chosen = request.cookies.get(LANG_COOKIE)
    if chosen in LANGUAGES:
        return chosen
    return account.language if account else "en"


def _signed_in(request: Request) -> tuple[Session, Account]:
    d = _dash(request)
    session = d.session(request)
    account = d.coordinators.get(session.coordinator)
    if session.fresh or account is None:
        raise SignInRequired()
    return session, account


def render(request: Request, name: str, session: Session, account: Account | None, status: int = 200,
           **context: Any) -> HTMLResponse:
    d = _dash(request)
    t = Words(_lang(request, account), account.timezone if account else "UTC")
    response = d.templates[t.lang].TemplateResponse(
        request, name, {"t": t, "when": t.when, "csrf": session.csrf, "account": account, "languages": LANGUAGES,
                        "here": request.url.path + (f"?{request.url.query}" if request.url.query else ""),
                        **context},
        status_code=status,
    )
    if session.fresh:
        d.sessions.write(response, session)
    return response


def _safe_next(value: object) -> str:
    text = value if isinstance(value, str) else ""
    return text if text.startswith("/dashboard/") and "//" not in text and "\\" not in text else "/dashboard/"


# --- sign-in ------------------------------------------------------------------------------------


@router.get("/login")
async def login_page(request: Request, next: str = "/dashboard/") -> Response:
    d = _dash(request)
    session = d.session(request)
    if not session.fresh and d.coordinators.get(session.coordinator):
        return RedirectResponse(_safe_next(next), status_code=303)
    return render(request, "login.html", session, None, next=_safe_next(next))


@router.post("/login")
async def login(request: Request) -> Response:
    d = _dash(request)
    form = await request.form()
    session = d.session(request)
    if not d.sessions.csrf_ok(session, form.get("csrf_token")):
        fresh = Session(None, secrets.token_urlsafe(32), fresh=True)
        return render(request, "login.html", fresh, None, status=403, error="csrf", next=_safe_next(form.get("next")))
    account_id, password = form.get("account"), form.get("password")
    if not (isinstance(account_id, str) and isinstance(password, str) and len(account_id) <= 40 and len(password) <= 200):
        account_id, password = "", ""
    who, address, now = account_id.strip().lower(), request.client.host if request.client else "?", d.clock()
    wait = d.brake.retry_after(who, address, now)
    if wait:
        locked = render(request, "login.html", session, None, status=429, error="locked",
                        next=_safe_next(form.get("next")))
        locked.headers["Retry-After"] = str(wait)
        return locked
    account = await asyncio.to_thread(d.coordinators.authenticate, who, password) if who and password else None
    if account is None:
        for kind, delay in d.brake.failed(who, address, now).items():
            # The account id only when it is one of ours (a mistyped one could be anything).
            named = who if kind == "account" and d.coordinators.get(who) else "an unknown account"
            log.warning("dashboard sign-in locked for %s s: too many failures for %s", delay,
                        named if kind == "account" else "one client address")
        log.info("dashboard sign-in refused")
        return render(request, "login.html", session, None, status=401, error="bad_login",
                      next=_safe_next(form.get("next")))
    d.brake.succeeded(who)
    log.info("dashboard sign-in: %s", account.id)
    response = RedirectResponse(_safe_next(form.get("next")), status_code=303)
    d.sessions.open(response, account.id, now)  # a new session id and CSRF token after sign-in
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    d = _dash(request)
    form = await request.form()
    session = d.session(request)
    if not d.sessions.csrf_ok(session, form.get("csrf_token")):
        return RedirectResponse("/dashboard/", status_code=303)
    response = RedirectResponse("/dashboard/login", status_code=303)
    d.sessions.end(response, session)
    return response


@router.post("/sessions/end-all")
async def end_all_sessions(request: Request) -> Response:
    """Sign out everywhere: every session of this coordinator ends (a lost phone, a shared PC)."""
    got = await _form(request)
    if isinstance(got, Response):
        return got
    session, account, _ = got
    sessions = _dash(request).sessions
    ended = sessions.store.end_all(account.id)
    log.info("dashboard: %s ended all their sessions (%d)", account.id, ended)
    response = RedirectResponse("/dashboard/login", status_code=303)
    sessions.end(response, session)
    return response


@router.get("/lang")
async def choose_language(to: str = "en", next: str = "/dashboard/") -> Response:
    response = RedirectResponse(_safe_next(next), status_code=303)
    if to in LANGUAGES:
        response.set_cookie(LANG_COOKIE, to, max_age=365 * 86400, samesite="lax", path="/dashboard")
    return response


# --- Today and Journeys ----------------------------------------------------------------------------


PAGE_SIZE = 100


def _listed_for(account: Account, scope: str) -> str | None:
    """The coordinator a listing is narrowed to: their own for "mine", and for "all" too when they
    have no team and are no supervisor (a team's listing is narrowed by api.dashboard.access)."""
    return account.id if scope == "mine" or not (may_reassign(account) or account.team) else None


@router.get("/")
async def today(request: Request, scope: str = "mine", page: str = "") -> Response:
    session, account = _signed_in(request)
    scope = "all" if scope == "all" else "mine"
    coordinator = _listed_for(account, scope)
    try:
        found = await asyncio.wait_for(
            _journeys(request).today(datetime.now(UTC), coordinator=coordinator, page=page or None, page_size=PAGE_SIZE), 20)
    except JourneyError:
        return render(request, "error.html", session, account, status=400, message="unavailable")
    except (RPCError, TimeoutError):
        return render(request, "error.html", session, account, status=503, message="unavailable")
    rows = [r for r in found.rows if may_act(account, r.coordinator, _dash(request).coordinators)]
    return render(request, "today.html", session, account, scope=scope, people=rows,
                  total=found.total - (len(found.rows) - len(rows)), next_page=found.next_page, page="today")


@router.get("/journeys")
async def journey_list(request: Request, q: str = "", stage: str = "", scope: str = "all", page: str = "") -> Response:
    session, account = _signed_in(request)
    query = q.strip().upper()[:20]
    if query and _REF.match(query):
        return RedirectResponse(f"/dashboard/journeys/{query}", status_code=303)
    scope = "mine" if scope == "mine" else "all"
    coordinator = _listed_for(account, scope)
    chosen = stage if stage in {s.value for s in Stage} else ""
    journeys = _journeys(request)
    try:
        listed, counts = await asyncio.gather(
            journeys.page(stage=Stage(chosen) if chosen else None, coordinator=coordinator,
                          reference_prefix=re.sub(r"[^A-Z0-9-]", "", query) or None, page=page or None,
                          page_size=PAGE_SIZE),
            journeys.counts_by_stage(coordinator))
    except JourneyError:
        return render(request, "error.html", session, account, status=400, message="unavailable")
    except RPCError:
        return render(request, "error.html", session, account, status=503, message="unavailable")
    may_see = _dash(request).coordinators
    listed.rows = [j for j in listed.rows if may_act(account, j.coordinator, may_see)]  # only what they may see
    stages = [s.value for s in Stage if s.value in counts]
    shown = sorted(listed.rows, key=lambda j: j.case_reference)
    groups = [(s, [j for j in shown if j.stage == s]) for s in stages]
    return render(request, "journeys.html", session, account, counts=counts, stages=stages, total=sum(counts.values()),
                  matching=listed.total, next_page=listed.next_page, groups=[g for g in groups if g[1]], q=query,
                  stage=chosen, scope=scope, page="journeys")


# --- one journey -----------------------------------------------------------------------------------


async def _journey_page(request: Request, session: Session, account: Account, ref: str, status_code: int = 200,
                        error: str | None = None, done: str | None = None) -> Response:
    if not _REF.match(ref):
        return render(request, "error.html", session, account, status=404, message="not_found")
    journeys = _journeys(request)
    partial = ""  # "detail": only the digest could be read; "queries": messages and timeline could not
    try:
        status = await journeys.status(ref)
    except JourneyNotFound:
        return render(request, "error.html", session, account, status=404, message="not_found")
    except JourneyBusy:
        # No worker: the page opens on the digest the journey published (stage, flags, reasons).
        try:
            published = await journeys.digest(ref)
        except (RPCError, JourneyError):
            published = None
        if published is None:
            return render(request, "error.html", session, account, status=503, message="unavailable")
        status, partial = partial_status(published), "detail"
    except (RPCError, JourneyError):
        return render(request, "error.html", session, account, status=503, message="unavailable")
    if not may_act(account, status.coordinator, _dash(request).coordinators):
        return render(request, "error.html", session, account, status=403, message="not_yours")
    # Messages and timeline need a worker; without one the page still shows the published status.
    try:
        if partial:
            raise JourneyBusy("no worker")
        messages, timeline = await asyncio.gather(journeys.messages(ref, attempts=1), journeys.timeline(ref, attempts=1))
    except (RPCError, JourneyError):
        messages, timeline, partial = [], [], partial or "queries"
    now = datetime.now(UTC)
    return render(
        request, "journey.html", session, account, status=status_code, s=status, messages=messages,
        nodes=picture(status, timeline), reasons=reasons(digest_of_status(status), now), error=error, partial=partial,
        done=done if done and f"done_{done}" in _DONE else None, page="journey",
        rejection_reasons=[r.value for r in RejectionReason], pause_reasons=[r.value for r in PauseReason],
        close_reasons=[r.value for r in CloseReason],
        outcomes=[o.value for o in ReviewOutcome], pathways=[p.value for p in Pathway],
        applicants=[a.value for a in Applicant], appointment_kinds=[k.value for k in AppointmentKind], documents=_family_documents(request, ref),
        reassign_to=[a for a in _dash(request).coordinators.accounts if a != status.coordinator]
        if may_reassign(account) else [],
    )


def _family_documents(request: Request, ref: str) -> list[Any] | None:
    from api.family.downloads import case_documents  # noqa: PLC0415 - the family page is optional

    return case_documents(request, ref)


_DONE = {"done_received", "done_revoke-links"} | {
    f"done_{UPDATES[m]}"
    for m in (ReviewRecord, ApplyMilestone, AdvanceStage, PauseJourney, ResumeJourney, CloseJourney, SetConsent,
              ScheduleAppointment, RescheduleAppointment, CancelAppointment, RecordAppointmentOutcome,
              ReassignJourney, MarkReplyHandled)
}
MILESTONE_FIELDS = ("outcome", "pathway", "eligible", "visa_type", "applicant", "expires_on", "on_date", "day")


@router.get("/journeys/{ref}")
async def journey_page(request: Request, ref: str, done: str | None = None) -> Response:
    session, account = _signed_in(request)
    return await _journey_page(request, session, account, ref, done=done)


async def _form(request: Request) -> tuple[Session, Account, dict[str, str]] | Response:
    session, account = _signed_in(request)
    form = await request.form()
    if not _dash(request).sessions.csrf_ok(session, form.get("csrf_token")):
        return render(request, "error.html", session, account, status=403, message="csrf")
    return session, account, {k: v for k, v in form.items() if isinstance(v, str)}


async def _act(request: Request, ref: str, build: Any) -> Response:
    got = await _form(request)
    if isinstance(got, Response):
        return got
    session, account, form = got
    if not _REF.match(ref):
        return render(request, "error.html", session, account, status=404, message="not_found")
    try:
        cmd: BaseModel = build(form, account)
    except ValidationError as err:
        return await _journey_page(request, session, account, ref, 422, error=describe(err, "request"))
    done = "received" if isinstance(cmd, RecordReceived) else update_name(cmd)
    try:
        if not await may_act_on(request, account, ref) or \
                (isinstance(cmd, ReassignJourney) and not may_reassign(account)):
            log.warning("dashboard: %s refused on %s for %s (not theirs)", done, ref, account.id)
            return render(request, "error.html", session, account, status=403, message="not_yours")
        if isinstance(cmd, RecordReceived):
            await _journeys(request).report_record_received(ref, cmd)
            await _settled(_journeys(request), ref, cmd.record_type.value)
        else:
            async with request.app.state.command_gate.turn(ref):
                await asyncio.wait_for(_journeys(request).command(ref, cmd), timeout=30)
    except (CommandRefused, JourneyClosed) as refused:
        return await _journey_page(request, session, account, ref, 409, error=str(refused))
    except JourneyNotFound:
        return render(request, "error.html", session, account, status=404, message="not_found")
    except JourneyBusyNow:
        return _busy(request, session, account)
    except RPCError as err:
        if journey_busy(err):
            return _busy(request, session, account)
        return render(request, "error.html", session, account, status=503, message="unavailable")
    except (JourneyError, TimeoutError):
        return render(request, "error.html", session, account, status=503, message="unavailable")
    log.info("dashboard: %s on %s by %s", done, ref, account.id)
    return RedirectResponse(f"/dashboard/journeys/{quote(ref)}?done={done}", status_code=303)


async def may_act_on(request: Request, account: Account, ref: str) -> bool:
    """Whether ``account`` may see and steer the journey ``ref`` now (its current coordinator)."""
    assigned = (await _journeys(request).status(ref)).coordinator
    return may_act(account, assigned, _dash(request).coordinators)


def _busy(request: Request, session: Session, account: Account) -> Response:
    response = render(request, "error.html", session, account, status=429, message="busy")
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


async def _settled(journeys: Journeys, ref: str, record_type: str, timeout: float = 5.0) -> None:
    """A record report is a signal: wait (briefly) until the journey shows it, so the page does."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = await journeys.status(ref)
        if not any(r.record_type.value == record_type and r.status == RecordStatus.REQUESTED for r in status.records):
            return
        await asyncio.sleep(0.1)


def _record(form: dict[str, str], account: Account) -> BaseModel:
    action = form.get("action", "")
    if action == "received":
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        return RecordReceived.intake(
            {"record_type": form.get("record_type"), "document_id": f"marked:{account.id}:{stamp}"})
    return ReviewRecord.intake({
        "record_type": form.get("record_type"), "decision": action, "by": account.id,
        **({"reason": form["reason"]} if action == "reject" and form.get("reason") else {}),
    })


@router.post("/journeys/{ref}/records")
async def record_action(request: Request, ref: str) -> Response:
    # Which call it is depends on the action: a report (signal) or a decision (update).
    return await _act(request, ref, _record)


def _milestone(form: dict[str, str], account: Account) -> BaseModel:
    """Only the details filled in are sent: the journey's validator says what a milestone lacks
    or does not take."""
    details: dict[str, Any] = {k: form[k].strip() for k in MILESTONE_FIELDS if form.get(k, "").strip()}
    if "eligible" in details:
        details["eligible"] = details["eligible"] == "yes"
    return ApplyMilestone.intake(_with_note({"milestone": form.get("milestone"), "by": account.id, **details}, form))


@router.post("/journeys/{ref}/milestone")
async def milestone_action(request: Request, ref: str) -> Response:
    return await _act(request, ref, _milestone)


@router.post("/journeys/{ref}/stage")
async def stage_action(request: Request, ref: str) -> Response:
    return await _act(request, ref, lambda f, a: AdvanceStage.intake({"to_stage": f.get("to_stage"), "by": a.id}))


def _with_note(values: dict[str, Any], form: dict[str, str]) -> dict[str, Any]:
    return {**values, **({"note": form["note"]} if form.get("note", "").strip() else {})}


@router.post("/journeys/{ref}/pause")
async def pause_action(request: Request, ref: str) -> Response:
    return await _act(request, ref, lambda f, a: PauseJourney.intake(
        _with_note({"reason": f.get("reason"), "by": a.id}, f)))


@router.post("/journeys/{ref}/resume")
async def resume_action(request: Request, ref: str) -> Response:
    return await _act(request, ref, lambda f, a: ResumeJourney.intake({"by": a.id}))


@router.post("/journeys/{ref}/consent")
async def consent_action(request: Request, ref: str) -> Response:
    return await _act(request, ref, lambda f, a: SetConsent.intake({"granted": f.get("granted") == "yes", "by": a.id}))


@router.post("/journeys/{ref}/replies")
async def reply_handled_action(request: Request, ref: str) -> Response:
    return await _act(request, ref, lambda f, a: MarkReplyHandled.intake(
        _with_note({"reply_id": f.get("reply_id"), "by": a.id}, f)))


@router.post("/journeys/{ref}/close")
async def close_action(request: Request, ref: str) -> Response:
    form = await request.form()
    if form.get("confirm") != "yes":
        got = await _form(request)
        if isinstance(got, Response):
            return got
        session, account, fields = got
        try:
            CloseJourney.intake(_with_note({"reason": fields.get("reason"), "by": account.id}, fields))
        except ValidationError as err:
            return await _journey_page(request, session, account, ref, 422, error=describe(err, "request"))
        return render(request, "confirm_close.html", session, account, ref=ref, reason=fields.get("reason"),
                      note=fields.get("note", ""), page="journey")
    return await _act(request, ref, lambda f, a: CloseJourney.intake(
        _with_note({"reason": f.get("reason"), "by": a.id}, f)))


def _appointment(form: dict[str, str], account: Account) -> BaseModel:
    """One form per appointment action: book, move, cancel, done, missed."""
    action, by = form.get("action", ""), account.id
    starts_at = form.get("starts_at", "").strip() or None
    if action == "book":
        values: dict[str, Any] = {"kind": form.get("kind"), "starts_at": starts_at, "by": by}
        for name in ("venue_timezone", "place", "check_day"):
            if form.get(name, "").strip():
                values[name] = form[name].strip()
        return ScheduleAppointment.intake(_with_note(values, form))
    ident = form.get("appointment_id")
    if action == "move":
        return RescheduleAppointment.intake({"appointment_id": ident, "starts_at": starts_at, "by": by})
    if action == "cancel":
        return CancelAppointment.intake({"appointment_id": ident, "by": by})
    return RecordAppointmentOutcome.intake({"appointment_id": ident, "outcome": action, "by": by})


@router.post("/journeys/{ref}/appointments")
async def appointment_action(request: Request, ref: str) -> Response:
    return await _act(request, ref, _appointment)


@router.post("/journeys/{ref}/reassign")
async def reassign_action(request: Request, ref: str) -> Response:
    """A supervisor hands the journey to another coordinator (their language, zone and e-mail from
    their account; without an e-mail there, coordinator alerts are not e-mailed to them)."""
    coordinators = _dash(request).coordinators

    def build(form: dict[str, str], account: Account) -> BaseModel:
        chosen = coordinators.get(form.get("coordinator", "").strip())
        target: dict[str, Any] = {"id": form.get("coordinator")}
        if chosen:  # what the account says of them: alerts reach them in their language
            target = {"id": chosen.id, "language": chosen.language, "timezone": chosen.timezone,
                      **({"email": chosen.email} if chosen.email else {})}
        return ReassignJourney.intake(_with_note({"coordinator": target, "by": account.id}, form))

    return await _act(request, ref, build)


def install(app: FastAPI, coordinators: Coordinators, secret: str, secure_cookies: bool,
            store: SessionStore | None = None) -> None:
    store = store or SessionStore()
    sessions = Sessions(secret, secure_cookies, store, coordinators.credential)
    # The brake's keys beside the sessions: one brake for every API process using this store.
    app.state.dashboard = Dashboard(coordinators, sessions, SignInBrake(BrakeStore(store.engine, secret)))
    app.include_router(router)
    app.mount("/dashboard/static", StaticFiles(directory=str(HERE / "static")), name="dashboard-static")

    @app.exception_handler(SignInRequired)
    async def _sign_in(request: Request, exc: SignInRequired) -> Response:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/dashboard/login?next={quote(_safe_next(target))}", status_code=303)
