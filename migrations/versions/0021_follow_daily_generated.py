"""Reinstall the `follow_daily` triggers, generated from the totals' definition.

mhc/services/follows/daily.py now holds the one definition of the per-day follow totals, and the triggers
are generated from it (tests/services/follows/test_follow_daily.py compares the installed triggers with it). The
totals they compute are those of 0010's hand-written triggers, so the table is not recomputed.

Revision ID: 0021
Revises: 0020
"""

from alembic import op

from mhc.services.follows import daily

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade():
    bind = op.get_bind()
    for statement in daily.trigger_statements(bind):
        bind.exec_driver_sql(statement)


def downgrade():
    # 0010's triggers compute the same totals under the same names: the generated ones stand in for them.
    pass
