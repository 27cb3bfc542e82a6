"""Unfollow insights from the follow history (direction `follower`): used by the Unfollowed tab and the CLI.

Definitions (docs/domain.md#unfollow-insights), for an as-of time A and a window of W days:
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

`unfollower_tokens` is the tab's "tokens from fans who left": the summed fan value of the persons the tab
lists for the window (their current unfollow date in it), so it matches the tab's Tokens column.

Persons excluded from aggregates (`persons.is_excluded`: noise accounts such as bots,
docs/domain.md#excluded-persons) count nowhere here: their follower rows are subtracted from the per-day
totals, and they are not among today's followers. The same holds for the owner's dashboard, which reads its
numbers from this module.
"""

from __future__ import annotations

from dataclasses import asdict, astuple, dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import func, literal, select, true, union_all
from sqlalchemy.orm import Session

from mhc import sqlcompat
from mhc.models import FollowDaily, FollowEvent, Person, Profile
from mhc.services.users.conditions import unfollowed_within_condition

DIRECTION = "follower"
WINDOWS = (7, 30, 90, None)  # None: all of the history
ALL_TIME_START = datetime(1970, 1, 1, tzinfo=UTC)
CHART_MAX_DAYS = 365
EXCLUDED_CHUNK = 5000  # person ids per IN list (bind parameter limits: SQLite 32,766, PostgreSQL 65,535)


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
    (None: the whole history, whose rate is null)."""
    if window_days not in WINDOWS:
        raise ValueError(f"window must be one of {WINDOWS}")
    start = ALL_TIME_START if window_days is None else as_of - timedelta(days=window_days)
    week, month = as_of - timedelta(days=7), as_of - timedelta(days=30)
    since = _totals_since(session, [start, week, month, as_of])
    window, after = since[start] - since[as_of], since[as_of]
    followers_then = 0 if window_days is None else followers_now(session) - since[start].net_follows
    rate = round(100 * window.unfollows / followers_then, 1) if followers_then > 0 else None
    return Insights(
        unfollows_7d=(since[week] - after).unfollows,
        unfollows_30d=(since[month] - after).unfollows,
        avg_follow_days=round(window.seconds / window.periods / 86400, 1) if window.periods else None,
        unfollow_rate_pct=rate,
        window_days=window_days,
    )


def unfollower_tokens(session: Session, as_of: datetime, window_days: int | None = 30) -> int:
    """Tokens from fans who left in the window: the lifetime tokens (docs/domain.md#fan-value) of the persons
    the Unfollowed tab lists for that window (None: all of them), excluded persons left out. One query."""
    if window_days not in WINDOWS:
        raise ValueError(f"window must be one of {WINDOWS}")
    # Both sides are read from indexes alone on PostgreSQL: unfollowers with their person id (idx_profiles_unfollowed
    # INCLUDE), fans with their tokens ((tipped_tokens, id)); the few excluded ids are one hashed NOT IN.
    excluded = select(Person.id).where(Person.is_excluded == true())
    stmt = (
        select(func.coalesce(func.sum(Person.tipped_tokens), 0))
        .select_from(Profile)
        .join(Person, Person.id == Profile.person_id)
        .where(unfollowed_within_condition(window_days, as_of), Person.tipped_tokens > 0, Person.id.not_in(excluded))
    )
    return int(session.scalar(stmt))


@dataclass(frozen=True)
class _Totals:
    """Follower history rows after some moment: follows, unfollows, and of the unfollows those with a
    recorded period start (`periods`) with the summed length of their periods."""

    follows: int = 0
    unfollows: int = 0
    periods: int = 0
    seconds: float = 0.0

    def __sub__(self, other: _Totals) -> _Totals:
        return _Totals(*(a - b for a, b in zip(astuple(self), astuple(other), strict=True)))

    @property
    def net_follows(self) -> int:
        return self.follows - self.unfollows


def follower_changes(session: Session, as_of: datetime, days: int) -> tuple[int, int]:
    """(follows, unfollows) of followers in the `days` days up to `as_of`, excluded persons left out."""
    start = as_of - timedelta(days=days)
    since = _totals_since(session, [start, as_of])
    window = since[start] - since[as_of]
    return window.follows, window.unfollows


def _totals_since(session: Session, moments: list[datetime]) -> dict[datetime, _Totals]:
    """For each moment, the totals of the follower rows strictly after it: the per-day totals
    (`follow_daily`, defined in daily.py) of the days after the moment's UTC day, plus the rows of that day
    that come after the moment, less the rows of excluded persons. Two queries whatever the size of the
    history, plus one for the excluded ids and one per 5,000 of them."""
    days = {m: m.astimezone(UTC).date() for m in moments}
    d, e = FollowDaily, FollowEvent
    daily = []
    for m in moments:
        later = d.day > days[m]
        daily += [func.sum(d.follows).filter(later), func.sum(d.unfollows).filter(later)]
        daily += [func.sum(d.periods).filter(later), func.sum(d.period_seconds).filter(later)]
    daily_row = session.execute(select(*daily).where(d.direction == DIRECTION)).one()
    # The moments' own days, one range each (UNION ALL, so each is an index-only range scan of
    # (direction, action, observed_at) INCLUDE (period_started_at); an OR of ranges would visit the heap).
    parts = []
    for i, m in enumerate(moments):
        midnight = datetime.combine(days[m] + timedelta(days=1), time(), UTC)
        parts.append(
            select(literal(i).label("k"), e.action, e.observed_at, e.period_started_at).where(
                e.direction == DIRECTION,
                e.action.in_(("follow", "unfollow")),
                e.observed_at > m,
                e.observed_at < midnight,
            )
        )
    rows = union_all(*parts).subquery()
    seconds = sqlcompat.seconds_between(rows.c.observed_at, rows.c.period_started_at)
    unfollow = rows.c.action == "unfollow"
    edge_rows = session.execute(
        select(
            rows.c.k,
            func.count().filter(rows.c.action == "follow"),
            func.count().filter(unfollow),
            func.count(rows.c.period_started_at).filter(unfollow),
            func.sum(seconds).filter(unfollow),
        ).group_by(rows.c.k)
    ).all()
    edges = {row[0]: row[1:] for row in edge_rows}
    excluded = _excluded_rows(session)
    out = {}
    for i, m in enumerate(moments):
        day_part, edge_part = daily_row[4 * i : 4 * i + 4], edges.get(i, (0, 0, 0, 0))
        everyone = _Totals(*(_number(a) + _number(b) for a, b in zip(day_part, edge_part, strict=True)))
        out[m] = everyone - _totals_of([r for r in excluded if r.observed_at > m])
    return out


def _excluded_ids(session: Session) -> list:
    """Persons excluded from aggregates: noise accounts, few, listed by the partial index `ix_persons_excluded`.
    Their rows are then read by person id (index probes), never by scanning the history."""
    return session.scalars(select(Person.id).where(Person.is_excluded == true())).all()


def _chunks(ids: list, size: int = EXCLUDED_CHUNK) -> list[list]:
    return [ids[i : i + size] for i in range(0, len(ids), size)]


def _excluded_rows(session: Session) -> list:
    """(action, observed_at, period_started_at) of the follower rows of persons excluded from aggregates."""
    e, rows = FollowEvent, []
    for chunk in _chunks(_excluded_ids(session)):
        stmt = select(e.action, e.observed_at, e.period_started_at).where(
            e.person_id.in_(chunk), e.direction == DIRECTION
        )
        rows += session.execute(stmt).all()
    return rows


def _totals_of(rows: list) -> _Totals:
    unfollows = [r for r in rows if r.action == "unfollow"]
    periods = [r for r in unfollows if r.period_started_at is not None]
    seconds = sum((r.observed_at - r.period_started_at).total_seconds() for r in periods)
    return _Totals(len(rows) - len(unfollows), len(unfollows), len(periods), seconds)


def _number(value):
    return 0 if value is None else float(value) if isinstance(value, Decimal) else value


def followers_now(session: Session) -> int:
    """Followers now (`profiles.follower`), excluded persons left out.

    Followers at an earlier moment = followers now - follows since + unfollows since: the follow ledger
    writes a history row exactly when a person's follow state changes, in the same transaction as the
    change to `profiles.follower`, and never behind a newer row, so each person's rows alternate and every
    follow since added one follower, every unfollow took one away (tests/services/follows/test_insights.py checks
    it against a replay of every row)."""
    total = session.scalar(select(func.count()).select_from(Profile).where(Profile.follower == true()))
    for chunk in _chunks(_excluded_ids(session)):
        excluded = select(func.count()).where(Profile.person_id.in_(chunk), Profile.follower == true())
        total -= session.scalar(excluded)
    return total


def _followers_at(session: Session, when: datetime) -> int:
    """Persons following at `when`, rebuilt from today's state and the history since."""
    return followers_now(session) - _totals_since(session, [when])[when].net_follows


def daily_follower_changes(session: Session, since: date | None) -> list[tuple[date, int]]:
    """(UTC day, follows − unfollows) of every day with follower history from `since` on (None: all), from
    the per-day totals the triggers keep (`follow_daily`), excluded persons left out."""
    d = FollowDaily
    stmt = select(d.day, d.follows - d.unfollows).where(d.direction == DIRECTION).order_by(d.day)
    if since is not None:
        stmt = stmt.where(d.day >= since)
    changes = {_day(day): int(change) for day, change in session.execute(stmt)}
    for r in _excluded_rows(session):
        day = r.observed_at.astimezone(UTC).date()
        if day in changes:
            changes[day] -= 1 if r.action == "follow" else -1
    return list(changes.items())


def unfollows_per_day(session: Session, as_of: datetime, window_days: int | None = 30) -> list[tuple[date, int]]:
    """Unfollows per UTC day for the `window_days` days ending on as_of's date (zeros included); None: from
    the first recorded unfollow, at most CHART_MAX_DAYS days. Whole days come from `follow_daily`; as_of's
    own day counts its rows up to as_of."""
    last = as_of.astimezone(UTC).date()
    d = FollowDaily
    if window_days is None:
        first_day = session.scalar(
            select(func.min(d.day)).where(d.direction == DIRECTION, d.unfollows > 0, d.day <= last)
        )
        window_days = min((last - _day(first_day)).days + 1 if first_day else 1, CHART_MAX_DAYS)
    first = last - timedelta(days=window_days - 1)
    per_day = dict.fromkeys((first + timedelta(days=i) for i in range(window_days)), 0)
    stmt = select(d.day, d.unfollows).where(d.direction == DIRECTION, d.day >= first, d.day < last)
    for day, unfollows in session.execute(stmt):
        per_day[_day(day)] = unfollows
    midnight = datetime.combine(last, time(), UTC)
    per_day[last] = session.scalar(select(func.count()).where(*_unfollows(midnight - timedelta(microseconds=1), as_of)))
    for r in _excluded_rows(session):
        day = r.observed_at.astimezone(UTC).date()
        if r.action == "unfollow" and day in per_day and r.observed_at <= as_of:
            per_day[day] -= 1
    return list(per_day.items())


def _unfollows(start: datetime, end: datetime):
    return (
        FollowEvent.direction == DIRECTION,
        FollowEvent.action == "unfollow",
        FollowEvent.observed_at > start,
        FollowEvent.observed_at <= end,
    )


def _day(value) -> date:
    return date.fromisoformat(value) if isinstance(value, str) else value
