"""Where followers come from: numbers per broadcast, a weekday × hour heatmap, follower retention by month.

Read-only: every function here only SELECTs. Each takes the moment it answers for (`as_of`) and, where
calendars matter, the owner's time zone, so tests pass fixed ones; each runs a fixed number of set-based
queries whatever the number of broadcasts, follows or tips. How every number is computed and from which
table: docs/domain.md#where-followers-come-from.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, distinct, false, func, literal, literal_column, or_, select, true, union_all
from sqlalchemy.orm import Session, aliased

from mhc import sqlcompat
from mhc.models import PLATFORM, AffiliateSnapshot, FollowEvent, Interaction, Person
from mhc.models.owner import BroadcastSession, OwnerStatsSample
from mhc.models.types import UTCDateTime
from mhc.services.owner import local_time

HORIZONS = (30, 60, 90)  # days after a follow at which retention is read
HEATMAP_KINDS = ("follows", "unfollows", "tips")
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _kept(person_id):
    """Rows of excluded persons (noise accounts) count nowhere in aggregates (docs/domain.md#excluded-persons).

    NOT IN over the few excluded ids (a partial index lists them) is one hashed lookup per row; rows
    without a person are kept."""
    excluded = select(Person.id).where(Person.is_excluded == true())
    return or_(person_id.is_(None), person_id.not_in(excluded))


def _owner_id(owner: str):
    return select(Person.id).where(Person.username == owner, Person.platform == PLATFORM).scalar_subquery()


def _at(moment: datetime):
    return literal(moment, UTCDateTime())


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
    end = func.coalesce(BroadcastSession.ended_at, _at(as_of))
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
        Interaction.occurred_at.between(_at(bounds[0]), _at(bounds[1])),
    )
    kept = _kept(Interaction.person_id)
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
    in_any = or_(*[FollowEvent.observed_at.between(_at(start), _at(end)) for start, end, _ in windows])
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


# ----------------------------------------------------------------------------------------- heatmap


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


def activity_heatmap(session: Session, owner: str, timezone: str, as_of: datetime, days: int = 90) -> Heatmap:
    """Follower follows/unfollows and tips in the owner's room over (as_of − days, as_of], by local weekday
    and hour (2 queries of at most 168 rows per kind)."""
    since = as_of - timedelta(days=days)
    spans = local_time.utc_offsets(timezone, since, as_of)
    follows = select(
        FollowEvent.action.label("kind"), local_time.hour_of_week(FollowEvent.observed_at, spans).label("how")
    ).where(
        FollowEvent.direction == "follower",
        FollowEvent.observed_at > _at(since),
        FollowEvent.observed_at <= _at(as_of),
        _kept(FollowEvent.person_id),
    )
    tips = select(
        literal("tip").label("kind"), local_time.hour_of_week(Interaction.occurred_at, spans).label("how")
    ).where(
        Interaction.type == "tip",
        Interaction.room == owner,
        Interaction.occurred_at > _at(since),
        Interaction.occurred_at <= _at(as_of),
        _kept(Interaction.person_id),
    )
    grids = {kind: [[0] * 24 for _ in WEEKDAYS] for kind in HEATMAP_KINDS}
    names = {"follow": "follows", "unfollow": "unfollows", "tip": "tips"}
    for rows in (follows.subquery("f"), tips.subquery("t")):
        for kind, how, n in session.execute(select(rows.c.kind, rows.c.how, func.count()).group_by(*rows.c)):
            grids[names[kind]][how // 24][how % 24] += n
    return Heatmap(timezone=timezone, since=since, as_of=as_of, grids=grids)


# ----------------------------------------------------------------------------------------- retention


@dataclass(frozen=True)
class Cohort:
    """The followers gained in one local calendar month and how many still followed after each horizon."""

    month: str  # YYYY-MM in the owner's time zone
    starts_at: datetime
    ends_at: datetime
    gained: int
    retained: dict[int, int | None]  # horizon days -> still following; None while the cohort is too young

    def share(self, horizon: int) -> float | None:
        """Percent of the cohort still following after `horizon` days; None when too young or empty."""
        kept = self.retained[horizon]
        return None if kept is None or not self.gained else 100.0 * kept / self.gained


def retention_cohorts(session: Session, timezone: str, as_of: datetime, months: int = 12) -> list[Cohort]:
    """Monthly cohorts of followers gained (oldest first, from the first month with any), each with the
    number still following 30, 60 and 90 days after their first follow that month (1 query)."""
    bounds = local_time.month_starts(timezone, as_of, months)
    cohort = case(*[(FollowEvent.observed_at < _at(b), i) for i, b in enumerate(bounds[1:-1])], else_=months - 1)
    gained = (
        select(FollowEvent.person_id, cohort.label("cohort"), FollowEvent.observed_at.label("at"))
        .where(
            FollowEvent.direction == "follower",
            FollowEvent.action == "follow",
            FollowEvent.observed_at >= _at(bounds[0]),
            FollowEvent.observed_at <= _at(as_of),
            _kept(FollowEvent.person_id),
        )
        .subquery("gained")
    )
    members = (
        select(gained.c.person_id, gained.c.cohort, func.min(gained.c.at).label("t0"))
        .group_by(gained.c.person_id, gained.c.cohort)
        .cte("members")
    )
    zeros = [literal_column("0").label(f"l{h}") for h in HORIZONS]
    sizes = select(members.c.cohort, func.count().label("gained"), *zeros).group_by(members.c.cohort)
    lost = _lost_per_member(members, as_of).subquery("lost")
    lost_sums = [func.sum(lost.c[f"l{h}"]).label(f"l{h}") for h in HORIZONS]
    losses = select(lost.c.cohort, literal_column("0").label("gained"), *lost_sums).group_by(lost.c.cohort)
    both = union_all(sizes, losses).subquery("both_")
    stmt = select(both.c.cohort, func.sum(both.c.gained), *[func.sum(both.c[f"l{h}"]) for h in HORIZONS]).group_by(
        both.c.cohort
    )
    found = {row[0]: [int(n or 0) for n in row[1:]] for row in session.execute(stmt)}
    out = []
    for i in range(months):
        if i not in found and not out:
            continue  # months before the first follower gained
        gained_n, *lost_n = found.get(i, [0] * (1 + len(HORIZONS)))
        matured = {h: bounds[i + 1] + timedelta(days=h) <= as_of for h in HORIZONS}
        label = bounds[i].astimezone(ZoneInfo(timezone)).strftime("%Y-%m")
        retained = {h: gained_n - n if matured[h] else None for h, n in zip(HORIZONS, lost_n, strict=True)}
        out.append(Cohort(label, bounds[i], bounds[i + 1], gained_n, retained))
    return out


def _lost_per_member(members, as_of: datetime):
    """Per cohort member with any follower change after t0: l30/l60/l90 = 1 when their newest change up to
    t0 + horizon is an unfollow, else 0. Members with no later change are still following (and never read
    here, which keeps this join small); a re-follow before the horizon counts as still following."""
    later = aliased(FollowEvent)
    # Whole seconds as integers: cheaper per row than PostgreSQL's numeric interval arithmetic.
    seconds = sqlcompat.epoch_seconds(later.observed_at) - sqlcompat.epoch_seconds(members.c.t0)
    columns = []
    for h in HORIZONS:
        inside = seconds <= h * 86400

        def newest(action, inside=inside):
            return func.max(case((and_(later.action == action, inside), later.observed_at)))

        unfollow, follow = newest("unfollow"), newest("follow")
        gone = and_(unfollow.is_not(None), or_(follow.is_(None), follow < unfollow))
        columns.append(case((gone, 1), else_=0).label(f"l{h}"))
    return (
        select(members.c.cohort, *columns)
        .select_from(members)
        .join(
            later,
            and_(
                later.person_id == members.c.person_id,
                later.direction == "follower",
                later.observed_at > members.c.t0,
                later.observed_at <= _at(as_of),
                seconds <= max(HORIZONS) * 86400,
            ),
        )
        .group_by(members.c.person_id, members.c.cohort)
    )


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
    and twelve monthly retention cohorts (7 queries)."""
    broadcasts = broadcast_stats(session, owner, as_of, since=as_of - timedelta(days=days))
    return OwnerAnalytics(
        timezone=timezone,
        broadcasts=broadcasts,
        top=top_by_net(broadcasts),
        heatmap=activity_heatmap(session, owner, timezone, as_of, days),
        cohorts=retention_cohorts(session, timezone, as_of),
    )


def retention_points(cohorts: list[Cohort], horizon: int = 30) -> list[tuple[str, float]]:
    """(month, percent still following after `horizon` days) of the cohorts old enough, for the chart."""
    return [(c.month, round(c.share(horizon), 1)) for c in cohorts if c.share(horizon) is not None]
