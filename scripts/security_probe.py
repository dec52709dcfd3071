"""The security probe of issue 15, repeatable: each finding tried again over loopback against a
running stack (scripts/run.sh), printing one figure per line (docs/security-probe.md).

    WAYPOINT_PROBE_BASE=http://127.0.0.1:20800 WAYPOINT_PROBE_DATA=/tmp/probe/var \\
    WAYPOINT_PROBE_KEY=... WAYPOINT_PROBE_PASSWORD=... TWILIO_AUTH_TOKEN=... RESEND_WEBHOOK_SECRET=... \\
    WAYPOINT_PUBLIC_BASE_URL=https://journeys.example WAYPOINT_CODEC_URL=http://127.0.0.1:20881 \\
    python scripts/security_probe.py

The accounts it expects: coord-lin (team almaty), coord-bo (team beijing), sup-mei (supervisor),
all with WAYPOINT_PROBE_PASSWORD. Nothing here is used by the service; it only asks it.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import re
import secrets
import stat
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
from svix.webhooks import Webhook
from twilio.request_validator import RequestValidator

ROOT = Path(__file__).resolve().parent.parent
E = os.environ
BASE, DATA, KEY, PASSWORD = E["WAYPOINT_PROBE_BASE"], Path(E["WAYPOINT_PROBE_DATA"]), E["WAYPOINT_PROBE_KEY"], \
    E["WAYPOINT_PROBE_PASSWORD"]
PUBLIC = E["WAYPOINT_PUBLIC_BASE_URL"].rstrip("/")
PHONE = "+77012345678"


def say(item: str, text: str) -> None:
    print(f"{item}: {text}", flush=True)


def case(**overrides: Any) -> dict[str, Any]:
    data = json.loads((ROOT / "examples" / "case-car-t-question.json").read_text())
    data["case_reference"] = f"WJ-2026-{secrets.randbelow(900000) + 100000}"
    for person in [*data["guardians"], data["local_team"]]:
        person["quiet_hours"] = {"start": "00:00", "end": "00:00"}
    data.update(overrides)
    return data


def csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found
    return found.group(1)


async def sign_in(web: httpx.AsyncClient, account: str, password: str) -> httpx.Response:
    page = await web.get("/dashboard/login")
    return await web.post("/dashboard/login", data={"account": account, "password": password, "csrf_token": csrf(page.text)})


async def started(api: httpx.AsyncClient, **overrides: Any) -> str:
    data = case(**overrides)
    r = await api.post("/journeys", json=data)
    assert r.status_code == 201, r.text
    ref = data["case_reference"]
    for _ in range(200):
        m = await api.get(f"/journeys/{ref}/messages")
        if m.status_code == 200 and any(x["status"] == "sent" for x in m.json()):
            return ref
        await asyncio.sleep(0.2)
    raise AssertionError("journey did not send its first messages")


async def brake() -> None:
    async with httpx.AsyncClient(base_url=BASE, timeout=30) as web:
        started_at, codes, waits = time.monotonic(), Counter(), []
        for _ in range(50):
            r = await sign_in(web, "coord-bo", "wrong password")
            codes[r.status_code] += 1
            if r.status_code == 429:
                waits.append(int(r.headers["retry-after"]))
        right = await sign_in(web, "coord-bo", PASSWORD)
        say("1 sign-in brake", f"50 wrong passwords in {time.monotonic() - started_at:.1f} s: {dict(codes)}; "
            f"Retry-After {min(waits)}-{max(waits)} s; the right password right after: {right.status_code}")


async def sessions(api: httpx.AsyncClient) -> None:
    ref = await started(api, coordinator={"id": "coord-lin"})
    async with httpx.AsyncClient(base_url=BASE, timeout=30) as web, httpx.AsyncClient(base_url=BASE, timeout=30) as copy:
        assert (await sign_in(web, "coord-lin", PASSWORD)).status_code == 303
        copy.cookies.update(web.cookies)
        page = await copy.get(f"/dashboard/journeys/{ref}")
        before = page.status_code
        home = await web.get("/dashboard/")
        await web.post("/dashboard/logout", data={"csrf_token": csrf(home.text)})
        after = await copy.get(f"/dashboard/journeys/{ref}")
        paused = await copy.post(f"/dashboard/journeys/{ref}/pause", data={"reason": "other", "csrf_token": csrf(page.text)})
        status = (await api.get(f"/journeys/{ref}")).json()
        say("2 sessions", f"copied cookie before logout: {before}; after logout: {after.status_code} -> "
            f"{after.headers.get('location')}; its pause: {paused.status_code}; journey paused: {status['paused']}")
        a, b = httpx.AsyncClient(base_url=BASE, timeout=30), httpx.AsyncClient(base_url=BASE, timeout=30)
        async with a, b:
            await sign_in(a, "coord-lin", PASSWORD)
            await sign_in(b, "coord-lin", PASSWORD)
            home = await a.get("/dashboard/")
            await a.post("/dashboard/sessions/end-all", data={"csrf_token": csrf(home.text)})
            say("2 sessions", f"'sign out everywhere': second device now {(await b.get('/dashboard/')).status_code}")


async def roles(api: httpx.AsyncClient) -> None:
    ref = await started(api, coordinator={"id": "coord-lin"})
    async with httpx.AsyncClient(base_url=BASE, timeout=30) as bo, httpx.AsyncClient(base_url=BASE, timeout=30) as mei:
        await sign_in(bo, "coord-bo", PASSWORD)
        await sign_in(mei, "sup-mei", PASSWORD)
        opened = await bo.get(f"/dashboard/journeys/{ref}")
        home = await bo.get("/dashboard/")
        paused = await bo.post(f"/dashboard/journeys/{ref}/pause", data={"reason": "other", "csrf_token": csrf(home.text)})
        listed = ref in (await bo.get("/dashboard/journeys?scope=all")).text
        page = await mei.get(f"/dashboard/journeys/{ref}")
        moved = await mei.post(f"/dashboard/journeys/{ref}/reassign", data={"coordinator": "coord-bo", "csrf_token": csrf(page.text)})
        say("3 roles", f"coord-bo opens coord-lin's family: {opened.status_code}, pauses it: {paused.status_code}, "
            f"sees it listed: {listed}; supervisor reassigns: {moved.status_code}; coord-bo opens it now: "
            f"{(await bo.get(f'/dashboard/journeys/{ref}')).status_code}")
    r = await api.post(f"/journeys/{ref}/pause", json={"reason": "other", "by": "coord-lin"})
    entry = [e for e in (await api.get(f"/journeys/{ref}/timeline")).json() if e["kind"] == "paused"][-1]
    say("3 roles", f"API key writes by=coord-lin: {r.status_code}; timeline by={entry['by']}, "
        f"claimed_by={entry['detail'].get('claimed_by')}")


async def webhooks(api: httpx.AsyncClient) -> None:
    ref = await started(api)
    validator = RequestValidator(E["TWILIO_AUTH_TOKEN"])

    async def sms(body: str, sid: str, url: str = PUBLIC + "/webhooks/twilio/sms") -> int:
        params = {"MessageSid": sid, "AccountSid": "AC" + "0" * 32, "From": PHONE, "To": "+15550001111", "Body": body}
        r = await api.post("/webhooks/twilio/sms", content=urlencode(params), headers={
            "X-Twilio-Signature": validator.compute_signature(url, params),
            "content-type": "application/x-www-form-urlencoded"})
        return r.status_code

    async def opted() -> Any:
        await asyncio.sleep(1.5)
        return (await api.get(f"/journeys/{ref}")).json()["opted_out"]

    start_sid = "SM" + secrets.token_hex(16)
    codes = [await sms("STOP", "SM" + secrets.token_hex(16)), await sms("START", start_sid),
             await sms("СТОП", "SM" + secrets.token_hex(16))]
    before = await opted()
    replay = await sms("START", start_sid)
    say("4 webhook replay", f"STOP, START, СТОП: {codes} -> opted out {before}; the START replayed: {replay} -> "
        f"opted out {await opted()}")
    default = ":443" if PUBLIC.startswith("https:") else ":80"
    port = await sms("STOP", "SM" + secrets.token_hex(16), PUBLIC + default + "/webhooks/twilio/sms")
    say("4 webhook replay", f"signed by twilio's RequestValidator over {PUBLIC}{default}/...: {port}")
    hook = Webhook(E["RESEND_WEBHOOK_SECRET"])
    msg_id, body = "msg_" + secrets.token_hex(8), json.dumps({"type": "email.opened", "data": {"email_id": "x-1"}})
    answers = []
    for _ in range(2):
        at = datetime.now(UTC)
        r = await api.post("/webhooks/resend", content=body.encode(), headers={
            "svix-id": msg_id, "svix-timestamp": str(int(at.timestamp())), "svix-signature": hook.sign(msg_id, at, body),
            "content-type": "application/json"})
        answers.append(r.json())
    say("4 webhook replay", f"the same svix-id twice: {answers}")


async def names(api: httpx.AsyncClient) -> None:
    hostile = ["Aigerim\r\nBcc: attacker@evil.example", "Aigerim \u202egpj.exe", "\u200b\u200b", "Aigerim\x85Nurlan"]
    codes = []
    for name in hostile:
        data = case()
        data["guardians"][0]["name"] = name
        r = await api.post("/journeys", json=data)
        detail = r.json().get("detail", "")
        codes.append(f"{r.status_code} ({detail.split(': ')[1] if ': ' in detail else detail}: "
                     f"{detail.rsplit('Value error, ', 1)[-1]})")
    say("5 display strings", f"CR/LF, RLO, invisible-only, C1 names: {codes}")


def at_rest(marker: str) -> None:
    clear = [p.name for p in DATA.rglob("*") if p.is_file() and not p.is_relative_to(DATA / "outbox")
             and marker.encode() in p.read_bytes()]
    shared = [str(p.relative_to(DATA)) for p in [DATA, *DATA.rglob("*")] if stat.S_IMODE(p.stat().st_mode) & 0o077]
    say("6 data at rest", f"{marker} in clear outside the outbox: {len(clear)} file(s) {clear}; var/ mode "
        f"{oct(stat.S_IMODE(DATA.stat().st_mode))}; files readable by others: {len(shared)}; "
        f"local-keys.env {oct(stat.S_IMODE((DATA / 'local-keys.env').stat().st_mode))}")


async def headers_and_500s(api: httpx.AsyncClient) -> None:
    for path in ("/dashboard/login", "/journeys", "/docs"):
        h = (await api.get(path)).headers
        say("7 headers", f"{path}: CSP frame-ancestors {'none' if chr(39) + 'none' + chr(39) in h.get('content-security-policy', '') else 'MISSING'}, "
            f"{h.get('x-content-type-options')}, Referrer-Policy {h.get('referrer-policy')}, Cache-Control {h.get('cache-control')}")
    external = re.findall(r"(?:src|href)=.(https?://[^'\"]+)", (await api.get("/docs")).text)
    say("7 headers", f"/docs external URLs: {external}")
    hook = Webhook(E["RESEND_WEBHOOK_SECRET"])
    body, msg_id, at = '{"type":"email.bounced","data":' + "[" * 1000 + "]" * 1000 + "}", "msg_" + secrets.token_hex(8), datetime.now(UTC)
    r = await api.post("/webhooks/resend", content=body.encode(), headers={
        "svix-id": msg_id, "svix-timestamp": str(int(at.timestamp())), "svix-signature": hook.sign(msg_id, at, body),
        "content-type": "application/json"})
    say("8 two 500s", f"signed Resend body nested 1,000 deep: {r.status_code}")
    local = dict(line.split("=", 1) for line in (DATA / "local-keys.env").read_text().splitlines() if "=" in line)
    token, key_id = local["WAYPOINT_CODEC_TOKEN"].strip("'"), local["WAYPOINT_PAYLOAD_KEYS"].strip("'").split(":")[0]
    sealed = {"payloads": [{"metadata": {"encoding": base64.b64encode(b"binary/encrypted").decode(),
                                         "encryption-key-id": base64.b64encode(key_id.encode()).decode()},
                            "data": base64.b64encode(secrets.token_bytes(48)).decode()}]}
    async with httpx.AsyncClient(timeout=30) as http:
        r = await http.post(f"{E['WAYPOINT_CODEC_URL']}/decode", json=sealed, headers={"Authorization": f"Bearer {token}"})
    say("8 two 500s", f"tampered ciphertext at the codec server: {r.status_code}")


async def overload(api: httpx.AsyncClient) -> None:
    ref = await started(api)
    async with httpx.AsyncClient(base_url=BASE, headers={"X-API-Key": KEY}, timeout=120,
                                 limits=httpx.Limits(max_connections=250)) as many:
        answers = await asyncio.gather(*(many.post(f"/journeys/{ref}/consent", json={"granted": n % 2 == 0})
                                         for n in range(200)))
    codes = Counter(r.status_code for r in answers)
    after = {r.headers.get("retry-after") for r in answers if r.status_code == 429}
    say("9 overload", f"200 concurrent commands on one journey: {dict(codes)}; Retry-After on 429: {sorted(after)}")
    r = await api.post("/journeys", json=case(policy={"chase": {"first_reminder_after": "PT0.001S"}}))
    say("9 overload", f"policy PT0.001S: {r.status_code} ({r.json()['detail']})")


async def main() -> int:
    async with httpx.AsyncClient(base_url=BASE, headers={"X-API-Key": KEY}, timeout=60) as api:
        await sessions(api)
        await roles(api)
        await webhooks(api)
        await names(api)
        marker = f"probe-{secrets.token_hex(5)}@example.kz"
        data = case()
        data["guardians"][0]["email"] = marker
        assert (await api.post("/journeys", json=data)).status_code == 201
        await asyncio.sleep(3)
        at_rest(marker)
        await headers_and_500s(api)
        await overload(api)
    await brake()  # last: it locks this client address for a while
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
