"""Where followers come from: numbers per broadcast, a weekday × hour heatmap, follower retention by month.

Read-only: every function here only SELECTs. Each takes the moment it answers for (`as_of`) and, where
calendars matter, the owner's time zone, so tests pass fixed ones; each runs a fixed number of set-based
queries whatever the number of broadcasts, follows or tips. How every number is computed and from which
table: docs/domain.md#where-followers-come-from; the heatmap and the cohorts read totals the database keeps
(docs/domain.md#hudson-totals).
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, distinct, false, func, or_, select, union_all
from sqlalchemy.orm import Session

from mhc.models import PLATFORM, AffiliateSnapshot, FollowEvent, Interaction, Person
from mhc.models.owner import BroadcastSession, OwnerStatsSample
from mhc.services.owner import scope
from mhc.services.owner.heatmap import HEATMAP_KINDS, WEEKDAYS, Heatmap, activity_heatmap
from mhc.services.owner.retention import HORIZONS, Cohort, retention_cohorts, retention_points

# The heatmap and the cohorts live in their own modules; the page and its tests reach them through here.
__all__ = [
    "HEATMAP_KINDS",
    "HORIZONS",
    "WEEKDAYS",
    "BroadcastStats",
    "Cohort",
    "FollowerChange",
    "Heatmap",
    "OwnerAnalytics",
    "activity_heatmap",
    "broadcast_stats",
    "build",
    "retention_cohorts",
    "retention_points",
    "top_by_net",
]


def _owner_id(owner: str):
    return select(Person.id).where(Person.username == owner, Person.platform == PLATFORM).scalar_subquery()


# ----------------------------------------------------------------------------------------- per broadcast


@dataclass(frozen=True)
class FollowerChange:
    """One follower gained or lost during a broadcast."""

    username: str
    observed_at: datetime


@dataclass
class BroadcastStats:
    """One broadcast session of the owner's room and what it brought."""

    id: int
    started_at: datetime
    ended_at: datetime | None
    duration: timedelta
    peak_viewers: int | None = None
    unique_viewers: int = 0
    tips: int = 0
    tokens: int = 0
    gained: list[FollowerChange] = field(default_factory=list)
    lost: list[FollowerChange] = field(default_factory=list)

    @property
    def live(self) -> bool:
        """True while the session has no end."""
        return self.ended_at is None

    @property
    def net(self) -> int:
        """Followers gained minus followers lost."""
        return len(self.gained) - len(self.lost)


def broadcast_stats(session: Session, owner: str, as_of: datetime, since: datetime) -> list[BroadcastStats]:
    """Sessions started in [since, as_of], newest first, with their numbers (4 queries whatever their count)."""
    window = and_(BroadcastSession.started_at >= since, BroadcastSession.started_at <= as_of)
    rows = session.execute(
        select(BroadcastSession.id, BroadcastSession.started_at, BroadcastSession.ended_at)
        .where(window)
        .order_by(BroadcastSession.started_at.desc(), BroadcastSession.id.desc())
    ).all()
    if not rows:
        return []
    out = {
        r.id: BroadcastStats(r.id, r.started_at, r.ended_at, duration=(r.ended_at or as_of) - r.started_at)
        for r in rows
    }
    end = func.coalesce(BroadcastSession.ended_at, scope.at(as_of))
    # Every row read lies in [since, as_of]: saying so lets the planner scan one range per session.
    _add_activity(session, owner, window, end, (since, as_of), out)
    _add_peaks(session, owner, window, end, out)
    _add_follower_changes(session, out, as_of)
    return list(out.values())


def _add_activity(session: Session, owner: str, window, end, bounds, out: dict[int, BroadcastStats]) -> None:
    """Tips, tokens and distinct registered viewers of each session, from the owner's room's events."""
    in_session = and_(
        Interaction.room == owner,
        Interaction.occurred_at >= BroadcastSession.started_at,
        Interaction.occurred_at <= end,
        Interaction.occurred_at.between(scope.at(bounds[0]), scope.at(bounds[1])),
    )
    kept = scope.kept(Interaction.person_id)
    tip = and_(Interaction.type == "tip", kept)
    viewer = case((and_(Interaction.person_id.is_distinct_from(_owner_id(owner)), kept), Interaction.person_id))
    stmt = (
        select(
            BroadcastSession.id,
            func.count(distinct(viewer)),
            func.count(case((tip, 1))),
            func.coalesce(func.sum(case((tip, Interaction.amount), else_=0)), 0),
        )
        .select_from(BroadcastSession)
        .join(Interaction, in_session)
        .where(window)
        .group_by(BroadcastSession.id)
    )
    for sid, viewers, tips, tokens in session.execute(stmt):
        out[sid].unique_viewers, out[sid].tips, out[sid].tokens = viewers, tips, int(tokens)


def _add_peaks(session: Session, owner: str, window, end, out: dict[int, BroadcastStats]) -> None:
    """The most viewers any sample taken during the session saw: Stats API readings and the Affiliate API
    rows of the owner's own room both count everyone in the room, each every few minutes."""
    stats = (
        select(BroadcastSession.id.label("sid"), OwnerStatsSample.num_viewers.label("viewers"))
        .select_from(BroadcastSession)
        .join(
            OwnerStatsSample,
            and_(OwnerStatsSample.observed_at >= BroadcastSession.started_at, OwnerStatsSample.observed_at <= end),
        )
        .where(window)
    )
    rooms = (
        select(BroadcastSession.id.label("sid"), AffiliateSnapshot.num_users.label("viewers"))
        .select_from(BroadcastSession)
        .join(
            AffiliateSnapshot,
            and_(
                AffiliateSnapshot.person_id == _owner_id(owner),
                AffiliateSnapshot.observed_at >= BroadcastSession.started_at,
                AffiliateSnapshot.observed_at <= end,
            ),
        )
        .where(window)
    )
    samples = union_all(stats, rooms).subquery("samples")
    stmt = select(samples.c.sid, func.max(samples.c.viewers)).group_by(samples.c.sid)
    for sid, peak in session.execute(stmt):
        out[sid].peak_viewers = peak


def _add_follower_changes(session: Session, out: dict[int, BroadcastStats], as_of: datetime) -> None:
    """Followers gained and lost during each session, by name, from the follow history (1 query)."""
    # One constant range per session, not a join on the sessions: PostgreSQL estimates constant ranges
    # well (index range scans, person lookups by id), while its guess for a range join is a hundred times
    # too large and makes it scan every person.
    windows = sorted((b.started_at, b.ended_at or as_of, b.id) for b in out.values())
    in_any = or_(*[FollowEvent.observed_at.between(scope.at(start), scope.at(end)) for start, end, _ in windows])
    stmt = (
        select(FollowEvent.action, FollowEvent.observed_at, Person.username)
        .join(Person, Person.id == FollowEvent.person_id)
        .where(FollowEvent.direction == "follower", in_any, Person.is_excluded == false())
        .order_by(FollowEvent.observed_at, FollowEvent.id)
    )
    starts = [start for start, _, _ in windows]
    for action, at, username in session.execute(stmt):
        # Sessions never overlap (segments closer than the gap join one session): the last one started
        # by then holds the change. A change on a shared boundary belongs to the later session.
        start, end, sid = windows[bisect_right(starts, at) - 1]
        if at <= end:
            (out[sid].gained if action == "follow" else out[sid].lost).append(FollowerChange(username, at))


def top_by_net(broadcasts: list[BroadcastStats], limit: int = 5) -> list[BroadcastStats]:
    """The broadcasts with the most net followers (newest first among equals)."""
    return sorted(broadcasts, key=lambda b: (-b.net, -b.started_at.timestamp()))[:limit]


# ----------------------------------------------------------------------------------------- the page


@dataclass
class OwnerAnalytics:
    """The Hudson page's "where followers come from" sections."""

    timezone: str
    broadcasts: list[BroadcastStats]
    top: list[BroadcastStats]
    heatmap: Heatmap
    cohorts: list[Cohort]

    @property
    def zone(self) -> ZoneInfo:
        """The owner's time zone, for showing times."""
        return ZoneInfo(self.timezone)


def build(session: Session, owner: str, timezone: str, as_of: datetime, days: int = 90) -> OwnerAnalytics:
    """Broadcasts of the last `days` days with the top ones by net followers, the heatmap over the same days
    and twelve monthly retention cohorts (6 queries)."""
    broadcasts = broadcast_stats(session, owner, as_of, since=as_of - timedelta(days=days))
    return OwnerAnalytics(
        timezone=timezone,
        broadcasts=broadcasts,
        top=top_by_net(broadcasts),
        heatmap=activity_heatmap(session, owner, timezone, as_of, days),
        cohorts=retention_cohorts(session, timezone, as_of),
    )
