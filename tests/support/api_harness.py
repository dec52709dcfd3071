"""The HTTP app served by uvicorn on a real socket, in the test's own event loop, around the
test's Temporal client and worker (so requests go over real HTTP to a real Temporal server)."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import uvicorn
from fastapi import FastAPI

from api.app import ApiSettings
from api.keys import KeyRing, hash_key, new_key
from api.webhooks import WebhookSettings

API_KEY = new_key()
OTHER_KEY = new_key()  # configured, then revoked in one test
KEYS = KeyRing({"test-backend": hash_key(API_KEY), "crm": hash_key(OTHER_KEY)})


def api_settings(**overrides: object) -> ApiSettings:
    values: dict[str, object] = {"keys": KEYS, "webhooks": WebhookSettings(), "call_timeout": 20.0}
    values.update(overrides)
    return ApiSettings(**values)  # type: ignore[arg-type]


@asynccontextmanager
async def served(app: FastAPI) -> AsyncIterator[str]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    for _ in range(500):
        if server.started or task.done():
            break
        await asyncio.sleep(0.01)
    assert server.started, "uvicorn did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
        sock.close()
