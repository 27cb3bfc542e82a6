"""The persons an action applies to: the selected rows a list can see, or every person it holds."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.orm import Query, Session

from mhc.models import Person, parse_uuids


def resolve_ids(query: Query, raw_ids: Iterable) -> list[uuid.UUID]:
    """The subset of raw (string) ids that the query can see, in the given order; others are dropped."""
    ids = parse_uuids(raw_ids)
    if not ids:
        return []
    found = {row[0] for row in query.with_entities(Person.id).filter(Person.id.in_(ids)).order_by(None).all()}
    return [i for i in dict.fromkeys(ids) if i in found]


def all_ids(query: Query) -> list[uuid.UUID]:
    """Every id the (filtered) query matches, for an "all N matching" action."""
    return [row[0] for row in query.with_entities(Person.id).order_by(None).all()]


def count_exact(session: Session, query: Query) -> int:
    """The exact number of persons a list query matches (for confirmations: "apply to all N")."""
    ids = query.with_entities(Person.id).order_by(None)
    return session.scalar(select(func.count()).select_from(ids.subquery())) or 0
