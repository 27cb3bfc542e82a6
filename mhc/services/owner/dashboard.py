"""The owner's dashboard: followers over time, growth, broadcasts and sessions, top tippers.

Read-only: every function here only SELECTs, so viewing the page never changes data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from mhc.models import FollowEvent, Interaction, JobRun, Person
from mhc.models.owner import BroadcastSession, OwnerStatsSample
from mhc.services.follows import insights, unfollowers
from mhc.services.follows.insights import Insights


@dataclass(frozen=True)
class SessionSummary:
    """One broadcast session with what happened in the owner's room during it."""

    id: int
    started_at: datetime
    ended_at: datetime | None
    duration: timedelta
    segments: int
    tokens: int
    tips: int
    followers_gained: int
    peak_viewers: int | None

    @property
    def live(self) -> bool:
        """True while the session has no end."""
        return self.ended_at is None


@dataclass
class Dashboard:
    """Everything the owner page shows (charts come from their own JSON endpoints)."""

    as_of: datetime
    followers_now: int | None
    followers_observed_at: datetime | None
    tracked_followers: int
    new_followers: dict[int, int]
    unfollows: dict[int, int]
    latest_stats: OwnerStatsSample | None
    first_stats: OwnerStatsSample | None
    current_session: SessionSummary | None
    sessions: list[SessionSummary] = field(default_factory=list)
    top_tippers: list[tuple[str, int, int]] = field(default_factory=list)
    recent_follows: list[tuple[str, str, str, datetime]] = field(default_factory=list)
    syncs: dict[str, JobRun | None] = field(default_factory=dict)
    insights: Insights | None = None
    unfollowers: dict[int, unfollowers.Unfollowers] = field(default_factory=dict)  # unfollows vs persons, 7/30 d

    def net(self, days: int) -> int:
        """New followers minus unfollows over the last `days` days."""
        return self.new_followers[days] - self.unfollows[days]


def build(session: Session, owner: str, as_of: datetime) -> Dashboard:
    """Assemble the dashboard as of a moment (tests pass a fixed one)."""
    latest, first = _stats_ends(session)
    sessions = session_summaries(session, owner, as_of, since=as_of - timedelta(days=30))
    changes = {d: insights.follower_changes(session, as_of, d) for d in (7, 30)}
    return Dashboard(
        as_of=as_of,
        followers_now=latest.num_followers if latest else None,
        followers_observed_at=latest.observed_at if latest else None,
        tracked_followers=insights.followers_now(session),
        new_followers={d: follows for d, (follows, _) in changes.items()},
        unfollows={d: unfollows for d, (_, unfollows) in changes.items()},
        latest_stats=latest,
        first_stats=first,
        current_session=sessions[0] if sessions else _last_session(session, owner, as_of),
        sessions=sessions,
        top_tippers=top_tippers(session, owner, as_of - timedelta(days=30)),
        recent_follows=recent_follows(session),
        syncs={d: _last_sync(session, d) for d in ("following", "follower")},
        insights=_insights(session, as_of),
        unfollowers=unfollowers.unfollowers(session, as_of),
    )


def _stats_ends(session: Session) -> tuple[OwnerStatsSample | None, OwnerStatsSample | None]:
    order = OwnerStatsSample.observed_at
    latest = session.scalars(select(OwnerStatsSample).order_by(order.desc()).limit(1)).first()
    first = session.scalars(select(OwnerStatsSample).order_by(order).limit(1)).first()
    return latest, first


def session_summaries(session: Session, owner: str, as_of: datetime, since: datetime) -> list[SessionSummary]:
    """Sessions started since `since`, newest first, with tokens, follows and peak viewers (3 queries)."""
    rows = session.scalars(
        select(BroadcastSession)
        .where(BroadcastSession.started_at >= since, BroadcastSession.started_at <= as_of)
        .order_by(BroadcastSession.started_at.desc())
    ).all()
    return _summarise(session, owner, as_of, rows)


def _last_session(session: Session, owner: str, as_of: datetime) -> SessionSummary | None:
    row = session.scalars(
        select(BroadcastSession)
        .where(BroadcastSession.started_at <= as_of)
        .order_by(BroadcastSession.started_at.desc())
        .limit(1)
    ).first()
    return _summarise(session, owner, as_of, [row])[0] if row else None


def _summarise(session: Session, owner: str, as_of: datetime, rows: list) -> list[SessionSummary]:
    if not rows:
        return []
    ids = [r.id for r in rows]
    end = func.coalesce(BroadcastSession.ended_at, as_of)
    in_session = and_(
        BroadcastSession.id.in_(ids),
        Interaction.room == owner,
        Interaction.occurred_at >= BroadcastSession.started_at,
        Interaction.occurred_at <= end,
    )
    activity = session.execute(
        select(
            BroadcastSession.id,
            func.coalesce(func.sum(case((Interaction.type == "tip", Interaction.amount), else_=0)), 0),
            func.count(case((Interaction.type == "tip", 1))),
            func.count(case((Interaction.type == "follow", 1))),
        )
        .join(Interaction, in_session)
        .where(Interaction.type.in_(("tip", "follow")))
        .group_by(BroadcastSession.id)
    ).all()
    by_id = {sid: (int(tokens), tips, follows) for sid, tokens, tips, follows in activity}
    peaks = dict(
        session.execute(
            select(BroadcastSession.id, func.max(OwnerStatsSample.num_viewers))
            .join(
                OwnerStatsSample,
                and_(OwnerStatsSample.observed_at >= BroadcastSession.started_at, OwnerStatsSample.observed_at <= end),
            )
            .where(BroadcastSession.id.in_(ids))
            .group_by(BroadcastSession.id)
        ).all()
    )
    out = []
    for r in rows:
        tokens, tips, follows = by_id.get(r.id, (0, 0, 0))
        out.append(
            SessionSummary(
                id=r.id,
                started_at=r.started_at,
                ended_at=r.ended_at,
                duration=(r.ended_at or as_of) - r.started_at,
                segments=r.segments_count,
                tokens=tokens,
                tips=tips,
                followers_gained=follows,
                peak_viewers=peaks.get(r.id),
            )
        )
    return out


def top_tippers(session: Session, owner: str, since: datetime, limit: int = 10) -> list[tuple[str, int, int]]:
    """(username, tokens, tips) of the biggest tippers in the owner's room since a moment."""
    tokens = func.sum(Interaction.amount)
    stmt = (
        select(Interaction.from_username, tokens, func.count())
        .where(
            Interaction.type == "tip",
            Interaction.room == owner,
            Interaction.occurred_at >= since,
            Interaction.from_username.is_not(None),
            Interaction.from_username != owner,
        )
        .group_by(Interaction.from_username)
        .order_by(tokens.desc(), Interaction.from_username)
        .limit(limit)
    )
    return [(name, int(total or 0), count) for name, total, count in session.execute(stmt)]


def recent_follows(session: Session, limit: int = 20) -> list[tuple[str, str, str, datetime]]:
    """(username, action, source, observed_at) of the newest follower changes."""
    stmt = (
        select(Person.username, FollowEvent.action, FollowEvent.source, FollowEvent.observed_at)
        .join(Person, Person.id == FollowEvent.person_id)
        .where(FollowEvent.direction == "follower")
        .order_by(FollowEvent.observed_at.desc(), FollowEvent.id.desc())
        .limit(limit)
    )
    return [tuple(r) for r in session.execute(stmt)]


def _last_sync(session: Session, direction: str) -> JobRun | None:
    runs = session.scalars(
        select(JobRun).where(JobRun.kind == "follow_sync").order_by(JobRun.created_at.desc()).limit(20)
    ).all()
    return next((r for r in runs if (r.args or {}).get("direction") == direction), None)


def _insights(session: Session, as_of: datetime) -> Insights:
    return insights.unfollow_insights(session, as_of, 30)


def followers_series(session: Session) -> list[tuple[str, int]]:
    """Follower count over time: Stats API readings, else the running total of tracked follower changes."""
    points = session.execute(
        select(OwnerStatsSample.observed_at, OwnerStatsSample.num_followers)
        .where(OwnerStatsSample.num_followers.is_not(None))
        .order_by(OwnerStatsSample.observed_at)
    ).all()
    if points:
        return [(at.isoformat(), n) for at, n in points]
    total, out = 0, []
    for day, change in insights.daily_follower_changes(session, None):
        total += change
        out.append((day.isoformat(), total))
    return out


def net_follows_per_day(session: Session, as_of: datetime, days: int = 30) -> list[tuple[str, int]]:
    """Net follower change per day (follows − unfollows) for the last `days` days, zero-filled."""
    since = (as_of - timedelta(days=days - 1)).date()
    changes = dict(insights.daily_follower_changes(session, since))
    return [((since + timedelta(days=i)).isoformat(), changes.get(since + timedelta(days=i), 0)) for i in range(days)]


def session_tokens(session: Session, owner: str, as_of: datetime, days: int = 30) -> list[tuple[str, int]]:
    """Tokens per session for the chart, oldest first."""
    rows = session_summaries(session, owner, as_of, since=as_of - timedelta(days=days))
    return [(s.started_at.strftime("%Y-%m-%d %H:%M"), s.tokens) for s in reversed(rows)]
