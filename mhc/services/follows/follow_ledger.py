"""The follow ledger: reconcile complete observed lists and single observations with the follow state.

Rules, per direction (`following`: whom the owner follows; `follower`: who follows the owner):

- a person in a complete list who is not marked becomes marked; `*_since` is set only if it was never
  set (the first date is kept); `unfollowed_at`/`unfollower_at` is cleared; a `follow` history row is written;
- a marked person missing from a complete list is unmarked at T with an `unfollow` history row;
- unknown usernames become persons (following → MODEL, follower → VIEWER; the other one seen → BOTH);
- applying the same observation again changes nothing and writes no history;
- an observation older than the newest recorded state of that person and direction (a history row or
  the last complete list that confirmed it, `*_checked_at`) does not undo it;
- a list read with no count to check it against (`pending_after` given) does not unmark a missing person at
  once: the person becomes pending (`follow_pending`) and is unmarked only when a list at least
  `pending_after` later still misses them; any list that names a pending person clears the row;
- an unfollow is recorded at the first list that missed the person (its pending time, else this list's);
- a complete list that is empty, or would unmark half or more of the current set, or more than
  MASS_REMOVAL_SHARE (and more than MASS_REMOVAL_MIN) of it, is not applied unless confirmed: the result
  says `held` (docs/reliability.md, "Follow lists: removals must be proven").

Complete lists are applied set-based in one transaction (the statements: list_apply.py); single
observations one by one, in order (observations.py). Inputs, results and errors: ledger_types.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy import select
from sqlalchemy.orm import Session

from mhc.models import FollowPending, Person, Profile, normalise_username, utcnow
from mhc.services.alerts import firing as alert_firing
from mhc.services.alerts import outbox as alert_outbox
from mhc.services.follows.direction import Columns
from mhc.services.follows.ledger_types import (
    COLUMNS,
    DIRECTIONS,
    SOURCES,
    ApplyResult,
    FollowListError,
    FollowObservation,
    NamesPage,
    NamesQuery,
)
from mhc.services.follows.list_apply import ListApply
from mhc.services.follows.observations import apply_observations

__all__ = [
    "COLUMNS",
    "DIRECTIONS",
    "SOURCES",
    "ApplyResult",
    "FollowListError",
    "FollowObservation",
    "MassRemovalGuard",
    "PendingPerson",
    "apply_follow_list",
    "apply_observations",
    "confirmation_needed",
    "normalise_names",
    "pending_persons",
    "preview_follow_list",
    "preview_with_names",
]

DEFAULT_SHARE, DEFAULT_MIN = 0.20, 10


@dataclass(frozen=True)
class MassRemovalGuard:
    """When a complete list needs an explicit confirmation (config MASS_REMOVAL_SHARE / MASS_REMOVAL_MIN)."""

    share: float = DEFAULT_SHARE
    minimum: int = DEFAULT_MIN


# --------------------------------------------------------------------------------------------- lists


# A list apply that meets another writer creating the same new persons (an Events batch, an Affiliate cycle,
# another import) loads the list again, now finding them, instead of failing: so far it has only created
# persons, which the new load sees as existing.
RACE_RETRIES = 2


def apply_follow_list(
    session: Session,
    direction: str,
    usernames,
    observed_at: datetime,
    source: str,
    run_id=None,
    confirm_mass_removal: bool = False,
    pending_after: timedelta | None = None,
    guard: MassRemovalGuard = MassRemovalGuard(),
) -> ApplyResult:
    """Reconcile one complete observed list at `observed_at`; one transaction, set-based, idempotent.

    `pending_after` marks a list read with no count to check it against: missing persons wait as pending."""
    cols, names = _check(direction, usernames, observed_at, source)
    session.flush()
    sql = ListApply(session, cols, direction, observed_at, pending_after)
    try:
        created = 0
        for _attempt in range(RACE_RETRIES + 1):
            sql.load(names)
            result = sql.plan(len(names))
            reason = confirmation_needed(result, guard)
            if reason and not confirm_mass_removal:
                result.held, result.applied, result.reason = True, False, reason
                sql.drop()
                session.rollback()
                return result
            inserted, complete = sql.create_persons()
            created += inserted
            if complete:
                break
        else:
            raise FollowListError("other writers kept creating the same persons; nothing was applied: run it again")
        result.created = created
        sql.merge_roles()
        sql.create_profiles()
        result.added = sql.mark_listed(source, run_id)  # the same rows the plan counted
        sql.confirm_listed()
        result.removed = sql.unmark_missing(source, run_id)
        sql.settle_pending(run_id)
        # Alerts read who changed from the apply's own table, in this transaction (docs/alerts.md#when-rules-fire).
        alerts = (
            alert_firing.on_list_apply(session, direction, sql.changed, observed_at)
            if result.added or result.removed
            else 0
        )
        sql.drop()
        session.commit()
    except Exception:
        session.rollback()
        raise
    session.expire_all()
    if alerts:
        alert_outbox.dispatch()
    return result


def preview_follow_list(
    session: Session,
    direction: str,
    usernames,
    observed_at: datetime | None = None,
    pending_after: timedelta | None = None,
    guard: MassRemovalGuard = MassRemovalGuard(),
) -> ApplyResult:
    """The counts applying this complete list would give, and whether the guard would hold it; writes nothing."""
    return preview_with_names(session, direction, usernames, None, observed_at, pending_after, guard)[0]


def preview_with_names(
    session: Session,
    direction: str,
    usernames,
    query: NamesQuery | None,
    observed_at: datetime | None = None,
    pending_after: timedelta | None = None,
    guard: MassRemovalGuard = MassRemovalGuard(),
) -> tuple[ApplyResult, dict[str, NamesPage]]:
    """The preview's counts and, for `query`, a page of names per group, both from the one plan; writes nothing."""
    observed_at = observed_at or utcnow()
    cols, names = _check(direction, usernames, observed_at, "manual_import")
    session.flush()
    sql = ListApply(session, cols, direction, observed_at, pending_after)
    pages: dict[str, NamesPage] = {}
    try:
        sql.load(names)
        result = sql.plan(len(names))
        result.reason = confirmation_needed(result, guard)
        result.held, result.applied = result.reason is not None, False
        if query is not None:
            pages = sql.group_names(query)
            result.created = sql.to_create()
        sql.drop()
    finally:
        session.rollback()
    return result, pages


def _check(direction: str, usernames, observed_at: datetime, source: str) -> tuple[Columns, list[str]]:
    if direction not in COLUMNS:
        raise FollowListError(f"unknown direction {direction!r} (following or follower)")
    if source not in SOURCES:
        raise FollowListError(f"unknown source {source!r}")
    if observed_at is None or observed_at.tzinfo is None:
        raise FollowListError("observed_at must be a timezone-aware time")
    names, bad = normalise_names(usernames)
    if bad:
        raise FollowListError(f"{len(bad)} invalid username(s), e.g. {bad[0]!r}")
    return COLUMNS[direction], names


def normalise_names(usernames) -> tuple[list[str], list[str]]:
    """(distinct lowercased valid usernames in first-seen order, invalid inputs)."""
    seen, bad = {}, []
    for raw in usernames:
        try:
            seen.setdefault(normalise_username(raw), None)
        except ValueError:
            bad.append(raw)
    return list(seen), bad


def confirmation_needed(result: ApplyResult, guard: MassRemovalGuard = MassRemovalGuard()) -> str | None:
    """Why applying this list needs an explicit confirmation (the mass-removal guard), or None."""
    removal = f"would mark {result.removed} of {result.current} as unfollowed"
    if result.listed == 0 and result.current:  # with nobody marked, an empty list changes nothing
        return f"the list is empty: {removal}; confirm to apply an empty list"
    if result.removed and 2 * result.removed >= result.current:
        return f"{removal} (half or more of them): confirm to apply"
    if result.removed > guard.minimum and result.removed > guard.share * result.current:
        return f"{removal} (more than {guard.share:.0%} and more than {guard.minimum}): confirm to apply"
    return None


@dataclass(frozen=True)
class PendingPerson:
    """A marked person a list with no count missed: not unfollowed until a later read proves it."""

    username: str
    direction: str
    first_missed_at: datetime


def pending_persons(session: Session, limit: int = 500) -> list[PendingPerson]:
    """Persons still marked in a direction and pending there, by direction and username."""
    marked = sa.or_(
        sa.and_(FollowPending.direction == "follower", Profile.follower.is_(True)),
        sa.and_(FollowPending.direction == "following", Profile.following.is_(True)),
    )
    stmt = (
        select(Person.username, FollowPending.direction, FollowPending.first_missed_at)
        .join(Person, Person.id == FollowPending.person_id)
        .join(Profile, Profile.person_id == Person.id)
        .where(marked)
        .order_by(FollowPending.direction, Person.username)
        .limit(limit)
    )
    return [PendingPerson(*row) for row in session.execute(stmt)]
