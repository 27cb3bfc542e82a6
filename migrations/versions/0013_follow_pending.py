"""Follow lists: names missing once from a read with no count to check against wait as pending.

A browser read of the followers list with no follower count to check it against cannot prove that a
missing name really left: `follow_pending` keeps such persons (one row per person and direction) until a
second complete read at least FOLLOW_PENDING_MINUTES later still misses them, or a read lists them again.

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "follow_pending",
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("direction", sa.String(length=16), nullable=False),
        sa.Column(
            "first_missed_at",
            sa.DateTime(timezone=True),
            nullable=False,
            comment="When the first read that did not list the person was taken",
        ),
        sa.Column("job_run_id", sa.Uuid(), nullable=True),
        sa.CheckConstraint("direction IN ('following', 'follower')", name=op.f("ck_follow_pending_direction")),
        sa.ForeignKeyConstraint(
            ["job_run_id"], ["job_runs.id"], name=op.f("fk_follow_pending_job_run_id_job_runs"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_follow_pending_person_id_persons"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("person_id", "direction", name=op.f("pk_follow_pending")),
    )


def downgrade():
    op.drop_table("follow_pending")
