"""Lists the mass-removal guard held: kept as rows until an admin confirms one, then who, when and what.

A row in the database (not a file on the worker's disk), so any web node can confirm it
(docs/production.md, "Nothing on local disk")."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from mhc.models import HeldFollowList, SystemUser, utcnow


@dataclass(frozen=True)
class Confirmation:
    """Who confirmed a held list, when, and the counts it applied."""

    confirmed_by: str | None
    confirmed_at: datetime
    applied: dict


def keep(
    session: Session,
    run_id: uuid.UUID,
    direction: str,
    usernames: list[str],
    observed_at: datetime,
    pending_after: timedelta | None,
) -> HeldFollowList:
    """Store the complete list a run read and the guard held; one commit."""
    minutes = None if pending_after is None else pending_after.total_seconds() / 60
    row = HeldFollowList(
        run_id=run_id,
        direction=direction,
        observed_at=observed_at,
        usernames=list(usernames),
        pending_minutes=minutes,
        created_at=utcnow(),
    )
    session.merge(row)
    session.commit()
    return row


def load(session: Session, run_id: uuid.UUID) -> HeldFollowList | None:
    """The held list of a run, if one was kept."""
    return session.get(HeldFollowList, run_id)


def mark_confirmed(session: Session, run_id: uuid.UUID, confirmed_by: uuid.UUID | None, applied: dict) -> None:
    """Record who confirmed the held list, now, and what it applied (the caller commits with the run)."""
    row = session.get(HeldFollowList, run_id)
    row.confirmed_by_id, row.confirmed_at, row.applied = confirmed_by, utcnow(), applied


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
