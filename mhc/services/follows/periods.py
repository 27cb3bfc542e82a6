"""Follow periods: a person's follow history in one direction told as periods, "followed → left, back →
left, still following", so a re-follow explains why one person has two unfollows.

Read from `follow_events` (docs/operator.md#follow-periods). The rows of one person and direction, in the
order they were observed, make the periods:

- a `follow` opens a period, unless one is open already (a second source seeing the same follow);
- an `unfollow` closes the open period. Its start is the `period_started_at` the unfollow row recorded
  (the newest follow before it, the start the unfollow insights average over), else the open period's
  first follow, else unknown (the follow is older than the history: `started_at` None);
- an `unfollow` while no period is open and one already ended is the same leaving seen again, unless it
  recorded a start after that end (a follow the history lacks);
- a period still open at the end is "still following" (`ended_at` None).

One query for any number of persons (a page of 50). The profile's dates are not changed by any of this:
`follower_since` keeps the first follow (docs/domain.md), the periods show what happened since.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from mhc.models import FollowEvent
from mhc.models.follows import DIRECTIONS

CHUNK = 5000  # person ids per IN list (bind parameter limits)


@dataclass(frozen=True)
class Period:
    """One stretch of following: `started_at` None when it began before the history, `ended_at` None while
    it lasts."""

    started_at: datetime | None
    ended_at: datetime | None

    @property
    def ongoing(self) -> bool:
        """True while the person still follows."""
        return self.ended_at is None

    def seconds(self, now: datetime) -> float | None:
        """How long it lasted (up to `now` while it lasts); None when its start is unknown."""
        if self.started_at is None:
            return None
        return max(((self.ended_at or now) - self.started_at).total_seconds(), 0.0)


@dataclass(frozen=True)
class Row:
    """The columns of one follow_events row the periods need, in observed order."""

    action: str
    observed_at: datetime
    period_started_at: datetime | None = None


def periods_from_rows(rows: Iterable[Row]) -> list[Period]:
    """The periods of one person in one direction, oldest first (rows in observed order; see the module)."""
    periods: list[Period] = []
    open_since: datetime | None = None
    is_open = False
    for row in rows:
        if row.action == "follow":
            if not is_open:
                open_since, is_open = row.observed_at, True
            continue
        if is_open:
            periods.append(Period(row.period_started_at or open_since, row.observed_at))
            open_since, is_open = None, False
        elif not periods or _after(row.period_started_at, periods[-1].ended_at):
            periods.append(Period(row.period_started_at, row.observed_at))
    if is_open:
        periods.append(Period(open_since, None))
    return periods


def _after(start: datetime | None, end: datetime | None) -> bool:
    return start is not None and end is not None and start > end


def periods_for(
    session: Session, person_ids: Iterable, directions: Iterable[str] = DIRECTIONS
) -> dict[tuple[uuid.UUID, str], list[Period]]:
    """{(person_id, direction): periods} for every person and direction with follow history (others are
    absent); one query per CHUNK persons."""
    ids = list(dict.fromkeys(person_ids))
    directions = tuple(directions)
    grouped: dict[tuple[uuid.UUID, str], list[Row]] = defaultdict(list)
    e = FollowEvent
    for start in range(0, len(ids), CHUNK):
        rows = session.execute(
            select(e.person_id, e.direction, e.action, e.observed_at, e.period_started_at)
            .where(e.person_id.in_(ids[start : start + CHUNK]), e.direction.in_(directions))
            .order_by(e.person_id, e.direction, e.observed_at, e.id)
        )
        for r in rows:
            grouped[(r.person_id, r.direction)].append(Row(r.action, r.observed_at, r.period_started_at))
    return {key: periods_from_rows(rows) for key, rows in grouped.items()}


def with_current_state(periods: list[Period], following: bool, since: datetime | None) -> list[Period]:
    """`periods`, plus one ongoing period when the profile says the person follows but the history has no
    open period (a follow recorded before the history began: the seed's tool kept no rows). `since` is the
    profile's first follow, so it is the start only when there is no earlier period."""
    if following and not (periods and periods[-1].ongoing):
        return [*periods, Period(None if periods else since, None)]
    return periods


def unfollow_count(periods: list[Period]) -> int:
    """How many times the periods ended (each an unfollow)."""
    return sum(1 for p in periods if not p.ongoing)
