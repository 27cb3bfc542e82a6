"""The Unfollowed insights read only an index (docs/domain.md#unfollow-insights).

`ix_follow_events_direction_action` (direction, action, observed_at) now also carries `period_started_at`
(INCLUDE, PostgreSQL), so counting a window's unfollows and averaging the follow periods they ended is
one index-only scan instead of a bitmap scan plus a visit to every row's heap page. SQLite keeps the
index as it is (it has no INCLUDE, and its installations are small).

Revision ID: 0009
Revises: 0008
"""

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

NAME = "ix_follow_events_direction_action"


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"DROP INDEX IF EXISTS {NAME}")
    op.execute(f"CREATE INDEX {NAME} ON follow_events (direction, action, observed_at) INCLUDE (period_started_at)")


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"DROP INDEX IF EXISTS {NAME}")
    op.execute(f"CREATE INDEX {NAME} ON follow_events (direction, action, observed_at)")
