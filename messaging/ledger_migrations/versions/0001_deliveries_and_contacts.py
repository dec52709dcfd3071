"""The delivery ledger's first tables: deliveries (one row per message key) and contacts
(hashed addresses that route replies).

Creates only what is missing: a ledger made before migrations existed (by ``create_all``, the
same tables and index names) gains nothing and is simply marked at this revision, and one whose
first upgrade was cut short (SQLite runs DDL outside transactions) is completed.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    have = sa.inspect(op.get_bind())
    tables = set(have.get_table_names())
    if "deliveries" not in tables:
        op.create_table(
            "deliveries",
            sa.Column("key", sa.String(255), primary_key=True),
            sa.Column("case_reference", sa.String(64), nullable=False),
            sa.Column("recipient", sa.String(64), nullable=False),
            sa.Column("channel", sa.String(16), nullable=False),
            sa.Column("provider", sa.String(32), nullable=False),
            sa.Column("state", sa.String(16), nullable=False),
            sa.Column("provider_id", sa.String(255), nullable=True),
            sa.Column("attempts", sa.Integer, nullable=False),
            sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("pending_since", sa.DateTime(timezone=True), nullable=True),
        )
    if "contacts" not in tables:
        op.create_table(
            "contacts",
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("address_hash", sa.String(64), nullable=False),
            sa.Column("case_reference", sa.String(64), nullable=False),
            sa.Column("recipient", sa.String(64), nullable=False),
            sa.Column("channel", sa.String(16), nullable=False),
            sa.Column("last_seen", sa.DateTime(timezone=True), nullable=False),
            sa.UniqueConstraint("address_hash", "case_reference", "recipient", "channel", name="uq_contact"),
        )
    have = sa.inspect(op.get_bind())  # again: the tables may be new
    for name, table, columns in (("ix_deliveries_case_reference", "deliveries", ["case_reference"]),
                                 ("ix_deliveries_provider_id", "deliveries", ["provider_id"]),
                                 ("ix_contacts_address_hash", "contacts", ["address_hash"])):
        if name not in {i["name"] for i in have.get_indexes(table)}:
            op.create_index(name, table, columns)


def downgrade() -> None:
    op.drop_table("contacts")
    op.drop_table("deliveries")
