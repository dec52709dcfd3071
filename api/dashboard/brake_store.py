"""The sign-in brake's keys, kept in the dashboard session store's database.

One row per key: its kind ("account" or "address"), a keyed digest of the value (HMAC-SHA256
under the session secret, which every API process shares, so a mistyped password in the account
field, an unknown account id or a client address is never stored as typed), the failures in the
current window, the lockout and how many there have been. Every API process reads and writes the
same rows, so N replicas give an attacker no more attempts than one, and a restart keeps a
lockout; a new session secret starts the brake afresh.

A change is one transaction that writes first: an insert of the key's row if missing (``ON
CONFLICT DO NOTHING``), which on SQLite takes the database's write lock before the read; then the
row read ``FOR UPDATE`` (PostgreSQL's row lock); then the new state written. So two processes
failing at the same moment are applied one after the other, both counted.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import JSON, Column, Connection, Engine, Float, Integer, MetaData, String, Table, delete, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from api.dashboard.brake import KeyState
from api.dashboard.session_store import create_tables

T = TypeVar("T")

metadata = MetaData()
sign_in_brake = Table(
    "sign_in_brake",
    metadata,
    Column("kind", String(16), primary_key=True),
    Column("key", String(64), primary_key=True),  # HMAC-SHA256 of the account id or address
    Column("failures", JSON, nullable=False),  # times of the failures in the current window
    Column("locked_until", Float, nullable=False),
    Column("lockouts", Integer, nullable=False),
    Column("last_failure", Float, nullable=False, index=True),
)

_FRESH = {"failures": [], "locked_until": 0.0, "lockouts": 0, "last_failure": 0.0}


def _state(row: Any) -> KeyState:
    return KeyState(tuple(float(t) for t in row.failures), float(row.locked_until), int(row.lockouts),
                    float(row.last_failure))


class BrakeStore:
    def __init__(self, engine: Engine, secret: str) -> None:
        self.engine = engine
        self._secret = secret.encode()
        create_tables(metadata, engine)

    def __repr__(self) -> str:
        return f"BrakeStore({self.engine.url.render_as_string(hide_password=True)!r})"

    def _digest(self, kind: str, value: str) -> str:
        return hmac.new(self._secret, f"{kind}\n{value}".encode(), hashlib.sha256).hexdigest()

    def _where(self, kind: str, value: str) -> Any:
        return (sign_in_brake.c.kind == kind) & (sign_in_brake.c.key == self._digest(kind, value))

    def read(self, kind: str, value: str) -> KeyState | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(sign_in_brake).where(self._where(kind, value))).first()
        return _state(row) if row else None

    def change(self, kind: str, value: str, step: Callable[[KeyState], tuple[KeyState, T]]) -> T:
        where = self._where(kind, value)
        with self.engine.begin() as conn:
            self._add_missing(conn, kind, value)
            row = conn.execute(select(sign_in_brake).where(where).with_for_update()).first()
            if row is None:  # forgotten as idle by another process in between: a fresh key
                self._add_missing(conn, kind, value)
            state, result = step(_state(row) if row else KeyState())
            conn.execute(update(sign_in_brake).where(where).values(
                failures=list(state.failures), locked_until=state.locked_until, lockouts=state.lockouts,
                last_failure=state.last_failure))
        return result

    def forget(self, kind: str, value: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(sign_in_brake).where(self._where(kind, value)))

    def forget_idle(self, kind: str, last_failure_before: float, now: float) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(sign_in_brake).where(
                sign_in_brake.c.kind == kind, sign_in_brake.c.last_failure < last_failure_before,
                sign_in_brake.c.locked_until <= now))

    def _add_missing(self, conn: Connection, kind: str, value: str) -> None:
        row = {"kind": kind, "key": self._digest(kind, value), **_FRESH}
        dialect = conn.dialect.name
        if dialect in ("sqlite", "postgresql"):
            upsert = sqlite.insert if dialect == "sqlite" else postgresql.insert
            conn.execute(upsert(sign_in_brake).values(**row).on_conflict_do_nothing())
            return
        try:  # another database: the primary key decides, in a savepoint
            with conn.begin_nested():
                conn.execute(insert(sign_in_brake).values(**row))
        except IntegrityError:
            pass  # there already
