"""Unfollows counted next to the persons who made them, so "14 unfollows" above a list of 12 persons
explains itself: someone who left, came back and left again is two unfollows and one person, and someone
who left and came back is no longer in the Unfollowed list (docs/domain.md#unfollow-insights).

For windows of days up to an as-of time A: the follower `unfollow` rows observed in (A − days, A], the
distinct persons they belong to, and how many of those persons follow again now. Excluded persons count
nowhere, as in the insights. One query for every window asked, reading the (direction, action, observed_at)
index over the longest window.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from mhc.models import FollowEvent
from mhc.services.owner.scope import kept

DIRECTION = "follower"


@dataclass(frozen=True)
class Unfollowers:
    """Over one window: `unfollows` rows, by `persons` distinct persons, `back` of whom follow again now."""

    unfollows: int
    persons: int
    back: int

    @property
    def repeat(self) -> int:
        """Unfollows beyond one per person (someone who left twice counts twice)."""
        return self.unfollows - self.persons


def unfollowers(session: Session, as_of: datetime, windows: tuple[int, ...] = (7, 30)) -> dict[int, Unfollowers]:
    """{days: Unfollowers} for each window of days up to `as_of`, in one statement over the follower rows of the
    longest window: a person who unfollowed in it and follows again by `as_of` has a follow row after their
    last unfollow, in the same window (so no profile is read)."""
    e = FollowEvent
    unfollow, follow = e.action == "unfollow", e.action == "follow"
    per_person = (
        select(
            *[func.count().filter(unfollow, e.observed_at > as_of - timedelta(days=d)).label(f"n{d}") for d in windows],
            (func.max(case((follow, e.observed_at))) > func.max(case((unfollow, e.observed_at)))).label("back"),
        )
        .where(
            e.direction == DIRECTION,
            e.observed_at > as_of - timedelta(days=max(windows)),
            e.observed_at <= as_of,
            kept(e.person_id),
        )
        .group_by(e.person_id)
        .having(func.count().filter(unfollow) > 0)
        .subquery("per_person")
    )
    back = per_person.c.back.is_(True)
    columns = []
    for days in windows:
        n = per_person.c[f"n{days}"]
        columns += [func.sum(n), func.count().filter(n > 0), func.count().filter(n > 0, back)]
    row = session.execute(select(*columns)).one()
    return {days: Unfollowers(*(int(v or 0) for v in row[3 * i : 3 * i + 3])) for i, days in enumerate(windows)}
