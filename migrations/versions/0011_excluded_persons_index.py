"""Persons excluded from aggregates are found through a tiny partial index (docs/domain.md#excluded-persons).

Noise accounts (bots, spam follow/unfollow accounts) carry `persons.is_excluded`. Insights and the
owner's dashboard subtract their follower history from the per-day totals; `ix_persons_excluded` lists
exactly those persons, so that correction costs a few index probes, not a scan of every person.

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        "ix_persons_excluded",
        "persons",
        ["id"],
        postgresql_where=sa.text("is_excluded"),
        sqlite_where=sa.text("is_excluded = 1"),
    )


def downgrade():
    op.drop_index("ix_persons_excluded", table_name="persons")
