"""Security headers on every answer, set in one place (outermost, so refusals carry them too).

- ``Content-Security-Policy``: our own origin only, no plugins, no framing (``frame-ancestors
  'none'``); a route may set its own (``/docs`` allows its one inline script by hash).
- ``X-Content-Type-Options: nosniff``, ``Referrer-Policy: no-referrer``, ``X-Frame-Options: DENY``.
- ``Cache-Control: no-store`` on everything but static files: pages and JSON carry families'
  data, and no browser or proxy should keep a copy.
- ``Strict-Transport-Security`` when the public URL is https.
"""

from __future__ import annotations

from api.guards import ASGIApp, Message, Receive, Scope, Send



def content_security_policy(script_hashes: str = "") -> str:
    """Our own origin only; ``script_hashes`` ('sha256-...') allows a page's own inline scripts."""
    scripts = f"'self' {script_hashes}".strip()
    return (f"default-src 'self'; script-src {scripts}; style-src 'self'; img-src 'self' data:; object-src 'none'; "
            "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")


CSP = content_security_policy()
CACHEABLE = ("/dashboard/static/", "/docs/assets/")


class SecurityHeaders:
    def __init__(self, app: ASGIApp, https: bool = False) -> None:
        self.app = app
        self.https = https

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cacheable = scope["path"].startswith(CACHEABLE)

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers") or [])
                present = {k.lower() for k, _ in headers}
                wanted = [(b"content-security-policy", CSP.encode()), (b"x-content-type-options", b"nosniff"),
                          (b"referrer-policy", b"no-referrer"), (b"x-frame-options", b"DENY")]
                if not cacheable:
                    wanted.append((b"cache-control", b"no-store"))
                if self.https:
                    wanted.append((b"strict-transport-security", b"max-age=31536000"))
                headers += [(k, v) for k, v in wanted if k not in present]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)
