"""The delivery ledger's schema, kept by Alembic migrations (``messaging/ledger_migrations``),
for SQLite and PostgreSQL alike (the rules common to every schema: ``service.migrations``).

    python -m messaging.ledger_schema upgrade [URL]   # WAYPOINT_LEDGER_URL when URL is omitted
    python -m messaging.ledger_schema current [URL]

``Ledger`` upgrades its database when it opens it, so a fresh SQLite file or an empty PostgreSQL
database just works; a deployment runs ``upgrade`` once before starting workers (``make
cluster`` does). Several processes may upgrade at once: on PostgreSQL they queue on an advisory
lock, on SQLite on a lock file beside the database (``<file>.migrate.lock``). The revision is
noted in ``alembic_version``; the family page's tables, which may share the database, keep theirs
apart (``documents.family_schema``).

A ledger created before migrations existed (tables, no ``alembic_version``) goes through the
first revision, which creates only what is missing, and is upgraded from there.

A change to the ledger's tables is a new file in ``ledger_migrations/versions``;
tests/providers/test_ledger_schema.py fails while the migrations and ``messaging.ledger``'s
tables disagree.
"""

from __future__ import annotations

import sys
from pathlib import Path

from service.config import Settings
from service.migrations import Schema

LEDGER = Schema(
    name="ledger",
    migrations=Path(__file__).resolve().parent / "ledger_migrations",
    version_table="alembic_version",  # Alembic's default: ledgers have used it from the start
    advisory_lock=0x57415950,  # "WAYP"
    lock_file_suffix=".migrate.lock",
)
config, head, current, upgrade = LEDGER.config, LEDGER.head, LEDGER.current, LEDGER.upgrade


def main(argv: list[str]) -> int:
    return LEDGER.main(argv, lambda: Settings.from_env().delivery.ledger_url.get_secret_value(), __doc__ or "")


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
