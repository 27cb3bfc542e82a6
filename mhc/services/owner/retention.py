"""Follower retention cohorts: of the followers gained in each local calendar month, how many still followed
30, 60 and 90 days after their first follow that month (docs/domain.md#where-followers-come-from), read
from the totals the database keeps (docs/domain.md#hudson-totals)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, func, literal_column, or_, select, text, union, union_all
from sqlalchemy.orm import Session

from mhc import sqlcompat
from mhc.models import FollowerLossSlot, FollowerShape, FollowEvent, FollowSlot
from mhc.models.hudson import IRREGULAR
from mhc.services.owner import local_time
from mhc.services.owner.scope import at, excluded_ids, kept
from mhc.services.owner.totals import FOLLOW_SLOTS, FOLLOWER_LOSS_SLOTS, HORIZON_DAYS, SLOT_SECONDS, squared

HORIZONS = HORIZON_DAYS  # days after a follow at which retention is read


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
    session: Session, timezone: str, as_of: datetime, months: int = 12, *, totals: bool = True
) -> list[Cohort]:
    """Monthly cohorts of followers gained (oldest first, from the first month with any), each with the
    number still following 30, 60 and 90 days after their first follow that month (1 query).

    `totals=False` counts every follower from the history (the same numbers, slower: the bench's baseline)."""
    bounds = local_time.month_starts(timezone, as_of, months)
    if totals and all(b.timestamp() % SLOT_SECONDS == 0 for b in bounds):
        found = _from_totals(session, bounds, as_of, months)
    else:  # or a time zone whose midnights are not whole hours
        found = _from_history(session, bounds, as_of, months)
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


def _from_totals(session: Session, bounds: list[datetime], as_of: datetime, months: int) -> dict[int, list[int]]:
    """Per cohort: the totals of the hours from the first month's start to the one as_of is in, less
    what the irregular followers' rows added to them, plus those followers counted from their rows.

    Irregular: a history other than one follow optionally ended by one unfollow that records it (then the
    follow is the member's first of its month and the unfollow the only change that can end it), an
    excluded person, or a row at or after the start of as_of's hour (which the totals would count
    although it may lie after as_of)."""
    start, tail = int(bounds[0].timestamp()), math.floor(as_of.timestamp()) // SLOT_SECONDS * SLOT_SECONDS
    seconds = [int(b.timestamp()) for b in bounds]
    e, shapes = FollowEvent.__table__, FollowerShape.__table__
    late = select(e.c.person_id).where(
        e.c.direction == "follower", e.c.observed_at >= at(datetime.fromtimestamp(tail, UTC))
    )
    refollowed = _refollowed(shapes)
    irregular = union(select(shapes.c.person_id).where(text(IRREGULAR), ~refollowed), excluded_ids(), late)
    # Their rows, read once by person for both the subtraction and the count. None before the first month
    # counts: a member's follow and later changes are in it, and so is an unfollow whose period began in it.
    rows = (
        select(e.c.person_id, e.c.direction, e.c.action, e.c.observed_at, e.c.period_started_at)
        .where(e.c.direction == "follower", e.c.person_id.in_(irregular), e.c.observed_at >= at(bounds[0]))
        .cte("irregular_rows")
    )
    zero = literal_column("0")
    gained = select(
        _cohort_of(FollowSlot.slot, seconds, months).label("cohort"),
        FollowSlot.follows.label("gained"),
        *[zero.label(f"l{h}") for h in HORIZONS],
    ).where(FollowSlot.direction == "follower", FollowSlot.slot >= start, FollowSlot.slot < tail)
    losses = FollowerLossSlot.__table__
    lost = select(
        _cohort_of(losses.c.slot, seconds, months).label("cohort"),
        zero.label("gained"),
        *[losses.c[f"ended_{h}"].label(f"l{h}") for h in HORIZONS],
    ).where(losses.c.slot >= start, losses.c.slot < tail)
    moments = [at(b) for b in bounds]
    in_totals = _in_totals(rows, moments, at(datetime.fromtimestamp(tail, UTC)), months)
    parts = [gained, lost, *in_totals, _counted_from_rows(rows, bounds, as_of, months)]
    shortcut = and_(text(IRREGULAR), refollowed, shapes.c.person_id.not_in(excluded_ids()))
    not_late = shapes.c.person_id.not_in(late)
    parts.append(_refollow_corrections(shapes, shortcut, not_late, seconds=seconds, months=months))
    return _totals_by_cohort(session, parts)


def _refollowed(shapes):
    """A follower history of exactly a follow at a, an unfollow at u recording a, and a follow at b, with
    a < u < b to the second: the sums give each moment back (a is the recorded start, b the other follow;
    the squares prove the follows are a and b)."""
    a, u = shapes.c.period_seconds, shapes.c.unfollow_seconds
    b = shapes.c.follow_seconds - a
    return and_(
        shapes.c.follows == 2,
        shapes.c.unfollows == 1,
        shapes.c.unrecorded == 0,
        a < u,
        u < b,
        squared(a) + squared(b) == shapes.c.follow_squares,
    )


def _refollow_corrections(shapes, *where, seconds: list[int], months: int):
    """For those followers, what the cohorts from their rows differ by from the totals read, per cohort of
    their first follow a: the totals count the second follow b as a member too, where the rows do not when
    b is in a's month; and they count the unfollow as a loss at each horizon, where the rows do not when b
    came back before it (b − a within the horizon). Only when a is at or after the first month's start."""
    a = shapes.c.period_seconds
    b = shapes.c.follow_seconds - a
    same_month = _cohort_of(a, seconds, months) == _cohort_of(b, seconds, months)
    return select(
        _cohort_of(a, seconds, months).label("cohort"),
        (-case((same_month, 1), else_=0)).label("gained"),
        *[(-case((b - a <= h * 86400, 1), else_=0)).label(f"l{h}") for h in HORIZONS],
    ).where(*where, a >= seconds[0])


def _in_totals(rows, bounds: list[datetime], tail: datetime, months: int) -> list:
    """What these follower rows added to the totals read, negated: the totals' own sums, by the moment
    their key is the hour of (the hour of a moment is in [b, c) when the moment is, for whole hours b, c)."""
    zero = literal_column("0")
    gained = select(
        _cohort_of(rows.c.observed_at, bounds, months).label("cohort"),
        (-FOLLOW_SLOTS.sums(rows)["follows"]).label("gained"),
        *[zero.label(f"l{h}") for h in HORIZONS],
    ).where(rows.c.observed_at >= bounds[0], rows.c.observed_at < tail)
    started, ended = rows.c.period_started_at, FOLLOWER_LOSS_SLOTS.sums(rows)
    lost = select(
        _cohort_of(started, bounds, months).label("cohort"),
        zero.label("gained"),
        *[(-ended[f"ended_{h}"]).label(f"l{h}") for h in HORIZONS],
    ).where(FOLLOWER_LOSS_SLOTS.where(rows), started >= bounds[0], started < tail)
    return [gained, lost]


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
