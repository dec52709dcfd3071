"""ASGI guards that run before any route: the API key and the body size.

They sit outside FastAPI's routing on purpose: a request without a valid key is answered 401
before its body is even read, whatever else is wrong with it, so it can change nothing.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from api.keys import KeyRing

log = logging.getLogger("waypoint.api")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

API_KEY_HEADER = "x-api-key"
# Paths anyone may reach: the dashboard has its own sign-in, webhooks their own signatures, the
# family page its links.
PUBLIC_PREFIXES = ("/dashboard", "/webhooks/", "/family", "/openapi.json", "/docs", "/healthz", "/favicon.ico")
# Paths that limit their own bodies (uploads, refused in the family's language).
OWN_BODY_LIMIT_PREFIXES = ("/family/",)


async def _answer(send: Send, status: int, detail: str, headers: list[tuple[bytes, bytes]] | None = None) -> None:
    body = json.dumps({"detail": detail}).encode()
    await send({
        "type": "http.response.start",
        "status": status,
        "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        + (headers or []),
    })
    await send({"type": "http.response.body", "body": body})


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers") or []:
        if key.lower() == name:
            return value.decode("latin-1")
    return None


def is_public(path: str) -> bool:
    return path == "/" or any(path == p.rstrip("/") or path.startswith(p) for p in PUBLIC_PREFIXES)


class ApiKeyGuard:
    """401 for every non-public path without a valid X-API-Key (before the body is read)."""

    def __init__(self, app: ASGIApp, keys: KeyRing) -> None:
        self.app = app
        self.keys = keys

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or is_public(scope["path"]):
            await self.app(scope, receive, send)
            return
        name = self.keys.verify(_header(scope, API_KEY_HEADER.encode()))
        if name is None:
            await _answer(send, 401, "missing or invalid API key (send it in the X-API-Key header)",
                          [(b"www-authenticate", b'ApiKey header="X-API-Key"')])
            return
        scope.setdefault("state", {})["api_key_name"] = name
        await self.app(scope, receive, send)


class BodyLimit:
    """413 for a body over ``max_bytes``, declared or streamed; the app sees the body buffered."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(OWN_BODY_LIMIT_PREFIXES):
            await self.app(scope, receive, send)
            return
        too_large = f"the body is larger than {self.max_bytes} bytes"
        declared = _header(scope, b"content-length")
        if declared is not None:
            if not declared.strip().isdigit():
                await _answer(send, 400, "Content-Length must be a number")
                return
            if int(declared) > self.max_bytes:
                await _answer(send, 413, too_large)
                return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await _answer(send, 413, too_large)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        delivered = False

        async def replay() -> Message:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)
