"""The totals the database keeps for the Hudson page (docs/domain.md#hudson-totals): their one definition each,
and the triggers generated from it.

Each total is a sum per key over the rows of a history table that match a filter (`Totals`). Database
triggers generated from that definition by sqlcompat.summary_triggers keep the table equal to the aggregate
in the statement of every insert, update or delete (the ledger's INSERT ... SELECT, COPY of demo data, a
person deleted with their history), so the page reads a few thousand rows instead of the history:

- follow_slots: per direction and UTC hour of `observed_at`, the follow and unfollow rows;
- tip_slots: per room and UTC hour of `occurred_at`, the tips and their tokens;
- follower_loss_slots: per UTC hour in which a follower's follow period began, how many of the
  periods their unfollows ended lasted at most 30, 60 and 90 days;
- follower_shapes: per person, sums of their follower rows that tell whether their history is one follow
  optionally ended by one unfollow recording it, or such a follow and unfollow then a second follow (whose
  moments the sums give back); the retention cohorts correct the totals for the second kind from these
  sums, and count everyone else from their rows.

Hours: each slot lies in one local hour (and one local day) wherever the owner's offset from UTC is a whole
number of hours; the few zones with half or quarter hours read the history instead (as exactly, and as slowly
as before). Migration 0026 created the tables, filled them from the history and installed the triggers;
changing a definition needs a migration that runs `install` again, and tests/services/owner/test_totals.py
fails until it exists.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy import and_, case, func, literal, select

from mhc import sqlcompat
from mhc.models import FollowerLossSlot, FollowerShape, FollowEvent, FollowSlot, Interaction, TipSlot

SLOT_SECONDS = 3600
HORIZON_DAYS = (30, 60, 90)
SQUARES_FROM = 1_800_000_000  # 2027-01-15: the squares stay small for any moment near now


def slot_of(column) -> sa.ColumnElement:
    """Unix seconds of the start of the UTC hour a timestamp falls in."""
    return sqlcompat.epoch_seconds(column) // SLOT_SECONDS * SLOT_SECONDS


@dataclass(frozen=True)
class Totals:
    """One kept total: `target` holds, per keys(row), the sums(row) over the `source` rows where(row) holds."""

    target: sa.Table
    source: sa.Table
    keys: sqlcompat.RowsFn
    sums: sqlcompat.RowsFn
    where: Callable[[sa.TableClause], sa.ColumnElement] | None = None

    def aggregate(self) -> sa.Select:
        """The totals computed from the history itself (what `target` must equal)."""
        rows = self.source
        key_columns = [e.label(n) for n, e in self.keys(rows).items()]
        totals = [func.sum(e).label(n) for n, e in self.sums(rows).items()]
        stmt = select(*key_columns, *totals).group_by(*(c.element for c in key_columns))
        return stmt.where(self.where(rows)) if self.where is not None else stmt

    def triggers(self, bind) -> sqlcompat.SummaryTriggers:
        """The triggers that keep `target` equal to aggregate(), for this backend."""
        return sqlcompat.summary_triggers(bind, self.target, self.source, self.keys, self.sums, self.where)

    def fill(self, bind) -> None:
        """Replace the table's rows with the aggregate of the history (a migration's backfill)."""
        bind.execute(self.target.delete())
        columns = [*self.keys(self.source), *self.sums(self.source)]
        bind.execute(self.target.insert().from_select(columns, self.aggregate()))


def _follow_slot_sums(rows) -> dict[str, sa.ColumnElement]:
    return {
        "follows": case((rows.c.action == "follow", 1), else_=0),
        "unfollows": case((rows.c.action == "unfollow", 1), else_=0),
    }


def _tip_sums(rows) -> dict[str, sa.ColumnElement]:
    return {"tips": literal(1), "tokens": func.coalesce(rows.c.amount, 0)}


def _recorded(rows) -> sa.ColumnElement:
    """An unfollow row that records when its period began, at a whole second before it."""
    return and_(
        rows.c.action == "unfollow",
        rows.c.period_started_at.is_not(None),
        sqlcompat.epoch_seconds(rows.c.observed_at) > sqlcompat.epoch_seconds(rows.c.period_started_at),
    )


def _loss_sums(rows) -> dict[str, sa.ColumnElement]:
    # The same whole-second arithmetic as the cohorts' own query (analytics.retention_cohorts).
    seconds = sqlcompat.epoch_seconds(rows.c.observed_at) - sqlcompat.epoch_seconds(rows.c.period_started_at)
    return {f"ended_{h}": case((and_(_recorded(rows), seconds <= h * 86400), 1), else_=0) for h in HORIZON_DAYS}


def _shape_sums(rows) -> dict[str, sa.ColumnElement]:
    follow, unfollow = rows.c.action == "follow", rows.c.action == "unfollow"
    return {
        "follows": case((follow, 1), else_=0),
        "unfollows": case((unfollow, 1), else_=0),
        "unrecorded": case((and_(unfollow, ~_recorded(rows)), 1), else_=0),
        "follow_seconds": case((follow, sqlcompat.epoch_seconds(rows.c.observed_at)), else_=0),
        "period_seconds": case((_recorded(rows), sqlcompat.epoch_seconds(rows.c.period_started_at)), else_=0),
        "unfollow_seconds": case((unfollow, sqlcompat.epoch_seconds(rows.c.observed_at)), else_=0),
        "follow_squares": case((follow, squared(sqlcompat.epoch_seconds(rows.c.observed_at))), else_=0),
    }


def squared(seconds) -> sa.ColumnElement:
    """(seconds − SQUARES_FROM)² as an exact decimal: with the follows' sum it tells two follows apart."""
    shifted = sa.cast(seconds - SQUARES_FROM, sa.Numeric(40, 0))
    return shifted * shifted


FOLLOW_SLOTS = Totals(
    FollowSlot.__table__,
    FollowEvent.__table__,
    keys=lambda rows: {"direction": rows.c.direction, "slot": slot_of(rows.c.observed_at)},
    sums=_follow_slot_sums,
)
TIP_SLOTS = Totals(
    TipSlot.__table__,
    Interaction.__table__,
    keys=lambda rows: {"room": rows.c.room, "slot": slot_of(rows.c.occurred_at)},
    sums=_tip_sums,
    where=lambda rows: and_(rows.c.type == "tip", rows.c.room.is_not(None)),
)
FOLLOWER_LOSS_SLOTS = Totals(
    FollowerLossSlot.__table__,
    FollowEvent.__table__,
    keys=lambda rows: {"slot": slot_of(rows.c.period_started_at)},
    sums=_loss_sums,
    where=lambda rows: and_(
        rows.c.direction == "follower", rows.c.action == "unfollow", rows.c.period_started_at.is_not(None)
    ),
)
FOLLOWER_SHAPES = Totals(
    FollowerShape.__table__,
    FollowEvent.__table__,
    keys=lambda rows: {"person_id": rows.c.person_id},
    sums=_shape_sums,
    where=lambda rows: rows.c.direction == "follower",
)
ALL = (FOLLOW_SLOTS, TIP_SLOTS, FOLLOWER_LOSS_SLOTS, FOLLOWER_SHAPES)


def install(bind) -> None:
    """Fill every table from the history and (re)install its triggers, in the caller's transaction."""
    for totals in ALL:
        for statement in totals.triggers(bind).statements(bind):
            bind.exec_driver_sql(statement)
        totals.fill(bind)


def uninstall(bind) -> None:
    """Drop every trigger and function `install` created (the tables are the migration's)."""
    for totals in ALL:
        for statement in totals.triggers(bind).drop_statements(bind):
            bind.exec_driver_sql(statement)
