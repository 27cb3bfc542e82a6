"""Finding a person by username: the Profile page's lookup box and its autocomplete."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mhc.models import PLATFORM, Person
from mhc.services.users.conditions import like_escape


def find_by_username(session: Session, username: str) -> Person | None:
    """One person by (case-insensitive) username."""
    name = (username or "").strip().lower()
    return session.scalar(select(Person).where(Person.platform == PLATFORM, Person.username == name))


def autocomplete(session: Session, prefix: str, limit: int = 10) -> list[str]:
    """Usernames starting with `prefix` (then containing it), shortest first."""
    term = (prefix or "").strip().lower()
    if not term:
        return []
    escaped = like_escape(term)
    starts = list(
        session.scalars(
            select(Person.username)
            .where(Person.username.like(f"{escaped}%", escape="\\"))
            .order_by(Person.username)
            .limit(limit)
        )
    )
    if len(starts) >= limit:
        return starts
    more = session.scalars(
        select(Person.username)
        .where(Person.username.like(f"%{escaped}%", escape="\\"), Person.username.notlike(f"{escaped}%", escape="\\"))
        .order_by(func.length(Person.username), Person.username)
        .limit(limit - len(starts))
    )
    return starts + list(more)
