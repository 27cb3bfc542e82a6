"""Unfollow insights from the follow history (direction `follower`): used by the Unfollowed tab and the CLI.

Definitions (issue 5), for an as-of time A and a window of W days:
- `unfollows_7d`, `unfollows_30d`: unfollow rows with observed_at in (A - 7 d, A] and (A - 30 d, A];
- `avg_follow_days`: mean length in days of the follow periods ended by the window's unfollows, where a
  period starts at that person's newest `follow` row before the unfollow (recorded on the unfollow row as
  `period_started_at` when it is written; periods without a recorded start are left out); one decimal;
  null when there is none;
- `unfollow_rate_pct`: unfollows in the window ÷ followers at the window's start × 100, one decimal; null
  when there were no followers then. Followers at a moment are rebuilt from history backwards from today's
  state: a person whose newest row at that moment is a `follow`, or who has no row then and whose first
  later row is an `unfollow` (a follow older than the history, e.g. one the seed's tool recorded without
  history rows).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import and_, func, select, true
from sqlalchemy.orm import Session

from mhc.models import FollowEvent, Profile

DIRECTION = "follower"
WINDOWS = (7, 30, 90, None)  # None: all of the history
ALL_TIME_START = datetime(1970, 1, 1, tzinfo=UTC)
CHART_MAX_DAYS = 365


@dataclass(frozen=True)
class Insights:
    """The Unfollowed tab's numbers."""

    unfollows_7d: int
    unfollows_30d: int
    avg_follow_days: float | None
    unfollow_rate_pct: float | None
    window_days: int | None

    def to_dict(self) -> dict:
        """JSON-ready."""
        return asdict(self)


def unfollow_insights(session: Session, as_of: datetime, window_days: int | None = 30) -> Insights:
    """Unfollow counts, average follow length and unfollow rate as of `as_of` over `window_days`
    (None: the whole history, whose start has no followers, so its rate is null)."""
    if window_days not in WINDOWS:
        raise ValueError(f"window must be one of {WINDOWS}")
    start = ALL_TIME_START if window_days is None else as_of - timedelta(days=window_days)
    in_window, last_7d, last_30d, mean_seconds = _window_numbers(session, start, as_of)
    followers_then = 0 if window_days is None else _followers_at(session, start)
    rate = round(100 * in_window / followers_then, 1) if followers_then else None
    return Insights(
        unfollows_7d=last_7d,
        unfollows_30d=last_30d,
        avg_follow_days=None if mean_seconds is None else round(float(mean_seconds) / 86400, 1),
        unfollow_rate_pct=rate,
        window_days=window_days,
    )


def _unfollows(start: datetime, end: datetime):
    return (
        FollowEvent.direction == DIRECTION,
        FollowEvent.action == "unfollow",
        FollowEvent.observed_at > start,
        FollowEvent.observed_at <= end,
    )


def _window_numbers(session: Session, start: datetime, as_of: datetime) -> tuple[int, int, int, float | None]:
    """(unfollows in the window, in the last 7 days, in the last 30 days, mean seconds of the follow periods
    the window's unfollows ended) in one index-only scan over the widest of the three ranges.

    A period's length is measured from the start recorded on its unfollow row (`period_started_at`);
    rows without one are left out of the mean."""
    week, month = as_of - timedelta(days=7), as_of - timedelta(days=30)
    if session.get_bind().dialect.name == "postgresql":
        seconds = func.extract("epoch", FollowEvent.observed_at - FollowEvent.period_started_at)
    else:
        seconds = (func.julianday(FollowEvent.observed_at) - func.julianday(FollowEvent.period_started_at)) * 86400
    in_window = FollowEvent.observed_at > start
    stmt = select(
        func.count().filter(in_window),
        func.count().filter(FollowEvent.observed_at > week),
        func.count().filter(FollowEvent.observed_at > month),
        func.avg(seconds).filter(and_(in_window, FollowEvent.period_started_at.is_not(None))),
    ).where(*_unfollows(min(start, month), as_of))
    n_window, n_week, n_month, mean = session.execute(stmt).one()
    return int(n_window), int(n_week), int(n_month), mean


def _followers_at(session: Session, when: datetime) -> int:
    """Persons whose newest follower history row at `when` is a follow.

    The follow ledger writes a history row exactly when a person's follow state changes, in the same
    transaction as the change to `profiles.follower`, and never behind a newer row; so each person's rows
    alternate, and every follow after `when` added one follower since, every unfollow took one away.
    Followers then = followers now - follows since + unfollows since: two index range counts, whatever
    the size of the history (tests/follows/test_insights.py checks it against a replay of every row).
    """
    now = session.scalar(select(func.count()).select_from(Profile).where(Profile.follower == true()))
    follows, unfollows = session.execute(
        select(
            func.count().filter(FollowEvent.action == "follow"),
            func.count().filter(FollowEvent.action == "unfollow"),
        ).where(
            FollowEvent.direction == DIRECTION,
            FollowEvent.action.in_(("follow", "unfollow")),  # the whole (direction, action, observed_at) prefix
            FollowEvent.observed_at > when,
        )
    ).one()
    return now - follows + unfollows


def unfollows_per_day(session: Session, as_of: datetime, window_days: int | None = 30) -> list[tuple[date, int]]:
    """Unfollows per UTC day for the `window_days` days ending on as_of's date (zeros included); None: from
    the first recorded unfollow, at most CHART_MAX_DAYS days."""
    last = as_of.astimezone(UTC).date()
    if window_days is None:
        first_seen = session.scalar(select(func.min(FollowEvent.observed_at)).where(*_unfollows(ALL_TIME_START, as_of)))
        window_days = (last - _aware(first_seen).astimezone(UTC).date()).days + 1 if first_seen else 1
        window_days = min(window_days, CHART_MAX_DAYS)
    first = last - timedelta(days=window_days - 1)
    start = datetime(first.year, first.month, first.day, tzinfo=UTC)
    stmt = select(FollowEvent.observed_at).where(
        FollowEvent.direction == DIRECTION,
        FollowEvent.action == "unfollow",
        FollowEvent.observed_at >= start,
        FollowEvent.observed_at <= as_of,
    )
    per_day = dict.fromkeys((first + timedelta(days=i) for i in range(window_days)), 0)
    for (observed_at,) in session.execute(stmt):
        day = _aware(observed_at).astimezone(UTC).date()
        if day in per_day:
            per_day[day] += 1
    return list(per_day.items())


def _aware(value) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)
