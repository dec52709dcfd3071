"""The dashboard session: a signed cookie (itsdangerous) holding a CSRF token and, once signed
in, a random session id that the server-side store (``session_store``) must still know as live.
Every form carries the token; a POST without the matching token is refused. Ending a session
on the server ends it for every copy of the cookie."""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.requests import Request
from starlette.responses import Response

from api.dashboard.session_store import LIFETIME_SECONDS, SessionStore

COOKIE = "wp_session"
LANG_COOKIE = "wp_lang"
MAX_AGE_SECONDS = LIFETIME_SECONDS


@dataclass
class Session:
    coordinator: str | None
    csrf: str
    fresh: bool = False  # not yet in a cookie
    session_id: str | None = None  # the server-side session, once signed in


class Sessions:
    """``credential`` gives the current password fingerprint of an account (None: no account)."""

    def __init__(self, secret: str, secure: bool, store: SessionStore, credential: Callable[[str], str | None]) -> None:
        self.serializer = URLSafeTimedSerializer(secret, salt="waypoint-dashboard-session")
        self.secure = secure
        self.store = store
        self.credential = credential

    def __repr__(self) -> str:
        return "Sessions()"

    def read(self, request: Request, now: float) -> Session:
        raw = request.cookies.get(COOKIE)
        if raw:
            try:
                data = self.serializer.loads(raw, max_age=MAX_AGE_SECONDS)
            except BadSignature:
                data = None
            if isinstance(data, dict) and isinstance(data.get("csrf"), str):
                sid = data.get("sid")
                if isinstance(sid, str):
                    coordinator = self.store.check(sid, self.credential, now)
                    if coordinator is not None:
                        return Session(coordinator, data["csrf"], session_id=sid)
                return Session(None, data["csrf"])
        return Session(None, secrets.token_urlsafe(32), fresh=True)

    def open(self, response: Response, coordinator: str, now: float) -> None:
        """Sign in: a new server-side session and a new CSRF token."""
        sid = self.store.open(coordinator, self.credential(coordinator) or "", now)
        self.write(response, Session(coordinator, secrets.token_urlsafe(32), session_id=sid))

    def write(self, response: Response, session: Session) -> None:
        data = {"csrf": session.csrf}
        if session.session_id:
            data["sid"] = session.session_id
        response.set_cookie(COOKIE, self.serializer.dumps(data), max_age=MAX_AGE_SECONDS, httponly=True,
                            samesite="lax", secure=self.secure, path="/dashboard")

    def end(self, response: Response, session: Session) -> None:
        if session.session_id:
            self.store.end(session.session_id)
        response.delete_cookie(COOKIE, path="/dashboard")

    @staticmethod
    def csrf_ok(session: Session, submitted: object) -> bool:
        return isinstance(submitted, str) and not session.fresh and hmac.compare_digest(session.csrf, submitted)
