"""Complete follow lists waiting for an admin's yes, as rows: a manual import's preview, or a list a sync
read that the mass-removal guard held. Who confirmed one, when, and what it applied are kept on the row.

Storage only: services/follows/sync.py decides when a row may be applied (its fingerprint, expiry and
state) and owns the commits. A row in the database (not a file on the worker's disk), so any web node can
confirm it (docs/production.md, "Nothing on local disk")."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from mhc.models import HeldFollowList, SystemUser, utcnow
from mhc.services.follows.direction import Direction


@dataclass(frozen=True)
class Confirmation:
    """Who confirmed a held list, when, and the counts it applied."""

    confirmed_by: str | None
    confirmed_at: datetime
    applied: dict


@dataclass(frozen=True)
class Waiting:
    """A held list still waiting for its confirmation: what the confirm form carries."""

    held_id: uuid.UUID
    fingerprint: str | None


def add(
    session: Session,
    direction: Direction,
    usernames: list[str],
    observed_at: datetime,
    *,
    source: str,
    fingerprint: str,
    expires_at: datetime,
    actor_id: uuid.UUID | None,
    run_id: uuid.UUID | None = None,
    pending_after: timedelta | None = None,
) -> HeldFollowList:
    """Add a held list (a sync's under its run id); the caller commits."""
    row = HeldFollowList(
        id=run_id or uuid.uuid4(),
        run_id=run_id,
        source=source,
        direction=direction.value,
        observed_at=observed_at,
        usernames=list(usernames),
        pending_minutes=None if pending_after is None else pending_after.total_seconds() / 60,
        created_at=utcnow(),
        created_by_id=actor_id,
        expires_at=expires_at,
        fingerprint=fingerprint,
    )
    session.add(row)
    return row


def forget_expired(session: Session, now: datetime) -> int:
    """Delete import previews nobody applied before they expired (a sync's go with its run); the caller commits."""
    stmt = delete(HeldFollowList).where(
        HeldFollowList.run_id.is_(None), HeldFollowList.confirmed_at.is_(None), HeldFollowList.expires_at < now
    )
    return session.execute(stmt).rowcount


def load(session: Session, held_id: uuid.UUID) -> HeldFollowList | None:
    """The held list with this id (a sync's held list has its run's id)."""
    return session.get(HeldFollowList, held_id)


def claim(session: Session, held_id: uuid.UUID, actor_id: uuid.UUID | None) -> bool:
    """Mark the list confirmed by `actor_id` now, unless someone did already: True when this call did.

    One conditional UPDATE, so of two concurrent confirmations only one wins; the caller commits it
    together with the apply."""
    stmt = (
        update(HeldFollowList)
        .where(HeldFollowList.id == held_id, HeldFollowList.confirmed_at.is_(None))
        .values(confirmed_at=utcnow(), confirmed_by_id=actor_id)
        .execution_options(synchronize_session=False)
    )
    return session.execute(stmt).rowcount == 1


def record_applied(session: Session, held_id: uuid.UUID, applied: dict) -> None:
    """Keep the counts a confirmed list applied (the caller commits)."""
    session.execute(update(HeldFollowList).where(HeldFollowList.id == held_id).values(applied=applied))


def confirmations(session: Session, run_ids: list[uuid.UUID]) -> dict[uuid.UUID, Confirmation]:
    """Confirmed held lists among these runs, by run id (one query)."""
    if not run_ids:
        return {}
    stmt = (
        select(HeldFollowList.run_id, SystemUser.username, HeldFollowList.confirmed_at, HeldFollowList.applied)
        .outerjoin(SystemUser, SystemUser.id == HeldFollowList.confirmed_by_id)
        .where(HeldFollowList.run_id.in_(run_ids), HeldFollowList.confirmed_at.is_not(None))
    )
    return {run_id: Confirmation(name, at, applied or {}) for run_id, name, at, applied in session.execute(stmt)}


def waiting(session: Session, run_ids: list[uuid.UUID]) -> dict[uuid.UUID, Waiting]:
    """Held lists among these runs not confirmed yet, by run id (one query)."""
    if not run_ids:
        return {}
    stmt = select(HeldFollowList.run_id, HeldFollowList.id, HeldFollowList.fingerprint).where(
        HeldFollowList.run_id.in_(run_ids), HeldFollowList.confirmed_at.is_(None)
    )
    return {run_id: Waiting(held_id, fingerprint) for run_id, held_id, fingerprint in session.execute(stmt)}
