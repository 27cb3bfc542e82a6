"""Schema changes for data sources and jobs: when a person's rank was observed (docs/domain.md#live-and-rank).

`persons.rank` is the position in one Affiliate API cycle; `rank_observed_at` is that cycle's time,
so a rank from an older cycle (the person was absent: unknown, not offline) is never shown as current.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

# Copied from 0001: SQLite rebuilds persons on drop_column, which a dependent view would block.
VIEW_SQL = """
CREATE VIEW v_person_current_state AS
SELECT
  p.id, p.username, p.platform, p.role, p.rid, p.did, p.first_seen_at, p.last_seen_at, p.is_excluded,
  COALESCE(
    (SELECT s.age FROM affiliate_api_snapshots s WHERE s.person_id = p.id ORDER BY s.observed_at DESC LIMIT 1),
    pr.age
  ) AS age,
  pr.following,
  pr.follower,
  pr.following_since,
  pr.follower_since,
  pr.unfollowed_at,
  pr.unfollower_at
FROM persons p
LEFT JOIN profiles pr ON pr.person_id = p.id
WHERE p.is_excluded = FALSE
"""


def upgrade():
    # ADD COLUMN and CREATE INDEX need no table rebuild on SQLite, so v_person_current_state stays.
    op.add_column(
        "persons",
        sa.Column("rank_observed_at", sa.DateTime(timezone=True), nullable=True, comment="Time of the cycle that gave `rank`"),
    )
    op.create_index("ix_persons_rank_observed", "persons", ["rank_observed_at"], unique=False)


def downgrade():
    op.drop_index("ix_persons_rank_observed", table_name="persons")
    op.execute("DROP VIEW IF EXISTS v_person_current_state")
    with op.batch_alter_table("persons", schema=None) as batch_op:
        batch_op.drop_column("rank_observed_at")
    op.execute(VIEW_SQL)
