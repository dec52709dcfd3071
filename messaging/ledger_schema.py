"""The delivery ledger's schema, kept by Alembic migrations (``messaging/ledger_migrations``),
for SQLite and PostgreSQL alike.

    python -m messaging.ledger_schema upgrade [URL]   # WAYPOINT_LEDGER_URL when URL is omitted
    python -m messaging.ledger_schema current [URL]

``Ledger`` upgrades its database when it opens it, so a fresh SQLite file or an empty PostgreSQL
database just works; a deployment runs ``upgrade`` once before starting workers (``make
cluster`` does). Several processes may upgrade at once: on PostgreSQL they queue on an advisory
lock, on SQLite on a lock file beside the database (``<file>.migrate.lock``).

A ledger created before migrations existed (tables, no ``alembic_version``) goes through the
first revision, which creates only what is missing, and is upgraded from there.

A change to the ledger's tables is a new file in ``ledger_migrations/versions``;
tests/providers/test_ledger_schema.py fails while the migrations and ``messaging.ledger``'s
tables disagree.
"""

from __future__ import annotations

import fcntl
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, text
from service.config import ConfigurationError, Settings

MIGRATIONS = Path(__file__).resolve().parent / "ledger_migrations"
ADVISORY_LOCK = 0x57415950  # "WAYP": one PostgreSQL advisory lock for ledger upgrades


def config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def head() -> str:
    return ScriptDirectory.from_config(config()).get_current_head() or ""


def current(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(target: str | Engine) -> None:
    """Bring the ledger's database to the newest revision (nothing to do when it is there)."""
    engine = create_engine(target) if isinstance(target, str) else target
    try:
        if current(engine) == head():
            return
        with _file_lock(engine):
            _upgrade(engine)
    finally:
        if isinstance(target, str):
            engine.dispose()


@contextmanager
def _file_lock(engine: Engine) -> Iterator[None]:
    """SQLite runs DDL outside transactions, so processes upgrading one file at once queue on a
    lock file beside it (PostgreSQL queues on an advisory lock inside the transaction instead)."""
    database = engine.url.database or ""
    if engine.dialect.name != "sqlite" or database in ("", ":memory:"):
        yield
        return
    with open(f"{database}.migrate.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _upgrade(engine: Engine) -> None:
    cfg = config()
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": ADVISORY_LOCK})
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")  # a no-op when another process got there while we waited


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("upgrade", "current"):
        print(__doc__, file=sys.stderr)
        return 2
    try:  # the URL given, else WAYPOINT_LEDGER_URL (default: the local SQLite file)
        url = argv[1] if len(argv) > 1 else Settings.from_env().delivery.ledger_url.get_secret_value()
    except ConfigurationError as err:
        print(f"configuration: {err}", file=sys.stderr)
        return 2
    engine = create_engine(url)
    try:
        if argv[0] == "upgrade":
            upgrade(engine)
        print(f"ledger schema at {current(engine)} (newest {head()})")
    finally:
        engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
