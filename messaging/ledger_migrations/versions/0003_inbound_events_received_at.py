"""An index on ``inbound_events.received_at``: the ledger deletes the events older than its
retention period (WAYPOINT_INBOUND_EVENTS_KEEP_DAYS) by that column, at most once an hour.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

INDEX = "ix_inbound_events_received_at"


def upgrade() -> None:
    if INDEX not in {i["name"] for i in sa.inspect(op.get_bind()).get_indexes("inbound_events")}:
        op.create_index(INDEX, "inbound_events", ["received_at"])


def downgrade() -> None:
    op.drop_index(INDEX, table_name="inbound_events")
