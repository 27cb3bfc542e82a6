"""The weekday × hour heatmap of follower follows, unfollows and tips in the owner's time zone, read from
the per-hour totals the database keeps (docs/domain.md#hudson-totals)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import and_, case, func, literal, or_, select, union_all
from sqlalchemy.orm import Session

from mhc.models import FollowEvent, FollowSlot, Interaction, TipSlot
from mhc.services.owner import local_time
from mhc.services.owner.scope import at, excluded_ids, kept
from mhc.services.owner.totals import SLOT_SECONDS

HEATMAP_KINDS = ("follows", "unfollows", "tips")
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@dataclass
class Heatmap:
    """Counts per local weekday (0 = Monday) and hour, for follows, unfollows and tips."""

    timezone: str
    since: datetime
    as_of: datetime
    grids: dict[str, list[list[int]]]
    weekdays: tuple[str, ...] = WEEKDAYS

    def total(self, kind: str) -> int:
        """All counts of one kind."""
        return sum(map(sum, self.grids[kind]))

    def peak(self, kind: str) -> int:
        """The largest cell of one kind (0 when empty)."""
        return max(map(max, self.grids[kind]))

    def rows(self, kind: str, label: str) -> list[tuple[str, list[tuple[str, int, str]]]]:
        """(weekday, cells) per row for the page: each cell's text (empty for 0), shade 0-4 of the peak and
        title; made here once rather than by the template in each of the 504 cells."""
        peak = self.peak(kind)
        return [
            (
                day,
                [
                    (str(n) if n else "", (n * 4 + peak - 1) // peak if peak else 0, f"{day} {h:02d}:00 {label}: {n}")
                    for h, n in enumerate(counts)
                ],
            )
            for day, counts in zip(self.weekdays, self.grids[kind], strict=True)
        ]


def activity_heatmap(
    session: Session, owner: str, timezone: str, as_of: datetime, days: int = 90, *, totals: bool = True
) -> Heatmap:
    """Follower follows/unfollows and tips in the owner's room over (as_of − days, as_of], by local weekday
    and hour (1 statement of at most 168 rows).

    The UTC hours wholly inside the window come from the totals, less the rows of excluded persons; the
    two partial hours at its ends come from the history. A time zone whose offsets are not whole hours
    (India's, Nepal's, ...) reads the history for the whole window, as does `totals=False` (the bench's
    baseline)."""
    since = as_of - timedelta(days=days)
    spans = local_time.utc_offsets(timezone, since, as_of)
    first = (math.floor(since.timestamp()) // SLOT_SECONDS + 1) * SLOT_SECONDS  # first slot start after since
    last = math.floor(as_of.timestamp()) // SLOT_SECONDS * SLOT_SECONDS  # the slot as_of is in
    if not totals or first >= last or not local_time.aligned(spans, SLOT_SECONDS):
        first = last = None  # no whole slot: every row from the history
    parts = _follow_parts(spans, since, as_of, first, last) + _tip_parts(owner, spans, since, as_of, first, last)
    rows = union_all(*parts).subquery("cells")
    stmt = select(rows.c.how, *[func.sum(rows.c[k]) for k in HEATMAP_KINDS]).group_by(rows.c.how)
    grids = {kind: [[0] * 24 for _ in WEEKDAYS] for kind in HEATMAP_KINDS}
    for how, *counts in session.execute(stmt):
        for kind, n in zip(HEATMAP_KINDS, counts, strict=True):
            grids[kind][how // 24][how % 24] += int(n)
    return Heatmap(timezone=timezone, since=since, as_of=as_of, grids=grids)


def _edges(column, since: datetime, as_of: datetime, first: int | None, last: int | None):
    """The part of (since, as_of] outside the whole slots [first, last)."""
    if first is None:
        return and_(column > at(since), column <= at(as_of))
    return or_(
        and_(column > at(since), column < at(_moment(first))),
        and_(column >= at(_moment(last)), column <= at(as_of)),
    )


def _moment(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def _n(value, name: str):
    """A column of a union part: an expression, or a constant."""
    return (literal(value) if isinstance(value, int) else value).label(name)


def _follow_parts(spans, since, as_of, first, last) -> list:
    e = FollowEvent
    how = local_time.hour_of_week(e.observed_at, spans)

    def history(sign: int, *where):
        follow, unfollow = (case((e.action == a, sign), else_=0) for a in ("follow", "unfollow"))
        return select(how.label("how"), _n(follow, "follows"), _n(unfollow, "unfollows"), _n(0, "tips")).where(
            e.direction == "follower", *where
        )

    parts = [history(1, _edges(e.observed_at, since, as_of, first, last), kept(e.person_id))]
    if first is not None:
        s = FollowSlot
        slot_how = local_time.hour_of_week_at(s.slot, spans)
        parts.append(
            select(slot_how.label("how"), _n(s.follows, "follows"), _n(s.unfollows, "unfollows"), _n(0, "tips")).where(
                s.direction == "follower", s.slot >= first, s.slot < last
            )
        )
        inside = and_(e.observed_at >= at(_moment(first)), e.observed_at < at(_moment(last)))
        parts.append(history(-1, inside, e.person_id.in_(excluded_ids())))
    return parts


def _tip_parts(owner, spans, since, as_of, first, last) -> list:
    i = Interaction
    how = local_time.hour_of_week(i.occurred_at, spans)

    def history(sign: int, *where):
        return select(how.label("how"), _n(0, "follows"), _n(0, "unfollows"), _n(sign, "tips")).where(
            i.type == "tip", i.room == owner, *where
        )

    parts = [history(1, _edges(i.occurred_at, since, as_of, first, last), kept(i.person_id))]
    if first is not None:
        s = TipSlot
        slot_how = local_time.hour_of_week_at(s.slot, spans)
        parts.append(
            select(slot_how.label("how"), _n(0, "follows"), _n(0, "unfollows"), _n(s.tips, "tips")).where(
                s.room == owner, s.slot >= first, s.slot < last
            )
        )
        inside = and_(i.occurred_at >= at(_moment(first)), i.occurred_at < at(_moment(last)))
        parts.append(history(-1, inside, i.person_id.in_(excluded_ids())))
    return parts
