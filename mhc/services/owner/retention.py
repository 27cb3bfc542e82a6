"""Follower retention cohorts: of the followers gained in each local calendar month, how many still followed
30, 60 and 90 days after their first follow that month (docs/domain.md#where-followers-come-from), read
from the follow periods the database keeps (docs/domain.md#follow-periods-table)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, func, literal_column, or_, select, union_all
from sqlalchemy.orm import Session

from mhc import sqlcompat
from mhc.models import FollowEvent, FollowPeriod
from mhc.services.owner import local_time
from mhc.services.owner.scope import at, kept

HORIZONS = (30, 60, 90)  # days after a follow at which retention is read
DAY = 86400


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
        kept_n = self.retained[horizon]
        return None if kept_n is None or not self.gained else 100.0 * kept_n / self.gained


def retention_cohorts(
    session: Session, timezone: str, as_of: datetime, months: int = 12, *, periods: bool = True
) -> list[Cohort]:
    """Monthly cohorts of followers gained (oldest first, from the first month with any), each with the
    number still following 30, 60 and 90 days after their first follow that month (1 query).

    `periods=False` pairs every follower's rows in the history instead (the same numbers, slower: the bench's
    baseline)."""
    bounds = local_time.month_starts(timezone, as_of, months)
    found = (_from_periods if periods else _from_history)(session, bounds, as_of, months)
    out = []
    for i in range(months):
        if not found.get(i, [0])[0] and not out:
            continue  # months before the first follower gained
        gained_n, *lost_n = found.get(i, [0] * (1 + len(HORIZONS)))
        matured = {h: bounds[i + 1] + timedelta(days=h) <= as_of for h in HORIZONS}
        label = bounds[i].astimezone(ZoneInfo(timezone)).strftime("%Y-%m")
        retained = {h: gained_n - n if matured[h] else None for h, n in zip(HORIZONS, lost_n, strict=True)}
        out.append(Cohort(label, bounds[i], bounds[i + 1], gained_n, retained))
    return out


def retention_points(cohorts: list[Cohort], horizon: int = 30) -> list[tuple[str, float]]:
    """(month, percent still following after `horizon` days) of the cohorts old enough, for the chart."""
    return [(c.month, round(c.share(horizon), 1)) for c in cohorts if c.share(horizon) is not None]


def _cohort_of(value, bounds: list, months: int):
    return case(*[(value < b, i) for i, b in enumerate(bounds[1:-1])], else_=months - 1)


def _totals_by_cohort(session: Session, parts: list) -> dict[int, list[int]]:
    """Sum (cohort, gained, l30, l60, l90) parts per cohort."""
    both = union_all(*parts).subquery("both_")
    sums = [func.sum(both.c[n]) for n in ("gained", *(f"l{h}" for h in HORIZONS))]
    stmt = select(both.c.cohort, *sums).group_by(both.c.cohort)
    return {row[0]: [int(n or 0) for n in row[1:]] for row in session.execute(stmt)}


def _from_periods(session: Session, bounds: list[datetime], as_of: datetime, months: int) -> dict[int, list[int]]:
    """Per cohort: members and losses from the follow periods (docs/domain.md#follow-periods-table), one row
    per member: the period that began with a follower's first follow of its month (its previous period
    began in an earlier month, or there is none).

    At t0 + h a member has left when their period ended by then and they had not come back by then. Those
    who had come back by then (a re-follow within 90 days: a few percent) are counted by a second part,
    which reads their later periods to see whether one covers t0 + h."""
    p = FollowPeriod.__table__
    moments = [at(b) for b in bounds]
    month_start = case(*[(p.c.started_at < b, moments[i]) for i, b in enumerate(moments[1:-1])], else_=moments[-2])
    members = and_(
        p.c.direction == "follower",
        p.c.started_at >= moments[0],
        p.c.started_at <= at(as_of),
        or_(p.c.previous_started_at.is_(None), p.c.previous_started_at < month_start),
        kept(p.c.person_id),
    )
    cohort = _cohort_of(p.c.started_at, moments, months).label("cohort")
    gone = [_gone_unless_back(p, h * DAY).label(f"l{h}") for h in HORIZONS]
    everyone = select(cohort, literal_column("1").label("gained"), *gone).where(members)
    return _totals_by_cohort(session, [everyone, _came_back(p, cohort, members)])


def _gone_unless_back(p, seconds: int):
    """1 when the period ended within `seconds` of its start and the person had not come back by then."""
    ended = and_(p.c.lasted_seconds.is_not(None), p.c.lasted_seconds <= seconds)
    return case((and_(ended, or_(p.c.back_after_seconds.is_(None), p.c.back_after_seconds > seconds)), 1), else_=0)


def _came_back(p, cohort, members):
    """(cohort, 0, l30, l60, l90) for the members who came back within 90 days: lost at a horizon when they
    had come back by then (so the first part counted nothing) and none of their later periods begun by then
    covers that moment (they left again)."""
    q = FollowPeriod.__table__.alias("later")
    start = sqlcompat.epoch_seconds(p.c.started_at)
    since_start = sqlcompat.epoch_seconds(q.c.started_at) - start
    until = sqlcompat.epoch_seconds(q.c.ended_at) - start

    def lost(seconds: int):
        covers = and_(since_start <= seconds, or_(q.c.ended_at.is_(None), until > seconds))
        back = and_(p.c.lasted_seconds <= seconds, p.c.back_after_seconds <= seconds)
        return case((back, 1 - func.max(case((covers, 1), else_=0))), else_=0).label(f"l{seconds // DAY}")

    later = and_(q.c.person_id == p.c.person_id, q.c.direction == p.c.direction, q.c.started_at > p.c.started_at)
    return (
        select(cohort, literal_column("0").label("gained"), *[lost(h * DAY) for h in HORIZONS])
        .select_from(p.join(q, later))
        .where(members, p.c.back_after_seconds <= max(HORIZONS) * DAY, since_start <= max(HORIZONS) * DAY)
        .group_by(p.c.id, p.c.started_at, p.c.lasted_seconds, p.c.back_after_seconds)
    )


def _from_history(session: Session, bounds: list[datetime], as_of: datetime, months: int) -> dict[int, list[int]]:
    """Per cohort: members and losses, every follower counted from their rows."""
    return _totals_by_cohort(session, [_counted_from_rows(FollowEvent.__table__, bounds, as_of, months)])


def _counted_from_rows(rows, bounds: list[datetime], as_of: datetime, months: int):
    """(cohort, gained, l30, l60, l90) per cohort from follower rows (`follow_events` or a part of it): the
    members (person, cohort) with their first follow that month, t0, and the losses of those with a change
    after it."""
    cohort = _cohort_of(rows.c.observed_at, [at(b) for b in bounds], months)
    gained = (
        select(rows.c.person_id, cohort.label("cohort"), rows.c.observed_at.label("at"))
        .where(
            rows.c.direction == "follower",
            rows.c.action == "follow",
            rows.c.observed_at >= at(bounds[0]),
            rows.c.observed_at <= at(as_of),
            kept(rows.c.person_id),
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
    lost = _lost_per_member(rows, members, as_of).subquery("lost")
    lost_sums = [func.sum(lost.c[f"l{h}"]).label(f"l{h}") for h in HORIZONS]
    losses = select(lost.c.cohort, literal_column("0").label("gained"), *lost_sums).group_by(lost.c.cohort)
    return union_all(sizes, losses).subquery("counted").select()


def _lost_per_member(rows, members, as_of: datetime):
    """Per cohort member with any follower change after t0: l30/l60/l90 = 1 when their newest change up to
    t0 + horizon is an unfollow, else 0. Members with no later change are still following (and never read
    here, which keeps this join small); a re-follow before the horizon counts as still following."""
    later = rows.alias("later")
    # Whole seconds as integers: cheaper per row than PostgreSQL's numeric interval arithmetic.
    seconds = sqlcompat.epoch_seconds(later.c.observed_at) - sqlcompat.epoch_seconds(members.c.t0)
    columns = []
    for h in HORIZONS:
        inside = seconds <= h * 86400

        def newest(action, inside=inside):
            return func.max(case((and_(later.c.action == action, inside), later.c.observed_at)))

        unfollow, follow = newest("unfollow"), newest("follow")
        gone = and_(unfollow.is_not(None), or_(follow.is_(None), follow < unfollow))
        columns.append(case((gone, 1), else_=0).label(f"l{h}"))
    return (
        select(members.c.cohort, *columns)
        .select_from(members)
        .join(
            later,
            and_(
                later.c.person_id == members.c.person_id,
                later.c.direction == "follower",
                later.c.observed_at > members.c.t0,
                later.c.observed_at <= at(as_of),
                seconds <= max(HORIZONS) * 86400,
            ),
        )
        .group_by(members.c.person_id, members.c.cohort)
    )
