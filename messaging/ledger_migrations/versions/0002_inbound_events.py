"""The provider events the webhooks have taken (Twilio MessageSid and status callbacks, Resend's
svix-id), so a replayed request changes nothing.

Creates only what is missing: a ledger whose table was made by ``create_all`` before this
revision existed gains nothing and is simply marked at it.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if "inbound_events" not in set(sa.inspect(op.get_bind()).get_table_names()):
        op.create_table(
            "inbound_events",
            sa.Column("provider", sa.String(16), primary_key=True),
            sa.Column("event_id", sa.String(160), primary_key=True),
            sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        )


def downgrade() -> None:
    op.drop_table("inbound_events")
