"""The dashboard session: a signed cookie (itsdangerous) holding the coordinator id and a CSRF
token, nothing else. Every form carries the token; a POST without the matching token is refused."""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.requests import Request
from starlette.responses import Response

COOKIE = "wp_session"
LANG_COOKIE = "wp_lang"
MAX_AGE_SECONDS = 12 * 3600  # one working day


@dataclass
class Session:
    coordinator: str | None
    csrf: str
    fresh: bool = False  # not yet in a cookie


class Sessions:
    def __init__(self, secret: str, secure: bool) -> None:
        self.serializer = URLSafeTimedSerializer(secret, salt="waypoint-dashboard-session")
        self.secure = secure

    def __repr__(self) -> str:
        return "Sessions()"

    def read(self, request: Request) -> Session:
        raw = request.cookies.get(COOKIE)
        if raw:
            try:
                data = self.serializer.loads(raw, max_age=MAX_AGE_SECONDS)
                if isinstance(data, dict) and isinstance(data.get("csrf"), str):
                    return Session(data.get("sub"), data["csrf"])
            except BadSignature:
                pass
        return Session(None, secrets.token_urlsafe(32), fresh=True)

    def write(self, response: Response, session: Session) -> None:
        value = self.serializer.dumps({"sub": session.coordinator, "csrf": session.csrf})
        response.set_cookie(COOKIE, value, max_age=MAX_AGE_SECONDS, httponly=True, samesite="lax",
                            secure=self.secure, path="/dashboard")

    def clear(self, response: Response) -> None:
        response.delete_cookie(COOKIE, path="/dashboard")

    @staticmethod
    def csrf_ok(session: Session, submitted: object) -> bool:
        return isinstance(submitted, str) and not session.fresh and hmac.compare_digest(session.csrf, submitted)
