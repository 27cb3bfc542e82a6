"""What the Hudson analytics count: rows of persons not excluded, at moments given as UTC literals."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import literal, or_, select, true

from mhc.models import Person
from mhc.models.types import UTCDateTime


def excluded_ids():
    """The ids of persons excluded from aggregates (a partial index lists them)."""
    return select(Person.id).where(Person.is_excluded == true())


def kept(person_id):
    """Rows of excluded persons (noise accounts) count nowhere in aggregates (docs/domain.md#excluded-persons).

    NOT IN over the few excluded ids is one hashed lookup per row; rows without a person are kept."""
    return or_(person_id.is_(None), person_id.not_in(excluded_ids()))


def at(moment: datetime):
    """A moment as a UTC timestamp literal."""
    return literal(moment, UTCDateTime())
