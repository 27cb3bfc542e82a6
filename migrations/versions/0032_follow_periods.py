"""Follow periods kept by the database; the two follower totals the retention cohorts read before retired
(docs/domain.md#follow-periods-table).

`follow_periods` holds every follow period of the history (a follow to the unfollow that ended it), filled
here and kept equal to its definition in mhc/services/follows/period_table.py by triggers generated from it.
`follower_loss_slots` and `follower_shapes` (migration 0026) go, with their triggers: the cohorts read the
periods instead, and a list apply no longer pays for keeping them.

Revision ID: 0032
Revises: 0031
"""

import importlib.util
from pathlib import Path

import sqlalchemy as sa
from alembic import op

from mhc.services.follows import period_table

revision = "0032"
down_revision = "0031"
branch_labels = None
depends_on = None

WHEN = sa.DateTime(timezone=True)


def _migration_0026():
    """Migration 0026's module, which keeps the retired tables' definitions."""
    path = Path(__file__).with_name("0026_hudson_totals.py")
    spec = importlib.util.spec_from_file_location("migration_0026_hudson_totals", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def upgrade():
    _migration_0026().drop_retired(op.get_bind())
    op.create_table(
        "follow_periods",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("direction", sa.String(16), nullable=False),
        sa.Column("started_at", WHEN, nullable=False, comment="The follow that began it"),
        sa.Column("ended_at", WHEN, comment="The unfollow that ended it; NULL: going on"),
        sa.Column("previous_started_at", WHEN, comment="When this person's previous period in this direction began"),
        sa.Column(
            "lasted_seconds", sa.BigInteger(), comment="Whole seconds from its start to its end (NULL while it goes on)"
        ),
        sa.Column(
            "back_after_seconds",
            sa.BigInteger(),
            comment="Whole seconds from its start to the start of the next period (NULL: none)",
        ),
        sa.CheckConstraint("direction IN ('following', 'follower')", name=op.f("ck_follow_periods_direction")),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_follow_periods_person_id_persons"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_follow_periods")),
    )
    op.create_index("ix_follow_periods_person", "follow_periods", ["person_id", "direction", "started_at"])
    op.create_index(
        "ix_follow_periods_started",
        "follow_periods",
        ["direction", "started_at"],
        postgresql_include=["person_id", "previous_started_at", "lasted_seconds", "back_after_seconds"],
    )
    period_table.install(op.get_bind())


def downgrade():
    period_table.uninstall(op.get_bind())
    op.drop_index("ix_follow_periods_started", table_name="follow_periods")
    op.drop_index("ix_follow_periods_person", table_name="follow_periods")
    op.drop_table("follow_periods")
    _migration_0026().create_retired(op.get_bind())
