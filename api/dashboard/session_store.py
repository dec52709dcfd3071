"""Dashboard sessions kept on the server, so they can be ended.

The cookie carries only a random session id (and the CSRF token), signed; the server keeps
one row per session: whose it is, a fingerprint of the password it was opened with, when it
was opened and last used, and whether it was ended. A session ends at sign-out, when its
coordinator ends all their sessions, after ``idle`` seconds without use, ``lifetime`` seconds
after sign-in, and when the account's password changes (the fingerprint no longer matches).
Only a SHA-256 of the session id is stored, so the table cannot be used to sign in.

``WAYPOINT_SESSION_STORE_URL`` is any SQLAlchemy URL; the default ``sqlite://`` keeps sessions in
the API process's memory (they end when it restarts); `make run` keeps them in var/. The sign-in
brake keeps its keys in the same database (``brake_store``), so API processes sharing a store
share one brake.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable

from sqlalchemy import Boolean, Column, ColumnElement, Engine, Float, MetaData, String, Table, delete, insert, select, update
from sqlalchemy.exc import DBAPIError

from messaging.ledger import make_engine

IDLE_SECONDS = 30 * 60
LIFETIME_SECONDS = 12 * 3600  # one working day
TOUCH_EVERY_SECONDS = 30  # last use is written at most this often

metadata = MetaData()
# A new table (one CREATE TABLE in a migration).
dashboard_sessions = Table(
    "dashboard_sessions",
    metadata,
    Column("id_hash", String(64), primary_key=True),
    Column("coordinator", String(40), nullable=False, index=True),
    Column("credential", String(32), nullable=False),
    Column("opened_at", Float, nullable=False),
    Column("last_used", Float, nullable=False),
    Column("ended", Boolean, nullable=False, default=False),
)


def create_tables(tables: MetaData, engine: Engine, attempts: int = 3) -> None:
    """Create the tables (and indexes) that are missing. API processes starting at the same moment
    race to create them: the loser's statement fails, and its next look finds them there."""
    for attempt in range(1, attempts + 1):
        try:
            tables.create_all(engine)
            return
        except DBAPIError:
            if attempt == attempts:
                raise


def _digest(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def credential_of(password_hash: str) -> str:
    """A fingerprint of the password a session was opened with: it changes with the password."""
    return hashlib.sha256(password_hash.encode()).hexdigest()[:32]


class SessionStore:
    def __init__(self, url: str = "sqlite://", idle: float = IDLE_SECONDS, lifetime: float = LIFETIME_SECONDS) -> None:
        self.engine = make_engine(url)
        self.idle, self.lifetime = idle, lifetime
        create_tables(metadata, self.engine)

    def __repr__(self) -> str:
        return f"SessionStore({self.engine.url.render_as_string(hide_password=True)!r})"

    def open(self, coordinator: str, credential: str, now: float) -> str:
        session_id = secrets.token_urlsafe(32)
        with self.engine.begin() as conn:
            conn.execute(delete(dashboard_sessions).where(dashboard_sessions.c.last_used < now - self.lifetime))
            conn.execute(insert(dashboard_sessions).values(
                id_hash=_digest(session_id), coordinator=coordinator, credential=credential,
                opened_at=now, last_used=now, ended=False))
        return session_id

    def check(self, session_id: str, credential: Callable[[str], str | None], now: float) -> str | None:
        """The coordinator of a live session (and its use noted), or None; a stale one is ended.
        ``credential`` gives an account's current password fingerprint (None: no such account)."""
        digest = _digest(session_id)
        with self.engine.connect() as conn:
            row = conn.execute(select(dashboard_sessions).where(dashboard_sessions.c.id_hash == digest)).mappings().first()
        if row is None or row["ended"]:
            return None
        if credential(row["coordinator"]) != row["credential"] or now - row["last_used"] > self.idle or now - row["opened_at"] > self.lifetime:
            self._end(dashboard_sessions.c.id_hash == digest)
            return None
        if now - row["last_used"] > TOUCH_EVERY_SECONDS:
            with self.engine.begin() as conn:
                conn.execute(update(dashboard_sessions).where(dashboard_sessions.c.id_hash == digest).values(last_used=now))
        return str(row["coordinator"])

    def end(self, session_id: str) -> None:
        self._end(dashboard_sessions.c.id_hash == _digest(session_id))

    def end_all(self, coordinator: str) -> int:
        return self._end(dashboard_sessions.c.coordinator == coordinator)

    def _end(self, where: ColumnElement[bool]) -> int:
        with self.engine.begin() as conn:
            return conn.execute(update(dashboard_sessions).where(where, dashboard_sessions.c.ended.is_(False))
                                .values(ended=True)).rowcount
