"""Provider webhooks: Twilio inbound SMS and status callbacks, Resend delivery events (Svix).

Each request is verified as its provider documents before anything is read from it; an unsigned
or wrongly signed request gets 403 and changes nothing. Verified events go to
``service.inbound``, which finds the journey through the delivery ledger. Only keywords,
statuses and provider ids travel on; a reply's text and the sender's number are never logged.

Configure Twilio's "A message comes in" URL as ``<public base>/webhooks/twilio/sms`` and set
``WAYPOINT_STATUS_CALLBACK_BASE=<public base>/webhooks`` (status callbacks then arrive at
``/webhooks/twilio/status``); Resend's endpoint is ``<public base>/webhooks/resend``.
"""

from __future__ import annotations

import json
import logging
import re
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel

from api.errors import ErrorBody, error
from api.signatures import svix_valid, twilio_valid
from service.inbound import handle_delivery_status, handle_inbound_sms

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
    503: {"model": ErrorBody, "description": "this webhook is not configured"},
}
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


@router.post("/twilio/sms", summary="Twilio: a message comes in (STOP/START keywords)",
             response_class=Response, responses={200: {"content": {"text/xml": {}}, "description": "empty TwiML"}})
async def twilio_inbound_sms(request: Request) -> Response:
    got = await _twilio_fields(request)
    if isinstance(got, JSONResponse):
        return got
    fields, ledger = got
    from_number, body = fields.get("From", ""), fields.get("Body", "")
    if from_number and len(from_number) <= 32 and len(body) <= 2000:
        result = await handle_inbound_sms(request.app.state.journeys.client, ledger, from_number, body)
        log.info("Twilio inbound SMS: %s; %d journey(s) told", "keyword" if result.understood else "not a keyword",
                 len(result.signalled))
    # The journey sends its own confirmation; Twilio gets an empty answer.
    return Response(EMPTY_TWIML, media_type="text/xml")


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
    if _PROVIDER_ID.match(sid) and 0 < len(status) <= 32:
        result = await handle_delivery_status(request.app.state.journeys.client, ledger, sid, status, code)
        log.info("Twilio status %s for %s: %s", status[:20] if status.isalpha() else "?", sid,
                 "journey told" if result.signalled else result.detail)
    return Response(EMPTY_TWIML, media_type="text/xml")


class WebhookAck(BaseModel):
    received: bool = True
    understood: bool


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
    kind = event.get("type") if isinstance(event, dict) else None
    data = event.get("data") if isinstance(event, dict) else None
    email_id = data.get("email_id") if isinstance(data, dict) else None
    if not isinstance(kind, str) or not isinstance(email_id, str) or not _PROVIDER_ID.match(email_id):
        return error(422, "invalid event: type and data.email_id are required")
    ledger = request.app.state.ledger
    if ledger is None:
        return _no_ledger()
    result = await handle_delivery_status(request.app.state.journeys.client, ledger, email_id, kind[:40])
    log.info("Resend event for %s: %s", email_id, "journey told" if result.signalled else result.detail)
    return WebhookAck(understood=result.understood)
