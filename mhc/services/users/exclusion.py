"""Persons excluded from aggregates: noise accounts (bots, spam followers) still listed, but left out of
follower counts, unfollow insights and growth charts (docs/domain.md, "Excluded persons")."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from mhc.models import Person, parse_uuid
from mhc.services import audit

EXCLUDED_MEANING = (
    "A noise account (bot, spam follower): still listed, but left out of follower counts, unfollow insights "
    "and growth charts."
)


def set_excluded(session: Session, person_ids: Iterable, excluded: bool, *, actor_id: uuid.UUID | None = None) -> int:
    """Exclude persons from aggregates (or include them again); one audit row per change; one commit."""
    ids = [parse_uuid(i) for i in person_ids]
    if not ids:
        return 0
    changed = list(
        session.execute(
            select(Person.id, Person.username).where(Person.id.in_(ids), Person.is_excluded.isnot(excluded))
        )
    )
    if changed:
        stmt = update(Person).where(Person.id.in_([row.id for row in changed])).values(is_excluded=excluded)
        session.execute(stmt.execution_options(synchronize_session=False))
        for row in changed:
            audit.record(
                session,
                action="update",
                object_type="persons",
                object_id=row.id,
                object_label=row.username,
                actor_id=actor_id,
                changes={"is_excluded": [not excluded, excluded]},
            )
    session.commit()
    return len(changed)
