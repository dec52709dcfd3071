"""Provider webhooks: signatures checked against known vectors computed here from the providers'
documented algorithms, then signed requests over real HTTP reaching journeys on the dev server."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from urllib.parse import urlencode

import httpx
import pytest
import pytest_asyncio

from api.app import ApiSettings, create_app
from service.config import Settings
from api.signatures import svix_key, svix_signature, svix_valid, twilio_signature, twilio_valid
from api.webhooks import WebhookSettings
from messaging.ledger import Ledger
from tests.support.polling import eventually
from tests.support.webhooks import PHONE, history_length, journey_with_sms_contact, ledger_in, sent_by_provider
from tests.support.api_harness import api_settings, served
from tests.conftest import Harness

TOKEN = "twilio-auth-token-" + secrets.token_hex(8)
WHSEC = "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()
PUBLIC = "https://journeys.waypoint.example"


# --- known vectors ---------------------------------------------------------------------------------


def twilio_reference(token: str, url: str, params: dict[str, str]) -> str:
    """Twilio's documented algorithm, written out independently of api.signatures."""
    data = url + "".join(f"{k}{params[k]}" for k in sorted(params))
    return base64.b64encode(hmac.new(token.encode(), data.encode(), hashlib.sha1).digest()).decode()


def svix_reference(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    key = base64.b64decode(secret.split("_", 1)[1])
    content = msg_id.encode() + b"." + str(timestamp).encode() + b"." + body
    return "v1," + base64.b64encode(hmac.new(key, content, hashlib.sha256).digest()).decode()


def test_twilio_signature_matches_the_documented_example():
    # The example from Twilio's "Webhooks security" page (auth token 12345).
    url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    params = {"CallSid": "CA1234567890ABCDE", "Caller": "+12349013030", "Digits": "1234",
              "From": "+12349013030", "To": "+18005551212"}
    assert twilio_reference("12345", url, params) == "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
    assert twilio_signature("12345", url, params.items()) == "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
    assert twilio_valid("12345", url, params.items(), "0/KCTR6DLpKmkAf8muzZqo1nDgQ=")
    assert not twilio_valid("12346", url, params.items(), "0/KCTR6DLpKmkAf8muzZqo1nDgQ=")
    assert not twilio_valid("12345", url + "&baz=3", params.items(), "0/KCTR6DLpKmkAf8muzZqo1nDgQ=")
    assert not twilio_valid("12345", url, {**params, "Digits": "1235"}.items(), "0/KCTR6DLpKmkAf8muzZqo1nDgQ=")
    assert not twilio_valid("12345", url, params.items(), None)


def test_svix_signature_matches_the_documented_example():
    # The example from Svix's "verifying webhooks manually" documentation.
    secret, msg_id, ts, body = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, b'{"test": 2432232314}'
    expected = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    assert svix_reference(secret, msg_id, ts, body) == expected
    key = svix_key(secret)
    assert "v1," + svix_signature(key, msg_id, str(ts), body) == expected
    assert svix_valid(key, msg_id, str(ts), f"v1,bm90IGl0 {expected}", body, now=ts + 10)  # any listed signature
    assert not svix_valid(key, msg_id, str(ts), expected, body, now=ts + 301)  # stale
    assert not svix_valid(key, msg_id, str(ts), expected, body, now=ts - 301)  # from the future
    assert not svix_valid(key, msg_id, str(ts), expected, body + b" ", now=ts)
    assert not svix_valid(key, "msg_other", str(ts), expected, body, now=ts)
    assert not svix_valid(key, msg_id, str(ts), expected.replace("v1,", "v2,"), body, now=ts)
    with pytest.raises(ValueError, match="base64"):
        svix_key("whsec_not base64!")


# --- over HTTP, into journeys ---------------------------------------------------------------------


@dataclass
class Hooks:
    http: httpx.AsyncClient
    harness: Harness
    ledger: Ledger

    async def twilio(self, path: str, params: dict[str, str], token: str = TOKEN, url: str | None = None) -> httpx.Response:
        signature = twilio_reference(token, url or PUBLIC + path, params)
        return await self.http.post(path, content=urlencode(params), headers={
            "X-Twilio-Signature": signature, "content-type": "application/x-www-form-urlencoded"})

    async def resend(self, event: dict, secret: str = WHSEC, at: int | None = None, msg_id: str | None = None) -> httpx.Response:
        msg_id = msg_id or "msg_" + secrets.token_hex(12)  # Svix gives every event its own id
        body = json.dumps(event).encode()
        at = int(time.time()) if at is None else at
        return await self.http.post("/webhooks/resend", content=body, headers={
            "svix-id": msg_id, "svix-timestamp": str(at), "svix-signature": svix_reference(secret, msg_id, at, body),
            "content-type": "application/json"})

    async def history(self, ref: str) -> int:
        return await history_length(self.harness, ref)


@pytest_asyncio.fixture
async def hooks(dev: Harness, tmp_path) -> AsyncIterator[Hooks]:
    ledger = ledger_in(tmp_path)
    webhooks = WebhookSettings(twilio_auth_token=TOKEN, svix_key=svix_key(WHSEC), public_base_url=PUBLIC)
    app = create_app(dev.settings, dev.journeys, ledger, api_settings(webhooks=webhooks))
    async with served(app) as base, httpx.AsyncClient(base_url=base, timeout=30) as http:
        yield Hooks(http, dev, ledger)
    ledger.close()


async def _started(h: Hooks) -> str:
    return await journey_with_sms_contact(h.harness, h.ledger)


async def test_signed_stop_and_start_reach_the_journey_unsigned_ones_change_nothing(hooks: Hooks):
    ref = await _started(hooks)
    path = "/webhooks/twilio/sms"
    stop = {"MessageSid": "SM" + "a" * 32, "From": PHONE, "To": "+15550001111", "Body": "STOP", "NumMedia": "0"}
    before = await hooks.history(ref)

    # Unsigned, wrongly signed (other token, other URL, tampered body), wrong content type: 403/415.
    r = await hooks.http.post(path, content=urlencode(stop), headers={"content-type": "application/x-www-form-urlencoded"})
    assert r.status_code == 403 and r.json() == {"detail": "missing X-Twilio-Signature"}
    assert (await hooks.twilio(path, stop, token="another-token")).status_code == 403
    assert (await hooks.twilio(path, stop, url=PUBLIC + "/webhooks/twilio/status")).status_code == 403
    signature = twilio_reference(TOKEN, PUBLIC + path, stop)
    tampered = dict(stop, Body="START")
    r = await hooks.http.post(path, content=urlencode(tampered), headers={
        "X-Twilio-Signature": signature, "content-type": "application/x-www-form-urlencoded"})
    assert r.status_code == 403 and PHONE not in r.text
    r = await hooks.http.post(path, json=stop, headers={"X-Twilio-Signature": signature})
    assert r.status_code == 415
    await asyncio.sleep(0.5)
    assert await hooks.history(ref) == before
    assert (await hooks.harness.journeys.status(ref)).opted_out == {}

    # Signed STOP: the guardian's SMS channel stops.
    r = await hooks.twilio(path, stop)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/xml") and "<Response>" in r.text
    await eventually(lambda: _opted_out(hooks, ref, {"guardian-1": ["sms"]}))
    # Chatter is left for a person; START resubscribes.
    # (each message Twilio sends us has its own MessageSid: a repeated one is ignored)
    assert (await hooks.twilio(path, dict(stop, Body="when is the visit?", MessageSid="SM" + "b" * 32))).status_code == 200
    assert (await hooks.twilio(path, dict(stop, Body="START", MessageSid="SM" + "c" * 32))).status_code == 200
    await eventually(lambda: _opted_out(hooks, ref, {}))


async def _opted_out(h: Hooks, ref: str, expected: dict) -> bool:
    return (await h.harness.journeys.status(ref)).opted_out == expected


async def test_a_signed_twilio_status_callback_marks_the_message_and_alerts_the_coordinator(hooks: Hooks):
    ref = await _started(hooks)
    sid = "SM" + secrets.token_hex(16)
    sms = await sent_by_provider(hooks.harness, hooks.ledger, ref, "sms", "twilio", sid)
    path = "/webhooks/twilio/status"
    callback = {"MessageSid": sid, "MessageStatus": "undelivered", "ErrorCode": "30003",
                "AccountSid": "AC" + "0" * 32, "To": PHONE}
    before = await hooks.history(ref)
    assert (await hooks.twilio(path, callback, token="wrong")).status_code == 403
    await asyncio.sleep(0.5)
    assert await hooks.history(ref) == before

    assert (await hooks.twilio(path, dict(callback, MessageStatus="sent"))).status_code == 200  # not tracked
    assert (await hooks.twilio(path, callback)).status_code == 200
    message = await eventually(lambda: _message(hooks, ref, sms.key, "undelivered"))
    assert message.outcome == "undelivered (30003)"
    status = await hooks.harness.journeys.status(ref)
    assert "delivery_failed" in [a.kind.value for a in status.open_alerts]
    # An unknown provider id and an odd error code are answered 200 and change nothing.
    assert (await hooks.twilio(path, dict(callback, MessageSid="SMunknown"))).status_code == 200
    assert (await hooks.twilio(path, dict(callback, ErrorCode="<script>"))).status_code == 200


async def _message(h: Hooks, ref: str, key: str, delivery: str):
    found = [m for m in await h.harness.journeys.messages(ref) if m.key == key and m.delivery == delivery]
    return found[0] if found else None


async def test_resend_events_signed_with_svix_reach_the_message_and_stale_or_forged_ones_do_not(hooks: Hooks):
    ref = await _started(hooks)
    email_id = "4ef9a417-02e9-4d39-ad75-9611e0fcc33c"
    email = await sent_by_provider(hooks.harness, hooks.ledger, ref, "email", "resend", email_id)
    bounced = {"type": "email.bounced", "created_at": "2026-01-01T00:00:00Z",
               "data": {"email_id": email_id, "to": ["family@example.kz"], "subject": "x"}}
    before = await hooks.history(ref)

    r = await hooks.http.post("/webhooks/resend", json=bounced)  # unsigned
    assert r.status_code == 403
    other = "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()
    assert (await hooks.resend(bounced, secret=other)).status_code == 403
    assert (await hooks.resend(bounced, at=int(time.time()) - 600)).status_code == 403  # stale: a replay
    await asyncio.sleep(0.5)
    assert await hooks.history(ref) == before

    r = await hooks.resend({"type": "email.opened", "data": {"email_id": email_id}})
    assert r.status_code == 200 and r.json() == {"received": True, "understood": False, "duplicate": False}
    r = await hooks.resend({"type": "email.bounced"})
    assert r.status_code == 422
    r = await hooks.resend(bounced)
    assert r.status_code == 200 and r.json() == {"received": True, "understood": True, "duplicate": False}
    await eventually(lambda: _message(hooks, ref, email.key, "bounced"))


async def test_webhooks_answer_503_when_not_configured_and_never_need_an_api_key(dev: Harness):
    app = create_app(dev.settings, dev.journeys, None, api_settings())
    async with served(app) as base, httpx.AsyncClient(base_url=base) as http:
        r = await http.post("/webhooks/twilio/sms", content="Body=STOP", headers={
            "X-Twilio-Signature": "x", "content-type": "application/x-www-form-urlencoded"})
        assert r.status_code == 503 and "TWILIO_AUTH_TOKEN" in r.json()["detail"]
        r = await http.post("/webhooks/resend", content=b"{}", headers={"content-type": "application/json"})
        assert r.status_code == 503 and "RESEND_WEBHOOK_SECRET" in r.json()["detail"]


def test_webhook_secrets_come_from_the_environment_and_are_never_shown():
    api = ApiSettings.from_settings(Settings.from_env({"TWILIO_AUTH_TOKEN": TOKEN, "RESEND_WEBHOOK_SECRET": WHSEC,
                                                       "WAYPOINT_PUBLIC_BASE_URL": PUBLIC}))
    assert api.webhooks.twilio_auth_token == TOKEN and api.webhooks.svix_key == svix_key(WHSEC)
    assert TOKEN not in repr(api) and WHSEC[6:] not in repr(api) and api.secure_cookies
    with pytest.raises(ValueError, match="RESEND_WEBHOOK_SECRET") as err:
        ApiSettings.from_settings(Settings.from_env({"RESEND_WEBHOOK_SECRET": "whsec_%%%"}))
    assert "%%%" not in str(err.value)


async def test_a_signed_resend_body_nested_too_deep_is_a_clean_422(hooks: Hooks):
    for depth in (1_000, 30_000):  # (30,000 deep still fits the 64 KB body limit)
        deep = '{"type": "email.bounced", "data": ' + "[" * depth + "]" * depth + "}"
        body = deep.encode()
        at = int(time.time())
        msg_id = "msg_" + secrets.token_hex(8)
        r = await hooks.http.post("/webhooks/resend", content=body, headers={
            "svix-id": msg_id, "svix-timestamp": str(at), "svix-signature": svix_reference(WHSEC, msg_id, at, body),
            "content-type": "application/json"})
        assert r.status_code == 422, r.text
