"""The family page's schema (its links, the documents' index and their download audit), kept by
Alembic migrations (``documents/family_migrations``) for SQLite and PostgreSQL alike, by the rules
every schema here follows (``service.migrations``).

    python -m documents.family_schema upgrade [URL]   # WAYPOINT_FAMILY_DB when URL is omitted
    python -m documents.family_schema current [URL]

``LinkBook`` and ``DocumentIndex`` upgrade their database when they open it; a deployment runs
``upgrade`` once before starting workers and the API (``make cluster`` does). The family tables
may share a database with the delivery ledger (``make cluster`` and docker-compose put them
there): their revision is noted in ``family_alembic_version``, their upgrades queue on an advisory
lock of their own (on SQLite, on ``<file>.family-migrate.lock``), and neither set of migrations
touches the other's tables.

A database whose family tables were made by ``create_all`` (before these migrations existed) goes
through the first revision, which creates only what is missing, and is upgraded from there. A
change to these tables is a new file in ``family_migrations/versions``;
tests/providers/test_family_schema.py fails while the migrations and the tables disagree.
"""

from __future__ import annotations

import sys
from pathlib import Path

from sqlalchemy import MetaData

from service.config import Settings
from service.migrations import Schema

FAMILY = Schema(
    name="family",
    migrations=Path(__file__).resolve().parent / "family_migrations",
    version_table="family_alembic_version",
    advisory_lock=0x57415946,  # "WAYF"; the ledger's is "WAYP"
    lock_file_suffix=".family-migrate.lock",
)


def tables() -> MetaData:
    """Every family table (messaging.links and documents.index each keep their own), as one."""
    from documents.index import metadata as documents  # noqa: PLC0415 - both open their tables through FAMILY
    from messaging.links import metadata as links  # noqa: PLC0415

    every = MetaData()
    for table in (*links.tables.values(), *documents.tables.values()):
        table.to_metadata(every)
    return every


def main(argv: list[str]) -> int:
    return FAMILY.main(argv, lambda: Settings.from_env().family.database_url.get_secret_value(), __doc__ or "")


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
