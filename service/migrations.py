"""Database schemas kept by Alembic migrations, for SQLite and PostgreSQL alike: the delivery
ledger's (``messaging.ledger_schema``) and the family page's (``documents.family_schema``).

Each schema has its own migrations folder, its own version table and its own PostgreSQL advisory
lock, so both may live in one database (``make cluster`` and docker-compose put the family
tables beside the ledger's) and neither touches the other's tables or version. Several processes
may upgrade one schema at once: on PostgreSQL they queue on its advisory lock, on SQLite on a lock
file beside the database file. Every first revision creates only what is missing, so a database
whose tables were made by ``create_all`` (or whose first upgrade was cut short) ends complete.
"""

from __future__ import annotations

import fcntl
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from alembic import command, context
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, MetaData, Table, create_engine, inspect, text

from service.config import ConfigurationError


@dataclass(frozen=True)
class Schema:
    """One set of tables and the migrations that build them."""

    name: str  # for people: "ledger", "family"
    migrations: Path  # the folder with env.py and versions/
    version_table: str  # where Alembic notes the revision (one per schema in a shared database)
    advisory_lock: int  # PostgreSQL: upgrades of this schema queue on it
    lock_file_suffix: str  # SQLite: upgrades queue on "<database file><suffix>"

    def config(self) -> Config:
        cfg = Config()
        cfg.set_main_option("script_location", str(self.migrations))
        cfg.attributes["version_table"] = self.version_table
        return cfg

    def head(self) -> str:
        return ScriptDirectory.from_config(self.config()).get_current_head() or ""

    def current(self, engine: Engine) -> str | None:
        with engine.connect() as conn:
            return MigrationContext.configure(conn, opts={"version_table": self.version_table}).get_current_revision()

    def upgrade(self, target: str | Engine) -> None:
        """Bring the schema to the newest revision (nothing to do when it is there)."""
        engine = create_engine(target) if isinstance(target, str) else target
        try:
            if self.current(engine) == self.head():
                return
            with self._file_lock(engine):
                self._upgrade(engine)
        finally:
            if isinstance(target, str):
                engine.dispose()

    @contextmanager
    def _file_lock(self, engine: Engine) -> Iterator[None]:
        """SQLite runs DDL outside transactions, so processes upgrading one file at once queue on a
        lock file beside it (PostgreSQL queues on an advisory lock inside the transaction instead)."""
        database = engine.url.database or ""
        if engine.dialect.name != "sqlite" or database in ("", ":memory:"):
            yield
            return
        with open(f"{database}{self.lock_file_suffix}", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _upgrade(self, engine: Engine) -> None:
        cfg = self.config()
        with engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": self.advisory_lock})
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")  # a no-op when another process got there while we waited

    def main(self, argv: list[str], configured_url: Callable[[], str], usage: str) -> int:
        """``upgrade [URL]`` / ``current [URL]``; without a URL, the configured one."""
        if not argv or argv[0] not in ("upgrade", "current"):
            print(usage, file=sys.stderr)
            return 2
        try:
            url = argv[1] if len(argv) > 1 else configured_url()
        except ConfigurationError as err:
            print(f"configuration: {err}", file=sys.stderr)
            return 2
        engine = create_engine(url)
        try:
            if argv[0] == "upgrade":
                self.upgrade(engine)
            print(f"{self.name} schema at {self.current(engine)} (newest {self.head()})")
        finally:
            engine.dispose()
        return 0


def run_migrations(tables: MetaData | Sequence[MetaData]) -> None:
    """The body of a migrations folder's env.py: run on the connection ``Schema.upgrade`` handed
    over (the caller owns the transaction), noting the revision in the schema's version table."""
    attributes = context.config.attributes
    connection = attributes.get("connection")
    if connection is None:
        raise SystemExit("run migrations through their schema module: `python -m <module> upgrade URL`")
    context.configure(connection=connection, target_metadata=tables, render_as_batch=True,
                      version_table=attributes["version_table"])
    with context.begin_transaction():
        context.run_migrations()


def create_missing(bind: Connection, tables: Sequence[Table]) -> None:
    """A first revision's body: create each table that is not there (with its indexes) and each
    index missing from a table that is, so tables made by ``create_all`` gain nothing and a first
    upgrade cut short is completed. Released revisions call this: change what it does never."""
    have = inspect(bind)
    present = set(have.get_table_names())
    for table in tables:
        if table.name not in present:
            table.create(bind)
            continue
        named = {i["name"] for i in have.get_indexes(table.name)}
        for index in table.indexes:
            if index.name not in named:
                index.create(bind)
