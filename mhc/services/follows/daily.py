"""The per-day follow totals (`follow_daily`): their one definition, and the triggers generated from it.

Per direction and UTC day of `observed_at`, over the rows of `follow_events`:
- follows: the `follow` rows;
- unfollows: the `unfollow` rows;
- periods: the unfollows that record when the follow period they ended began (`period_started_at`);
- period_seconds: the summed length of those periods.

Database triggers keep the table equal to this aggregate in the statement of every insert, update or delete
(the ledger's INSERT ... SELECT, the period start filled in afterwards, COPY of demo data, a person deleted
with their history), so the insights read a few rows per day instead of the whole history. The triggers are
generated from `keys` and `sums` below (migration 0021 installed them); changing the definition needs a
migration that runs `trigger_statements` again, and tests/services/follows/test_follow_daily.py fails until it exists.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy import case, func, select

from mhc import sqlcompat
from mhc.models import FollowDaily, FollowEvent
from mhc.sqlcompat import triggers as sql_triggers

HISTORY = FollowEvent.__table__


def keys(rows) -> dict[str, sa.ColumnElement]:
    """The summary key of a history row: its direction and UTC day."""
    return {"direction": rows.c.direction, "day": sqlcompat.utc_date(rows.c.observed_at)}


def sums(rows) -> dict[str, sa.ColumnElement]:
    """What one history row adds to each total of its day."""
    with_period = sa.and_(rows.c.action == "unfollow", rows.c.period_started_at.isnot(None))
    return {
        "follows": case((rows.c.action == "follow", 1), else_=0),
        "unfollows": case((rows.c.action == "unfollow", 1), else_=0),
        "periods": case((with_period, 1), else_=0),
        "period_seconds": case(
            (with_period, sqlcompat.seconds_between(rows.c.observed_at, rows.c.period_started_at)), else_=0
        ),
    }


def aggregate() -> sa.Select:
    """The totals computed from the history itself (what `follow_daily` must equal)."""
    key_columns = [e.label(n) for n, e in keys(HISTORY).items()]
    totals = [func.sum(e).label(n) for n, e in sums(HISTORY).items()]
    return select(*key_columns, *totals).group_by(*(c.element for c in key_columns))


def triggers(bind) -> sql_triggers.TableTriggers:
    """The triggers that keep `follow_daily` equal to aggregate(), for this backend."""
    return sql_triggers.summary_triggers(bind, FollowDaily.__table__, HISTORY, keys, sums)


def trigger_statements(bind) -> list[str]:
    """The statements that (re)install those triggers."""
    return triggers(bind).statements(bind)
