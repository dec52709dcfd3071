"""Alembic's entry point for the delivery ledger (see messaging/ledger_schema.py). Always run with
a connection handed over by ``Schema.upgrade``: the caller owns the transaction."""

from messaging.ledger import metadata
from service.migrations import run_migrations

run_migrations(metadata)
