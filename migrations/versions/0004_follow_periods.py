"""Follow history: the start of the period each unfollow ended (so insights need no per-row search),
and an index on event_id (single observations dedupe by it).

Revision ID: 0004
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0002"
branch_labels = None
depends_on = None

BACKFILL = """
UPDATE follow_events SET period_started_at = (
  SELECT max(f.observed_at) FROM follow_events f
  WHERE f.person_id = follow_events.person_id AND f.direction = follow_events.direction
    AND f.action = 'follow' AND f.observed_at <= follow_events.observed_at
)
WHERE action = 'unfollow'
"""


def upgrade():
    with op.batch_alter_table("follow_events", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "period_started_at",
                sa.DateTime(timezone=True),
                nullable=True,
                comment="On unfollow rows: when the follow period this unfollow ended began",
            )
        )
        batch_op.create_index("ix_follow_events_event_id", ["event_id"], unique=False)
    op.execute(BACKFILL)


def downgrade():
    with op.batch_alter_table("follow_events", schema=None) as batch_op:
        batch_op.drop_index("ix_follow_events_event_id")
        batch_op.drop_column("period_started_at")
