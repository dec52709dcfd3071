"""Replayed and misrouted webhooks over real HTTP, signed by the providers' own libraries.

Twilio's signature has no timestamp, so a captured request can be sent again at any time: each
inbound MessageSid (and each status callback) is remembered in the ledger and a repeat changes
nothing. Resend's svix-id is remembered the same way within its window. A request the journey
cannot take right now (Temporal unreachable) is answered 5xx so the provider retries it.
Signatures come from the official ``twilio`` and ``svix`` libraries (test dependencies).
"""

from __future__ import annotations

import asyncio
import base64
import json
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlencode

import httpx
import pytest_asyncio
from svix.webhooks import Webhook
from temporalio.client import Client
from twilio.request_validator import RequestValidator

from api.app import create_app
from api.signatures import svix_key
from api.webhooks import WebhookSettings
from messaging.ledger import Ledger
from service.client import data_converter
from service.journeys import Journeys
from tests.conftest import Harness
from tests.support.api_harness import api_settings, served
from tests.support.polling import eventually
from tests.support.webhooks import PHONE, history_length, journey_with_sms_contact, ledger_in, sent_by_provider

TOKEN = "twilio-auth-token-" + secrets.token_hex(8)
WHSEC = "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()
PUBLIC = "https://journeys.waypoint.example"
SMS = "/webhooks/twilio/sms"
STATUS = "/webhooks/twilio/status"
FORM = "application/x-www-form-urlencoded"


def sid() -> str:
    return "SM" + secrets.token_hex(16)


@dataclass
class Hooks:
    http: httpx.AsyncClient
    harness: Harness
    ledger: Ledger

    async def twilio(self, path: str, params: dict[str, str], url: str | None = None) -> httpx.Response:
        signature = RequestValidator(TOKEN).compute_signature(url or PUBLIC + path, params)
        return await self.http.post(path, content=urlencode(params),
                                    headers={"X-Twilio-Signature": signature, "content-type": FORM})

    async def resend(self, event: dict, msg_id: str) -> httpx.Response:
        body = json.dumps(event)
        at = datetime.now(UTC)
        signature = Webhook(WHSEC).sign(msg_id, at, body)
        return await self.http.post("/webhooks/resend", content=body.encode(), headers={
            "svix-id": msg_id, "svix-timestamp": str(int(at.timestamp())), "svix-signature": signature,
            "content-type": "application/json"})

    async def history(self, ref: str) -> int:
        return await history_length(self.harness, ref)

    async def settled(self, ref: str) -> int:
        """The history's length once nothing has been added to it for a second (sends done)."""
        last = -1
        while (now := await self.history(ref)) != last:
            last = now
            await asyncio.sleep(1.0)
        return last


def _webhooks() -> WebhookSettings:
    return WebhookSettings(twilio_auth_token=TOKEN, svix_key=svix_key(WHSEC), public_base_url=PUBLIC)


@pytest_asyncio.fixture
async def hooks(dev: Harness, tmp_path) -> AsyncIterator[Hooks]:
    ledger = ledger_in(tmp_path)
    app = create_app(dev.settings, dev.journeys, ledger, api_settings(webhooks=_webhooks()))
    async with served(app) as base, httpx.AsyncClient(base_url=base, timeout=30) as http:
        yield Hooks(http, dev, ledger)
    ledger.close()


async def _started(h: Hooks) -> str:
    return await journey_with_sms_contact(h.harness, h.ledger)


async def _opted_out(h: Hooks, ref: str, expected: dict) -> bool:
    return (await h.harness.journeys.status(ref)).opted_out == expected


def _sms(body: str, message_sid: str) -> dict[str, str]:
    return {"MessageSid": message_sid, "AccountSid": "AC" + "0" * 32, "From": PHONE, "To": "+15550001111",
            "Body": body, "NumMedia": "0"}


async def test_a_replayed_twilio_start_does_not_resubscribe_a_family_that_said_stop(hooks: Hooks):
    ref = await _started(hooks)
    stop, start = _sms("STOP", sid()), _sms("START", sid())
    assert (await hooks.twilio(SMS, stop)).status_code == 200
    await eventually(lambda: _opted_out(hooks, ref, {"guardian-1": ["sms"]}))
    assert (await hooks.twilio(SMS, start)).status_code == 200
    await eventually(lambda: _opted_out(hooks, ref, {}))
    assert (await hooks.twilio(SMS, dict(stop, Body="СТОП", MessageSid=sid()))).status_code == 200
    await eventually(lambda: _opted_out(hooks, ref, {"guardian-1": ["sms"]}))
    settled = await hooks.settled(ref)

    # An attacker who captured the START replays it byte for byte: answered, and ignored.
    replay = await hooks.twilio(SMS, start)
    assert replay.status_code == 200 and "<Response>" in replay.text
    await asyncio.sleep(1.0)
    assert await hooks.history(ref) == settled
    assert await _opted_out(hooks, ref, {"guardian-1": ["sms"]})


async def test_a_replayed_status_callback_is_told_to_the_journey_once(hooks: Hooks):
    ref = await _started(hooks)
    message_sid = sid()
    sms = await sent_by_provider(hooks.harness, hooks.ledger, ref, "sms", "twilio", message_sid)
    callback = {"MessageSid": message_sid, "MessageStatus": "undelivered", "ErrorCode": "30003",
                "AccountSid": "AC" + "0" * 32, "To": PHONE}
    assert (await hooks.twilio(STATUS, callback)).status_code == 200
    await eventually(lambda: _delivery(hooks, ref, sms.key, "undelivered"))
    settled = await hooks.settled(ref)
    assert (await hooks.twilio(STATUS, callback)).status_code == 200
    await asyncio.sleep(1.0)
    assert await hooks.history(ref) == settled
    # The same message's next status is a new event.
    assert (await hooks.twilio(STATUS, dict(callback, MessageStatus="failed"))).status_code == 200
    await eventually(lambda: _delivery(hooks, ref, sms.key, "failed"))


async def _delivery(h: Hooks, ref: str, key: str, delivery: str) -> bool:
    return any(m.key == key and m.delivery == delivery for m in await h.harness.journeys.messages(ref))


async def test_a_replayed_svix_id_is_ignored_within_its_window(hooks: Hooks):
    ref = await _started(hooks)
    email_id = "4ef9a417-02e9-4d39-ad75-" + secrets.token_hex(6)
    email = await sent_by_provider(hooks.harness, hooks.ledger, ref, "email", "resend", email_id)
    bounced = {"type": "email.bounced", "created_at": "2026-01-01T00:00:00Z", "data": {"email_id": email_id}}
    msg_id = "msg_" + secrets.token_hex(12)
    first = await hooks.resend(bounced, msg_id)
    assert first.status_code == 200 and first.json()["understood"] is True
    await eventually(lambda: _delivery(hooks, ref, email.key, "bounced"))
    settled = await hooks.settled(ref)
    again = await hooks.resend(bounced, msg_id)  # freshly signed, same svix-id: a replay or a retry
    assert again.status_code == 200 and again.json() == {"received": True, "understood": True, "duplicate": True}
    await asyncio.sleep(1.0)
    assert await hooks.history(ref) == settled


async def test_twilio_signed_over_the_url_with_its_default_port_is_accepted(hooks: Hooks):
    ref = await _started(hooks)
    stop = _sms("STOP", sid())
    r = await hooks.twilio(SMS, stop, url="https://journeys.waypoint.example:443" + SMS)
    assert r.status_code == 200
    await eventually(lambda: _opted_out(hooks, ref, {"guardian-1": ["sms"]}))
    # Another port is another URL: refused.
    r = await hooks.twilio(SMS, _sms("START", sid()), url="https://journeys.waypoint.example:8443" + SMS)
    assert r.status_code == 403


async def test_a_stop_the_journey_cannot_take_now_is_answered_5xx_and_taken_on_the_retry(hooks: Hooks, dev: Harness):
    ref = await _started(hooks)
    # A client whose Temporal frontend is unreachable (nothing listens on that port).
    unreachable = await Client.connect("127.0.0.1:1", lazy=True, data_converter=data_converter())
    down = create_app(dev.settings, Journeys(unreachable, dev.settings.task_queue), hooks.ledger,
                      api_settings(webhooks=_webhooks()))
    stop = _sms("СТОП", sid())  # Russian STOP
    signature = RequestValidator(TOKEN).compute_signature(PUBLIC + SMS, stop)
    headers = {"X-Twilio-Signature": signature, "content-type": FORM}
    async with served(down) as base, httpx.AsyncClient(base_url=base, timeout=60) as http:
        r = await http.post(SMS, content=urlencode(stop), headers=headers)
    assert r.status_code == 503 and r.headers.get("retry-after")
    assert PHONE not in r.text
    assert await _opted_out(hooks, ref, {})
    # Twilio retries the same request once Temporal is back: it is not taken for a repeat.
    r = await hooks.http.post(SMS, content=urlencode(stop), headers=headers)
    assert r.status_code == 200
    await eventually(lambda: _opted_out(hooks, ref, {"guardian-1": ["sms"]}))
