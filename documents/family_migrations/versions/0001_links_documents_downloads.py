"""The family page's first tables: family_links (hashed tokens), documents (the index of sealed
documents) and document_downloads (who downloaded which, when), as they stood when migrations
began; the tables here are a snapshot of that day, not the models.

Only what is absent is made (``service.migrations.create_missing``): family tables that
``create_all`` made earlier stay as they are and are marked at this revision. The delivery ledger's
tables, which may share the database, are never looked at.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

from service.migrations import create_missing

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

snapshot = sa.MetaData()
family_links = sa.Table(
    "family_links", snapshot,
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column("case_reference", sa.String(64), nullable=False, index=True),
    sa.Column("recipient", sa.String(64), nullable=False),
    sa.Column("language", sa.String(16), nullable=False),
    sa.Column("channel", sa.String(16), nullable=False),
    sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("fresh_requested_at", sa.DateTime(timezone=True), nullable=True),
)
documents = sa.Table(
    "documents", snapshot,
    sa.Column("document_id", sa.String(80), primary_key=True),
    sa.Column("case_reference", sa.String(64), nullable=False, index=True),
    sa.Column("record_type", sa.String(64), nullable=False),
    sa.Column("sent_by", sa.String(64), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("size", sa.Integer, nullable=False),
    sa.Column("key_id", sa.String(32), nullable=False),
    sa.Column("stored_at", sa.DateTime(timezone=True), nullable=False),
)
document_downloads = sa.Table(
    "document_downloads", snapshot,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("document_id", sa.String(80), nullable=False, index=True),
    sa.Column("case_reference", sa.String(64), nullable=False),
    sa.Column("by", sa.String(64), nullable=False),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
)


def upgrade() -> None:
    create_missing(op.get_bind(), [family_links, documents, document_downloads])


def downgrade() -> None:
    for table in (document_downloads, documents, family_links):
        op.drop_table(table.name)
