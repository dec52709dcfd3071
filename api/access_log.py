"""The API's access log: method, path, status and time, never the query string (a key or a name
passed there by mistake must not land in logs) nor a family-page token in the path (service.logs).
Replaces uvicorn's own access log."""

from __future__ import annotations

import logging
import time

from api.guards import ASGIApp, Message, Receive, Scope, Send
from service.logs import hide_family_tokens

log = logging.getLogger("waypoint.api.access")


class AccessLog:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started, status = time.monotonic(), 0

        async def noting(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, noting)
        finally:
            log.info("%s %s %d %.0f ms", scope.get("method", "?"), hide_family_tokens(scope["path"][:200]), status,
                     (time.monotonic() - started) * 1000)
