"""Provider webhooks: Twilio inbound SMS and status callbacks, Resend delivery events (Svix).

Each request is verified as its provider documents before anything is read from it; an unsigned
or wrongly signed request gets 403 and changes nothing. Verified events go to
``service.inbound``, which finds the journey through the delivery ledger. Only keywords,
statuses and provider ids travel on; a reply's text and the sender's number are never logged.

Each event is taken once: its provider id (Twilio's MessageSid, with the status for a status
callback; Resend's svix-id) is claimed in the ledger first, and a repeat is answered as the first
one was but changes nothing. When the journey cannot be told now (Temporal unreachable) the claim
is released and the answer is 503 with Retry-After, so the provider retries.

Configure Twilio's "A message comes in" URL as ``<public base>/webhooks/twilio/sms`` and set
``WAYPOINT_STATUS_CALLBACK_BASE=<public base>/webhooks`` (status callbacks then arrive at
``/webhooks/twilio/status``); Resend's endpoint is ``<public base>/webhooks/resend``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from email.utils import parseaddr
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from api.errors import ErrorBody, error
from api.signatures import svix_valid, twilio_valid
from service.inbound import (
    InboundResult,
    JourneysUnreachable,
    handle_delivery_status,
    handle_inbound_email,
    handle_inbound_sms,
)

log = logging.getLogger("waypoint.api.webhooks")

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
_PROVIDER_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,100}$")
_PROVIDER_CODE = re.compile(r"^[A-Za-z0-9_.-]{1,32}$")


@dataclass(frozen=True)
class WebhookSettings:
    twilio_auth_token: str | None = None
    svix_key: bytes | None = None  # from RESEND_WEBHOOK_SECRET (whsec_...)
    public_base_url: str | None = None  # WAYPOINT_PUBLIC_BASE_URL: the URL Twilio signs

    def __repr__(self) -> str:  # never show secrets
        return f"WebhookSettings(twilio={'set' if self.twilio_auth_token else 'unset'}, " \
               f"resend={'set' if self.svix_key else 'unset'}, public_base_url={self.public_base_url!r})"


RESPONSES: dict[int | str, dict[str, Any]] = {
    403: {"model": ErrorBody, "description": "missing or wrong signature"},
    415: {"model": ErrorBody, "description": "wrong content type"},
    503: {"model": ErrorBody, "description": "this webhook is not configured, or the journey cannot be told now (retry)"},
}
RETRY_AFTER_SECONDS = 30
# The provider ids that name an event in the ledger's inbound_events.
TWILIO_SMS, TWILIO_STATUS, RESEND = "twilio-sms", "twilio-status", "resend"
router = APIRouter(prefix="/webhooks", tags=["webhooks"], responses=RESPONSES)


def _signed_url(request: Request, settings: WebhookSettings) -> str:
    if settings.public_base_url:
        query = request.url.query
        return settings.public_base_url.rstrip("/") + request.url.path + (f"?{query}" if query else "")
    return str(request.url)


def _media(request: Request) -> str:
    return (request.headers.get("content-type") or "").split(";", 1)[0].strip().lower()


async def _twilio_params(request: Request) -> list[tuple[str, str]] | JSONResponse:
    settings: WebhookSettings = request.app.state.webhooks
    if not settings.twilio_auth_token:
        return error(503, "Twilio webhooks are not configured (TWILIO_AUTH_TOKEN)")
    signature = request.headers.get("x-twilio-signature")
    if not signature:
        return error(403, "missing X-Twilio-Signature")
    if _media(request) != "application/x-www-form-urlencoded":
        return error(415, "Twilio webhooks are form-encoded (application/x-www-form-urlencoded)")
    try:
        params = parse_qsl((await request.body()).decode("utf-8"), keep_blank_values=True)
    except UnicodeDecodeError:
        return error(403, "wrong X-Twilio-Signature")
    if not twilio_valid(settings.twilio_auth_token, _signed_url(request, settings), params, signature):
        log.warning("Twilio webhook refused: wrong signature on %s", request.url.path)
        return error(403, "wrong X-Twilio-Signature")
    return params


def _no_ledger() -> JSONResponse:
    return error(503, "inbound routing needs the delivery ledger (WAYPOINT_LEDGER_URL; WAYPOINT_CONTACT_HASH_KEY unless it is a local SQLite file)")


async def _twilio_fields(request: Request) -> tuple[dict[str, str], Any] | JSONResponse:
    """A verified Twilio request's fields and the ledger that routes it, or the refusal."""
    params = await _twilio_params(request)
    if isinstance(params, JSONResponse):
        return params
    ledger = request.app.state.ledger
    if ledger is None:
        return _no_ledger()
    return dict(params), ledger


async def _once(ledger: Any, provider: str, event_id: str,
                handle: Callable[[], Awaitable[InboundResult]]) -> InboundResult | JSONResponse | None:
    """Hand an event on once: None for a repeat, 503 (claim released) when the journey cannot be told."""
    if not await asyncio.to_thread(ledger.claim_inbound, provider, event_id):
        log.info("%s event %s already taken: ignored", provider, event_id)
        return None
    try:
        return await handle()
    except JourneysUnreachable as err:
        await asyncio.to_thread(ledger.release_inbound, provider, event_id)
        log.warning("%s event %s not taken: %s", provider, event_id, err)
        return error(503, "the journey service cannot take this event now; retry later",
                     headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


def _twiml() -> Response:
    return Response(EMPTY_TWIML, media_type="text/xml")


@router.post("/twilio/sms", summary="Twilio: a message comes in (STOP/START, or a reply for the coordinator)",
             response_class=Response, responses={200: {"content": {"text/xml": {}}, "description": "empty TwiML"}})
async def twilio_inbound_sms(request: Request) -> Response:
    got = await _twilio_fields(request)
    if isinstance(got, JSONResponse):
        return got
    fields, ledger = got
    sid, from_number, body = fields.get("MessageSid", ""), fields.get("From", ""), fields.get("Body", "")
    if not (_PROVIDER_ID.match(sid) and from_number and len(from_number) <= 32 and len(body) <= 2000):
        return _twiml()  # nothing we can take (and name) once
    client = request.app.state.journeys.client
    result = await _once(ledger, TWILIO_SMS, sid, lambda: handle_inbound_sms(client, ledger, from_number, body))
    if isinstance(result, JSONResponse):
        return result
    if result is not None:
        log.info("Twilio inbound SMS: %s; %d journey(s) told", result.detail, len(result.signalled))
    # The journey sends its own confirmation; Twilio gets an empty answer.
    return _twiml()


@router.post("/twilio/status", summary="Twilio: message status callback",
             response_class=Response, responses={200: {"content": {"text/xml": {}}, "description": "empty TwiML"}})
async def twilio_status(request: Request) -> Response:
    got = await _twilio_fields(request)
    if isinstance(got, JSONResponse):
        return got
    fields, ledger = got
    sid, status = fields.get("MessageSid", ""), fields.get("MessageStatus", "")
    code = fields.get("ErrorCode") or None
    if code is not None and not _PROVIDER_CODE.match(code):
        code = None
    if not (_PROVIDER_ID.match(sid) and _PROVIDER_CODE.match(status)):
        return _twiml()
    client = request.app.state.journeys.client
    result = await _once(ledger, TWILIO_STATUS, f"{sid}:{status.lower()}",
                         lambda: handle_delivery_status(client, ledger, sid, status, code))
    if isinstance(result, JSONResponse):
        return result
    if result is not None:
        log.info("Twilio status %s for %s: %s", status[:20] if status.isalpha() else "?", sid,
                 "journey told" if result.signalled else result.detail)
    return _twiml()


class WebhookAck(BaseModel):
    received: bool = True
    understood: bool
    duplicate: bool = False  # this svix-id was taken before: nothing was done again


@router.post("/resend", summary="Resend: e-mail delivery events (signed with Svix)", response_model=WebhookAck,
             responses={422: {"model": ErrorBody, "description": "signed, but not an event we can read"}})
async def resend_events(request: Request) -> WebhookAck | JSONResponse:
    settings: WebhookSettings = request.app.state.webhooks
    if not settings.svix_key:
        return error(503, "Resend webhooks are not configured (RESEND_WEBHOOK_SECRET)")
    body = await request.body()
    h = request.headers
    if not svix_valid(settings.svix_key, h.get("svix-id"), h.get("svix-timestamp"), h.get("svix-signature"),
                      body, now=time.time()):
        log.warning("Resend webhook refused: missing, wrong or stale signature")
        return error(403, "missing, wrong or stale Svix signature")
    if _media(request) != "application/json":
        return error(415, "Resend events are JSON (application/json)")
    try:
        event = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return error(422, "invalid event: body: not valid JSON")
    except RecursionError:  # signed, but nested deeper than any event: refused, not a crash
        return error(422, "invalid event: body: nested too deeply")
    kind = event.get("type") if isinstance(event, dict) else None
    data = event.get("data") if isinstance(event, dict) else None
    email_id = data.get("email_id") if isinstance(data, dict) else None
    if not isinstance(kind, str) or not isinstance(email_id, str) or not _PROVIDER_ID.match(email_id):
        return error(422, "invalid event: type and data.email_id are required")
    ledger = request.app.state.ledger
    if ledger is None:
        return _no_ledger()
    client = request.app.state.journeys.client
    result = await _once(ledger, RESEND, h.get("svix-id", ""),
                         lambda: handle_delivery_status(client, ledger, email_id, kind[:40]))
    if isinstance(result, JSONResponse):
        return result
    if result is None:
        return WebhookAck(understood=True, duplicate=True)
    log.info("Resend event for %s: %s", email_id, "journey told" if result.signalled else result.detail)
    return WebhookAck(understood=result.understood)


class InboundEmail(BaseModel):
    """An e-mail a family sent us, as an e-mail service's inbound route forwards it."""

    model_config = ConfigDict(extra="ignore")  # services add their own fields (headers, ids...)

    sender: str = Field(alias="from", min_length=3, max_length=320, description='the sender, "Name <address>" or an address')
    # Any length the API's body limit lets through (a larger body is a 413): a long e-mail still
    # reaches a person, cut to what a journey keeps and saying so (service/inbound.reply_text).
    text: str = Field(description="the plain-text body (quoted earlier messages are dropped; a long one is cut)")
    subject: str | None = Field(default=None, max_length=500, description="not used for routing; never stored")


class InboundAck(BaseModel):
    received: bool = True
    told: int = Field(description="how many journeys were told (0 when the sender is not a guardian we wrote to)")


@router.post("/email/inbound", summary="A family's e-mail reply (forwarded by your e-mail service)",
             response_model=InboundAck,
             openapi_extra={"requestBody": {"required": True, "content": {
                 "application/json": {"schema": InboundEmail.model_json_schema(by_alias=True)}}}},
             responses={401: {"model": ErrorBody, "description": "missing or invalid API key"},
                        413: {"model": ErrorBody, "description": "body larger than the limit"},
                        422: {"model": ErrorBody, "description": "not an e-mail we can read"}})
async def inbound_email(request: Request) -> InboundAck | JSONResponse:
    if request.app.state.api_keys.verify(request.headers.get("x-api-key")) is None:
        return error(401, "missing or invalid API key (send it in the X-API-Key header)")
    if _media(request) != "application/json":
        return error(415, "inbound e-mail is JSON (application/json)")
    try:
        mail = InboundEmail.model_validate_json(await request.body())
    except ValidationError as err:
        # Name the fields that are wrong (a body that is not an object has none: say so).
        fields = [str(e["loc"][-1]) for e in err.errors() if e.get("loc")]
        return error(422, f"invalid inbound e-mail: {', '.join(fields) or 'the body must be a JSON object'}")
    address = parseaddr(mail.sender)[1]
    if "@" not in address:
        return error(422, "invalid inbound e-mail: from is not an address")
    ledger = request.app.state.ledger
    if ledger is None:
        return _no_ledger()
    try:
        result = await handle_inbound_email(request.app.state.journeys.client, ledger, address, mail.text)
    except JourneysUnreachable as err:
        log.warning("inbound e-mail not taken: %s", err)
        return error(503, "the journey service cannot take this e-mail now; retry later",
                     headers={"Retry-After": str(RETRY_AFTER_SECONDS)})
    log.info("inbound e-mail: %s; %d journey(s) told", result.detail, len(result.signalled))
    return InboundAck(told=len(result.signalled))
