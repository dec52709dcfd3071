"""Alembic's entry point for the delivery ledger (see messaging/ledger_schema.py). Always run with
a connection handed over by ``ledger_schema.upgrade``: the caller owns the transaction."""

from alembic import context

from messaging.ledger import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise SystemExit("run the ledger's migrations through `python -m messaging.ledger_schema upgrade URL`")
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
