"""Priority lookups: P1 = record once then complete, P2 = record every cycle and scrape on a schedule.

One row per person (`priority_lookups.person_id` is unique); re-adding overwrites level and status.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from mhc.models import Person, PriorityLookup, Profile, Role, parse_uuid, parse_uuids, utcnow
from mhc.models.priorities import STATUSES
from mhc.services import audit, persons

LEVELS = (1, 2)
# The note of the demo's lookups: its persons are made up, so the P2 round never scrapes them on the live site
# (docs/operator.md#the-demo-reaches-nothing).
DEMO_NOTE = "demo data: made-up person, never looked up on the site"


def _ids(person_ids: Iterable) -> list[uuid.UUID]:
    return list(dict.fromkeys(parse_uuid(p) for p in person_ids))


def set_priority(
    session: Session, person_ids: Iterable, level: int, *, actor_id: uuid.UUID | None = None, note=None
) -> int:
    """Give these persons priority `level` with status queued (overwriting any earlier one); return how many."""
    if level not in LEVELS:
        raise ValueError(f"priority level must be 1 or 2, got {level!r}")
    ids = _ids(person_ids)
    if not ids:
        return 0
    now = utcnow()
    rows = session.execute(
        select(Person.id, Person.username, PriorityLookup.priority)
        .outerjoin(PriorityLookup, PriorityLookup.person_id == Person.id)
        .where(Person.id.in_(ids))
    ).all()
    ids = [r.id for r in rows]
    existing = {r.id for r in rows if r.priority is not None}
    values = {
        "priority": level,
        "status": "queued",
        "requested_by_id": actor_id,
        "failure_reason": None,
        "completed_at": None,
        "updated_at": now,
    }
    if note is not None:
        values["note"] = note
    if existing:
        stmt = update(PriorityLookup).where(PriorityLookup.person_id.in_(existing)).values(**values)
        session.execute(stmt.execution_options(synchronize_session=False))
    new = [{**values, "person_id": pid, "note": note, "created_at": now} for pid in ids if pid not in existing]
    if new:
        session.execute(insert(PriorityLookup), new)
    for row in rows:  # one row per person, so each person's History shows it (same transaction)
        before = f"P{row.priority}" if row.priority else None
        audit.record(
            session,
            action="set_priority",
            object_type="persons",
            object_id=row.id,
            object_label=row.username,
            actor_id=actor_id,
            changes={"priority": [before, f"P{level}"]},
        )
    session.commit()
    return len(ids)


def queue_username(session: Session, username: str, *, actor_id: uuid.UUID | None = None) -> PriorityLookup:
    """Queue a P2 lookup for a username, creating the person (role UNKNOWN) and profile if unknown."""
    person_id = persons.ensure_person(session, username, Role.UNKNOWN, utcnow())
    if session.scalar(select(Profile.id).where(Profile.person_id == person_id)) is None:
        session.add(Profile(person_id=person_id))
    session.flush()
    set_priority(session, [person_id], 2, actor_id=actor_id)
    return session.scalar(select(PriorityLookup).where(PriorityLookup.person_id == person_id))


def mark_status(session: Session, person_ids: Iterable, status: str, reason: str | None = None) -> int:
    """Move these persons' lookups to `status` (complete sets completed_at; failed keeps the reason)."""
    if status not in STATUSES:
        raise ValueError(f"unknown lookup status {status!r}")
    ids = _ids(person_ids)
    if not ids:
        return 0
    now = utcnow()
    values = {"status": status, "updated_at": now, "failure_reason": reason if status == "failed" else None}
    if status == "complete":
        values.update(completed_at=now, last_checked_at=now)
    stmt = update(PriorityLookup).where(PriorityLookup.person_id.in_(ids)).values(**values)
    count = session.execute(stmt.execution_options(synchronize_session=False)).rowcount
    session.commit()
    return count


def remove(session: Session, person_ids: Iterable) -> int:
    """Drop these persons' priority lookups (they stay ordinary tracked persons)."""
    ids = _ids(person_ids)
    if not ids:
        return 0
    stmt = PriorityLookup.__table__.delete().where(PriorityLookup.__table__.c.person_id.in_(ids))
    count = session.execute(stmt).rowcount
    session.commit()
    return count


def p2_person_ids(session: Session, limit: int | None = None) -> list[uuid.UUID]:
    """Persons under P2 tracking, least recently checked first (for the scheduled profile scrape); the demo's
    made-up persons (DEMO_NOTE) are never among them."""
    stmt = (
        select(PriorityLookup.person_id)
        .where(PriorityLookup.priority == 2, PriorityLookup.note.is_distinct_from(DEMO_NOTE))
        .order_by(PriorityLookup.last_checked_at.asc().nulls_first(), PriorityLookup.created_at)
        .limit(limit)
    )
    return list(session.scalars(stmt))


def priority_statuses(session: Session, person_ids: Iterable) -> dict[str, dict]:
    """{person id: {priority, status, reason}} for the Priority column's live updates (at most 500 ids)."""
    ids = parse_uuids(person_ids)
    if not ids:
        return {}
    rows = session.execute(
        select(
            PriorityLookup.person_id, PriorityLookup.priority, PriorityLookup.status, PriorityLookup.failure_reason
        ).where(PriorityLookup.person_id.in_(ids[:500]))
    )
    return {str(r.person_id): {"priority": r.priority, "status": r.status, "reason": r.failure_reason} for r in rows}
