"""The `follow_periods` table: every follow period of the history, one row each, kept by the database
(docs/domain.md#follow-periods-table).

Its one definition is `derived` below, read from `follow_events`: a person's rows in one direction, in the
order observed, with each row that repeats the one before it dropped (a follow while following, an unfollow
after an unfollow: a second source seeing the same change); then every follow begins a period that the next
change (an unfollow) ends. Triggers generated from that definition by sqlcompat.triggers.recompute_triggers
recompute the periods of each person and direction an insert, update or delete on the history touched, in
that statement (the ledger's INSERT ... SELECT, the events feed, COPY of demo data, a person deleted with
their history). The retention cohorts read it instead of pairing every follow with its later rows.

The Profile page and the Unfollowed tab tell a few persons' periods from their rows (`periods.py`), because
they also show what this table leaves out: a period whose follow is older than the history. Where every
period began with a follow the history holds, both say the same.

Migration 0032 created the table, filled it and installed the triggers; changing the definition needs a
migration that runs `install` again (tests/services/follows/test_period_table.py fails until it exists).
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy import func, or_, select, true

from mhc import sqlcompat
from mhc.models import FollowEvent, FollowPeriod
from mhc.sqlcompat import triggers as sql_triggers

KEYS = ("person_id", "direction")


def derived(scope: sql_triggers.ScopeFn = lambda rows: true()) -> sa.Select:
    """The periods of the history rows where scope(rows) holds (all of them by default), as table rows."""
    e = FollowEvent.__table__
    ordered = (
        select(
            e.c.person_id,
            e.c.direction,
            e.c.action,
            e.c.observed_at,
            e.c.id,
            func.lag(e.c.action)
            .over(partition_by=(e.c.person_id, e.c.direction), order_by=(e.c.observed_at, e.c.id))
            .label("before"),
        )
        .where(scope(e))
        .subquery("ordered")
    )
    o = ordered.c

    def around(offset: int, *, after: bool):
        window = func.lead if after else func.lag
        by = {"partition_by": (o.person_id, o.direction), "order_by": (o.observed_at, o.id)}
        return window(o.observed_at, offset).over(**by)

    # The changes alone alternate follow, unfollow, ...: the next change after a follow is its unfollow, the
    # one after that the next follow, and the second before it the previous follow.
    changes = (
        select(
            o.person_id,
            o.direction,
            o.action,
            o.observed_at.label("started_at"),
            around(1, after=True).label("ended_at"),
            around(2, after=True).label("next_started_at"),
            around(2, after=False).label("previous_started_at"),
        )
        .where(or_(o.before.is_(None), o.before != o.action))
        .subquery("changes")
    )
    c = changes.c
    start = sqlcompat.epoch_seconds(c.started_at)
    return select(
        c.person_id,
        c.direction,
        c.started_at,
        c.ended_at,
        c.previous_started_at,
        (sqlcompat.epoch_seconds(c.ended_at) - start).label("lasted_seconds"),
        (sqlcompat.epoch_seconds(c.next_started_at) - start).label("back_after_seconds"),
    ).where(c.action == "follow")


def triggers(bind) -> sql_triggers.TableTriggers:
    """The triggers that keep `follow_periods` equal to derived(), for this backend."""
    return sql_triggers.recompute_triggers(bind, FollowPeriod.__table__, FollowEvent.__table__, KEYS, derived)


def fill(bind) -> None:
    """Replace the table's rows with the periods of the whole history (a migration's backfill)."""
    bind.execute(FollowPeriod.__table__.delete())
    rows = derived()
    bind.execute(FollowPeriod.__table__.insert().from_select([c.name for c in rows.selected_columns], rows))


def install(bind) -> None:
    """Fill the table from the history and (re)install its triggers, in the caller's transaction."""
    for statement in triggers(bind).statements(bind):
        bind.exec_driver_sql(statement)
    fill(bind)


def uninstall(bind) -> None:
    """Drop the triggers and function `install` created (the table is the migration's)."""
    for statement in triggers(bind).drop_statements(bind):
        bind.exec_driver_sql(statement)
