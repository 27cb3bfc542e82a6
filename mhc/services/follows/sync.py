"""One path for a complete follow list that needs a yes: read -> hold (or preview) -> apply.

A manual import (saved pages or pasted names, from the panel or the CLI) and a list a sync read but the
mass-removal guard held both become a held list row (held_lists): the list stays on the server, and a
confirmation carries only the row's id and its fingerprint. `apply` re-validates at that moment: the row
must exist, be unapplied and unexpired, and its fingerprint must still match both the list and the follow
state it was previewed against (a list applied, an event or a pending change since makes the counts shown
wrong). Anything else is refused with the reason and nothing changes (docs/reliability.md, "Follow lists:
removals must be proven"). The CLI's import has no page in between: `apply_now` keeps its row and applies
it in one transaction, through the same ledger apply.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mhc.models import FollowEvent, FollowPending, HeldFollowList, Profile, utcnow
from mhc.services import audit
from mhc.services.follows import held_lists
from mhc.services.follows.direction import Direction
from mhc.services.follows.follow_import import ImportList, ImportSettings, follower_yardstick, read_import_files
from mhc.services.follows.follow_ledger import ApplyResult, MassRemovalGuard, apply_follow_list, preview_with_names
from mhc.services.follows.ledger_types import NamesPage, NamesQuery

PREVIEW_MAX_AGE = timedelta(hours=1)  # an import preview: the operator is looking at it now
HELD_MAX_AGE = timedelta(days=7)  # a held sync waits for an admin; an older read is better read again
SUMMARY_KEYS = ("added", "removed", "unchanged", "created", "ignored_older", "current", "pending")
SUMMARY_KEYS += ("pending_cleared", "applied")


class StalePreview(ValueError):
    """The held list cannot be applied as previewed (gone, applied, expired, changed); nothing changed."""


@dataclass(frozen=True)
class FollowSettings:
    """What the follow pipeline needs from the configuration; the caller (view, job, CLI) builds it."""

    owner: str
    tolerance: int = 2
    guard: MassRemovalGuard = field(default_factory=MassRemovalGuard)

    @classmethod
    def from_config(cls, config: Mapping) -> FollowSettings:
        """OWNER_USERNAME, FOLLOW_COUNT_TOLERANCE, MASS_REMOVAL_SHARE and MASS_REMOVAL_MIN."""
        guard = MassRemovalGuard(config["MASS_REMOVAL_SHARE"], config["MASS_REMOVAL_MIN"])
        return cls(config["OWNER_USERNAME"], config["FOLLOW_COUNT_TOLERANCE"], guard)


@dataclass(frozen=True)
class Held:
    """A list kept server-side: the id and fingerprint a confirmation must carry, and (for a preview) the
    counts applying it would give."""

    held_id: uuid.UUID
    fingerprint: str
    result: ApplyResult | None = None
    names: dict[str, NamesPage] = field(default_factory=dict)  # a page of names per group (NAME_GROUPS)


@dataclass(frozen=True)
class Review:
    """A held list not applied yet, as its page shows it: what applying it now would change, with names,
    and why it may not be applied any more (`stale`, None while it may)."""

    held: Held
    direction: Direction
    source: str
    run_id: uuid.UUID | None
    observed_at: datetime
    stale: str | None


def read_import(
    session: Session, files: list[tuple[str, str]], direction: Direction, settings: FollowSettings
) -> ImportList:
    """Read (filename, text) pairs as one complete list; followers pages are held to the follower count."""
    yardstick = follower_yardstick(session, settings.owner) if direction is Direction.FOLLOWER else (None, None)
    return read_import_files(files, direction, ImportSettings(settings.owner, settings.tolerance), yardstick)


def hold(
    session: Session,
    direction: Direction,
    usernames: list[str],
    observed_at: datetime,
    *,
    source: str,
    actor_id: uuid.UUID | None,
    max_age: timedelta,
    run_id: uuid.UUID | None = None,
    pending_after: timedelta | None = None,
) -> Held:
    """Keep a complete list server-side with the fingerprint of it and of the follow state now; one commit."""
    held_lists.forget_expired(session, utcnow())
    row = _keep(
        session,
        direction,
        usernames,
        observed_at,
        source=source,
        expires_at=utcnow() + max_age,
        actor_id=actor_id,
        run_id=run_id,
        pending_after=pending_after,
    )
    held = Held(row.id, row.fingerprint)
    session.commit()
    return held


def _keep(
    session: Session, direction: Direction, usernames: list[str], observed_at: datetime, *, source: str, **row
) -> HeldFollowList:
    """held_lists.add with the fingerprint of the list and of the follow state now (the caller commits);
    `row` holds add's other keywords (expires_at, actor_id, run_id, pending_after)."""
    pending_after = row.get("pending_after")
    minutes = None if pending_after is None else pending_after.total_seconds() / 60
    mark = _fingerprint(session, direction, source, observed_at, minutes, usernames)
    return held_lists.add(session, direction, usernames, observed_at, source=source, fingerprint=mark, **row)


def preview(
    session: Session,
    listed: ImportList,
    observed_at: datetime,
    *,
    actor_id: uuid.UUID | None,
    settings: FollowSettings,
    max_age: timedelta = PREVIEW_MAX_AGE,
    query: NamesQuery | None = None,
) -> Held:
    """What applying an imported list would change (with a page of names per group), kept server-side for
    `apply`; one commit."""
    result, names = preview_with_names(
        session, listed.direction, listed.usernames, query or NamesQuery(), observed_at, guard=settings.guard
    )
    held = hold(
        session,
        listed.direction,
        listed.usernames,
        observed_at,
        source="manual_import",
        actor_id=actor_id,
        max_age=max_age,
    )
    return Held(held.held_id, held.fingerprint, result, names)


def review(session: Session, held_id: uuid.UUID, query: NamesQuery, *, settings: FollowSettings) -> Review | None:
    """A held list not applied yet, previewed against the follow state now with one page of names per group
    (None when there is no such list); writes nothing, so its page can be paged and searched freely."""
    row = held_lists.load(session, held_id)
    if row is None or row.confirmed_at is not None:
        return None
    try:
        _check_fresh(session, row, row.fingerprint or "")
        stale = None
    except StalePreview as exc:
        stale = str(exc)
    direction, pending, observed_at = Direction(row.direction), row.pending_minutes, _aware(row.observed_at)
    kept = (row.id, row.fingerprint or "", row.source, row.run_id)  # the preview ends its transaction
    result, names = preview_with_names(
        session,
        direction,
        list(row.usernames),
        query,
        observed_at,
        None if pending is None else timedelta(minutes=pending),
        settings.guard,
    )
    return Review(Held(kept[0], kept[1], result, names), direction, kept[2], kept[3], observed_at, stale)


def apply(
    session: Session,
    held_id: uuid.UUID,
    fingerprint: str,
    *,
    actor_id: uuid.UUID | None,
    settings: FollowSettings,
    confirm_mass_removal: bool = False,
) -> ApplyResult:
    """Apply a held list if it is still exactly what was previewed, against the same follow state.

    StalePreview (nothing changed) otherwise. When the guard holds it (no confirmation given) nothing is
    applied and the list stays available; else it is marked confirmed in the apply's own transaction."""
    row = held_lists.load(session, held_id)
    try:
        _check_fresh(session, row, fingerprint)
        if not held_lists.claim(session, row.id, actor_id):
            raise StalePreview("this list was already applied; nothing changed")
        return _apply_held(session, row, settings.guard, confirm_mass_removal, actor_id)
    except Exception:
        session.rollback()
        raise


def apply_now(
    session: Session,
    listed: ImportList,
    observed_at: datetime,
    *,
    actor_id: uuid.UUID | None,
    settings: FollowSettings,
    confirm_mass_removal: bool = False,
) -> ApplyResult:
    """Apply an imported list at once, kept as a confirmed held list in the same transaction.

    For the CLI: the command is the confirmation and nobody saw counts that could go stale, so a list
    applied meanwhile by another import is no reason to refuse (the ledger orders observations)."""
    now = utcnow()
    row = _keep(
        session,
        listed.direction,
        listed.usernames,
        observed_at,
        source="manual_import",
        expires_at=now,
        actor_id=actor_id,
    )
    row.confirmed_at, row.confirmed_by_id = now, actor_id
    try:
        return _apply_held(session, row, settings.guard, confirm_mass_removal, actor_id)
    except Exception:
        session.rollback()
        raise


def _apply_held(session: Session, row: HeldFollowList, guard, confirm_mass_removal: bool, actor_id) -> ApplyResult:
    """The ledger apply of a held list whose confirmation is pending in this transaction: both commit
    together (with the audit row), or both roll back when the guard holds the list; then the counts are kept
    on the row."""
    held_id = row.id
    result = apply_follow_list(
        session,
        Direction(row.direction),
        list(row.usernames),
        _aware(row.observed_at),
        row.source,
        run_id=row.run_id,
        confirm_mass_removal=confirm_mass_removal,
        pending_after=None if row.pending_minutes is None else timedelta(minutes=row.pending_minutes),
        guard=guard,
    )
    if result.applied:
        held_lists.record_applied(session, held_id, summary(result))
        _audit_apply(session, row, result, actor_id)
        session.commit()
    return result


def _audit_apply(session: Session, row: HeldFollowList, result: ApplyResult, actor_id) -> None:
    """One audit row: a held sync's list confirmed (on its run) or an imported list applied (on the list)."""
    changes = {"direction": [None, row.direction], "added": [None, result.added], "removed": [None, result.removed]}
    if row.run_id is not None:
        target = {"action": "confirm_held", "object_type": "job_runs", "object_id": row.run_id}
        target["object_label"] = "follow_sync"
    else:
        target = {"action": "apply", "object_type": "held_follow_lists", "object_id": row.id}
        target["object_label"] = f"{row.direction} list"
    audit.record(session, actor_id=actor_id, changes=changes, **target)


def summary(result: ApplyResult) -> dict:
    """The counts of an apply as kept on a run and on a confirmed held list."""
    return {key: getattr(result, key) for key in SUMMARY_KEYS}


def _check_fresh(session: Session, row: HeldFollowList | None, fingerprint: str) -> None:
    """StalePreview with the reason the held list may not be applied now, if there is one."""
    if row is None:
        raise StalePreview("this list is no longer available; nothing changed: preview or sync it again")
    if row.confirmed_at is not None:
        raise StalePreview(f"this list was already applied at {_aware(row.confirmed_at):%Y-%m-%d %H:%M} UTC")
    if not row.fingerprint or not hmac.compare_digest(row.fingerprint, str(fingerprint or "")):
        raise StalePreview("the confirmation does not match this list; nothing changed: preview or sync it again")
    if row.expires_at is not None and _aware(row.expires_at) <= utcnow():
        raise StalePreview(f"this preview expired at {_aware(row.expires_at):%Y-%m-%d %H:%M} UTC; nothing changed")
    direction = Direction(row.direction)
    now = _fingerprint(session, direction, row.source, row.observed_at, row.pending_minutes, row.usernames)
    if not hmac.compare_digest(now, row.fingerprint):
        raise StalePreview(f"the {direction.label} list changed since this preview; nothing changed: preview it again")


def _fingerprint(session: Session, direction: Direction, source: str, observed_at, minutes, usernames) -> str:
    """SHA-256 of the list as it will be applied and of the direction's follow state now."""
    digest = hashlib.sha256()
    parts = (
        direction.value,
        source,
        _aware(observed_at).isoformat(),
        repr(minutes),
        *_ledger_state(session, direction),
    )
    for part in (*parts, "\n".join(usernames)):
        digest.update(str(part).encode())
        digest.update(b"\x00")
    return digest.hexdigest()


def _ledger_state(session: Session, direction: Direction) -> tuple:
    """What changes whenever this direction's follow state does (one statement): the newest history row,
    the newest complete-list confirmation, how many are marked, and the pending rows."""
    cols = direction.columns
    flag, checked = getattr(Profile, cols.flag), getattr(Profile, cols.checked)
    pending = FollowPending.direction == direction.value
    newest_event = select(FollowEvent.id).where(FollowEvent.direction == direction.value)
    stmt = select(
        newest_event.order_by(FollowEvent.id.desc()).limit(1).scalar_subquery(),
        select(func.max(checked)).scalar_subquery(),
        select(func.count()).select_from(Profile).where(flag.is_(True)).scalar_subquery(),
        select(func.count()).select_from(FollowPending).where(pending).scalar_subquery(),
        select(func.max(FollowPending.first_missed_at)).where(pending).scalar_subquery(),
    )
    return tuple(session.execute(stmt).one())


def _aware(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
