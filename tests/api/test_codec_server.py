"""The codec server over real HTTP: decrypts for a token holder only, CORS for the UI origin."""

from __future__ import annotations

import asyncio
import socket

import httpx
import pytest
import uvicorn
from google.protobuf import json_format
from temporalio.api.common.v1 import Payload, Payloads

from service.codec import EncryptionCodec, new_key_entry, parse_keys
from service.codec_server import create_app, token_hash

TOKEN = "s3cret-token-for-coordinator-tools"
UI = "http://127.0.0.1:8233"


@pytest.fixture
async def server():
    codec = EncryptionCodec(parse_keys(new_key_entry("k1")))
    app = create_app(codec, [token_hash(TOKEN)], [UI])
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    task = asyncio.create_task(srv.serve())
    while not srv.started:
        await asyncio.sleep(0.05)
    yield f"http://127.0.0.1:{port}", codec
    srv.should_exit = True
    await task


def body(payloads: list[Payload]) -> str:
    return json_format.MessageToJson(Payloads(payloads=payloads))


async def test_decode_for_token_holders_only(server):
    url, codec = server
    [sealed] = await codec.encode([Payload(metadata={"encoding": b"json/plain"}, data=b'{"name":"Aigerim"}')])
    async with httpx.AsyncClient() as http:
        denied = await http.post(f"{url}/decode", content=body([sealed]), headers={"Content-Type": "application/json"})
        assert denied.status_code == 401 and "Aigerim" not in denied.text
        wrong = await http.post(f"{url}/decode", content=body([sealed]), headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401
        ok = await http.post(f"{url}/decode", content=body([sealed]), headers={"Authorization": f"Bearer {TOKEN}"})
        assert ok.status_code == 200
        [opened] = json_format.ParseDict(ok.json(), Payloads()).payloads
        assert opened.data == b'{"name":"Aigerim"}'
        bad = await http.post(f"{url}/decode", content="not json", headers={"Authorization": f"Bearer {TOKEN}"})
        assert bad.status_code == 400


async def test_cors_allows_the_ui_origin_only(server):
    url, _ = server
    async with httpx.AsyncClient() as http:
        pre = {"Origin": UI, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization,content-type,x-namespace"}
        allowed = await http.options(f"{url}/decode", headers=pre)
        assert allowed.headers.get("access-control-allow-origin") == UI
        other = await http.options(f"{url}/decode", headers={**pre, "Origin": "https://evil.example"})
        assert other.headers.get("access-control-allow-origin") is None


async def test_a_tampered_or_truncated_ciphertext_is_a_clean_422(server):
    url, codec = server
    [sealed] = await codec.encode([Payload(metadata={"encoding": b"json/plain"}, data=b'{"name":"Aigerim"}')])
    flipped = Payload(metadata=sealed.metadata, data=sealed.data[:-1] + bytes([sealed.data[-1] ^ 1]))
    short = Payload(metadata=sealed.metadata, data=sealed.data[:5])
    async with httpx.AsyncClient() as http:
        for bad in (flipped, short):
            r = await http.post(f"{url}/decode", content=body([bad]), headers={"Authorization": f"Bearer {TOKEN}"})
            assert r.status_code == 422 and "Aigerim" not in r.text
