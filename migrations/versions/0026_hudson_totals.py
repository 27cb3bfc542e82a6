"""Hudson totals kept by the database: follows, unfollows and tips per hour, follower losses per
hour of the period start, and each follower's history shape (docs/domain.md#hudson-totals).

The tables are filled from the history here and kept equal to their definitions in
mhc/services/owner/totals.py by triggers generated from them. A partial index lists the tips of each room
by time with the columns the page reads of them.

Revision ID: 0026
Revises: 0025
"""

import sqlalchemy as sa
from alembic import op

from mhc.models.hudson import IRREGULAR
from mhc.services.owner import totals

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None

SLOT_COMMENT = "Unix seconds of the hour start"


def _count(name: str, kind=sa.Integer, comment: str | None = None) -> sa.Column:
    return sa.Column(name, kind(), nullable=False, server_default="0", comment=comment)


def upgrade():
    op.create_table(
        "follow_slots",
        sa.Column("direction", sa.String(16), primary_key=True),
        sa.Column("slot", sa.BigInteger(), primary_key=True, comment=SLOT_COMMENT),
        _count("follows"),
        _count("unfollows"),
    )
    op.create_table(
        "tip_slots",
        sa.Column("room", sa.String(64), primary_key=True),
        sa.Column("slot", sa.BigInteger(), primary_key=True, comment=SLOT_COMMENT),
        _count("tips"),
        _count("tokens", sa.BigInteger),
    )
    op.create_table(
        "follower_loss_slots",
        sa.Column("slot", sa.BigInteger(), primary_key=True, comment=SLOT_COMMENT),
        _count("ended_30"),
        _count("ended_60"),
        _count("ended_90"),
    )
    op.create_table(
        "follower_shapes",
        sa.Column("person_id", sa.Uuid(), primary_key=True),
        _count("follows"),
        _count("unfollows"),
        _count("unrecorded", comment="Unfollows without a period start before them"),
        _count("follow_seconds", sa.BigInteger, "Summed Unix seconds of the follows"),
        _count("period_seconds", sa.BigInteger, "Summed Unix seconds of the unfollows' period starts"),
        _count("unfollow_seconds", sa.BigInteger, "Summed Unix seconds of the unfollows"),
        _count("follow_squares", lambda: sa.Numeric(40, 0), "Summed squares of the follows' seconds from 2027"),
    )
    op.create_index(
        "ix_follower_shapes_irregular",
        "follower_shapes",
        ["person_id"],
        postgresql_where=sa.text(IRREGULAR),
        sqlite_where=sa.text(IRREGULAR),
    )
    op.create_index(
        "ix_interactions_tips",
        "interactions",
        ["room", "occurred_at"],
        postgresql_include=["from_username", "amount", "person_id"],
        postgresql_where=sa.text("type = 'tip'"),
        sqlite_where=sa.text("type = 'tip'"),
    )
    totals.install(op.get_bind())


def downgrade():
    totals.uninstall(op.get_bind())
    op.drop_index("ix_interactions_tips", table_name="interactions")
    op.drop_index("ix_follower_shapes_irregular", table_name="follower_shapes")
    for table in ("follower_shapes", "follower_loss_slots", "tip_slots", "follow_slots"):
        op.drop_table(table)
