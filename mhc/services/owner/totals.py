"""The totals the database keeps for the Hudson page (docs/domain.md#hudson-totals): their one definition each,
and the triggers generated from it.

Each total is a sum per key over the rows of a history table that match a filter (`Totals`). Database
triggers generated from that definition by sqlcompat.triggers.summary_triggers keep the table equal to the aggregate
in the statement of every insert, update or delete (the ledger's INSERT ... SELECT, COPY of demo data, a
person deleted with their history), so the page reads a few thousand rows instead of the history:

- follow_slots: per direction and UTC hour of `observed_at`, the follow and unfollow rows;
- tip_slots: per room and UTC hour of `occurred_at`, the tips and their tokens.

The retention cohorts read the follow periods instead (docs/domain.md#follow-periods-table).

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
from mhc.models import FollowEvent, FollowSlot, Interaction, TipSlot
from mhc.sqlcompat import triggers as sql_triggers

SLOT_SECONDS = 3600


def slot_of(column) -> sa.ColumnElement:
    """Unix seconds of the start of the UTC hour a timestamp falls in."""
    return sqlcompat.epoch_seconds(column) // SLOT_SECONDS * SLOT_SECONDS


@dataclass(frozen=True)
class Totals:
    """One kept total: `target` holds, per keys(row), the sums(row) over the `source` rows where(row) holds."""

    target: sa.Table
    source: sa.Table
    keys: sql_triggers.RowsFn
    sums: sql_triggers.RowsFn
    where: Callable[[sa.TableClause], sa.ColumnElement] | None = None

    def aggregate(self) -> sa.Select:
        """The totals computed from the history itself (what `target` must equal)."""
        rows = self.source
        key_columns = [e.label(n) for n, e in self.keys(rows).items()]
        totals = [func.sum(e).label(n) for n, e in self.sums(rows).items()]
        stmt = select(*key_columns, *totals).group_by(*(c.element for c in key_columns))
        return stmt.where(self.where(rows)) if self.where is not None else stmt

    def triggers(self, bind) -> sql_triggers.TableTriggers:
        """The triggers that keep `target` equal to aggregate(), for this backend."""
        return sql_triggers.summary_triggers(bind, self.target, self.source, self.keys, self.sums, self.where)

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
ALL = (FOLLOW_SLOTS, TIP_SLOTS)


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
