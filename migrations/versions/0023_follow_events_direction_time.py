"""Follower changes by time: an index on follow_events (direction, observed_at, id).

The Hudson page reads follower changes by time for both actions at once: the newest twenty, the ones
inside each broadcast, the weekday x hour heatmap (docs/domain.md#where-followers-come-from). The
(direction, action, observed_at) index cannot serve a time range or order across both actions, so
PostgreSQL scanned and sorted every follower change for each of them.

Revision ID: 0023
Revises: 0022
"""

from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_follow_events_direction_observed", "follow_events", ["direction", "observed_at", "id"])


def downgrade():
    op.drop_index("ix_follow_events_direction_observed", table_name="follow_events")
