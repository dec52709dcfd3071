"""Alembic's entry point for the family page's tables (see documents/family_schema.py). Always run
with a connection handed over by ``Schema.upgrade``: the caller owns the transaction."""

from documents.family_schema import tables
from service.migrations import run_migrations

run_migrations(tables())
