"""Hudson totals kept by the database: follows, unfollows and tips per hour, follower losses per
hour of the period start, and each follower's history shape (docs/domain.md#hudson-totals).

The tables are filled from the history here and kept equal to their definitions in
mhc/services/owner/totals.py (the two follower tables: below, as they were when migration 0032 retired them)
by triggers generated from them. A partial index lists the tips of each room
by time with the columns the page reads of them.

Revision ID: 0026
Revises: 0025
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy import and_, case

from mhc import sqlcompat
from mhc.models import FollowEvent
from mhc.services.owner import totals

# Followers whose history is not one follow, optionally ended by one unfollow that records it (the rows
# follower_shapes' partial index listed, until migration 0032 replaced that table with follow_periods).
IRREGULAR = (
    "follows + unfollows > 0 AND (follows <> 1 OR unfollows > 1 "
    "OR (unfollows = 1 AND (unrecorded > 0 OR period_seconds <> follow_seconds)))"
)

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None

SLOT_COMMENT = "Unix seconds of the hour start"
HORIZON_DAYS = (30, 60, 90)
SQUARES_FROM = 1_800_000_000  # 2027-01-15: the squares stay small for any moment near now


def _count(name: str, kind=sa.Integer, comment: str | None = None) -> sa.Column:
    return sa.Column(name, kind(), nullable=False, server_default="0", comment=comment)


# The two follower totals this migration created and migration 0032 retired (the retention cohorts now read
# follow_periods): their definitions are kept here, as they were, so either migration can build or drop them.
RETIRED = sa.MetaData()
LOSS_SLOTS = sa.Table(
    "follower_loss_slots",
    RETIRED,
    sa.Column("slot", sa.BigInteger(), primary_key=True, comment=SLOT_COMMENT),
    *(_count(f"ended_{h}") for h in HORIZON_DAYS),
)
SHAPES = sa.Table(
    "follower_shapes",
    RETIRED,
    sa.Column("person_id", sa.Uuid(), primary_key=True),
    _count("follows"),
    _count("unfollows"),
    _count("unrecorded", comment="Unfollows without a period start before them"),
    _count("follow_seconds", sa.BigInteger, "Summed Unix seconds of the follows"),
    _count("period_seconds", sa.BigInteger, "Summed Unix seconds of the unfollows' period starts"),
    _count("unfollow_seconds", sa.BigInteger, "Summed Unix seconds of the unfollows"),
    _count("follow_squares", lambda: sa.Numeric(40, 0), "Summed squares of the follows' seconds from 2027"),
    sa.Index(
        "ix_follower_shapes_irregular",
        "person_id",
        postgresql_where=sa.text(IRREGULAR),
        sqlite_where=sa.text(IRREGULAR),
    ),
)


def _recorded(rows) -> sa.ColumnElement:
    """An unfollow row that records when its period began, at a whole second before it."""
    return and_(
        rows.c.action == "unfollow",
        rows.c.period_started_at.is_not(None),
        sqlcompat.epoch_seconds(rows.c.observed_at) > sqlcompat.epoch_seconds(rows.c.period_started_at),
    )


def _loss_sums(rows) -> dict[str, sa.ColumnElement]:
    seconds = sqlcompat.epoch_seconds(rows.c.observed_at) - sqlcompat.epoch_seconds(rows.c.period_started_at)
    return {f"ended_{h}": case((and_(_recorded(rows), seconds <= h * 86400), 1), else_=0) for h in HORIZON_DAYS}


def _squared(seconds) -> sa.ColumnElement:
    shifted = sa.cast(seconds - SQUARES_FROM, sa.Numeric(40, 0))
    return shifted * shifted


def _shape_sums(rows) -> dict[str, sa.ColumnElement]:
    follow, unfollow = rows.c.action == "follow", rows.c.action == "unfollow"
    return {
        "follows": case((follow, 1), else_=0),
        "unfollows": case((unfollow, 1), else_=0),
        "unrecorded": case((and_(unfollow, ~_recorded(rows)), 1), else_=0),
        "follow_seconds": case((follow, sqlcompat.epoch_seconds(rows.c.observed_at)), else_=0),
        "period_seconds": case((_recorded(rows), sqlcompat.epoch_seconds(rows.c.period_started_at)), else_=0),
        "unfollow_seconds": case((unfollow, sqlcompat.epoch_seconds(rows.c.observed_at)), else_=0),
        "follow_squares": case((follow, _squared(sqlcompat.epoch_seconds(rows.c.observed_at))), else_=0),
    }


RETIRED_TOTALS = (
    totals.Totals(
        LOSS_SLOTS,
        FollowEvent.__table__,
        keys=lambda rows: {"slot": totals.slot_of(rows.c.period_started_at)},
        sums=_loss_sums,
        where=lambda rows: and_(
            rows.c.direction == "follower", rows.c.action == "unfollow", rows.c.period_started_at.is_not(None)
        ),
    ),
    totals.Totals(
        SHAPES,
        FollowEvent.__table__,
        keys=lambda rows: {"person_id": rows.c.person_id},
        sums=_shape_sums,
        where=lambda rows: rows.c.direction == "follower",
    ),
)


def create_retired(bind) -> None:
    """Create the two retired tables, fill them from the history and install their triggers."""
    RETIRED.create_all(bind)
    for kept in RETIRED_TOTALS:
        for statement in kept.triggers(bind).statements(bind):
            bind.exec_driver_sql(statement)
        kept.fill(bind)


def drop_retired(bind) -> None:
    """Drop the two retired tables' triggers (and functions) and the tables."""
    for kept in RETIRED_TOTALS:
        for statement in kept.triggers(bind).drop_statements(bind):
            bind.exec_driver_sql(statement)
    RETIRED.drop_all(bind)


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
    op.create_index(
        "ix_interactions_tips",
        "interactions",
        ["room", "occurred_at"],
        postgresql_include=["from_username", "amount", "person_id"],
        postgresql_where=sa.text("type = 'tip'"),
        sqlite_where=sa.text("type = 'tip'"),
    )
    totals.install(op.get_bind())
    create_retired(op.get_bind())


def downgrade():
    drop_retired(op.get_bind())
    totals.uninstall(op.get_bind())
    op.drop_index("ix_interactions_tips", table_name="interactions")
    for table in ("tip_slots", "follow_slots"):
        op.drop_table(table)
