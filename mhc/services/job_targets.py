"""Whom a run was about: the persons named in its arguments (a profile read's or a refresh's person ids),
by username, so the Jobs pages can link each to its Profile page."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from mhc.models import Person, parse_uuids

SHOWN = 3  # names shown per run on the list; the run's page shows them all


def person_ids(run) -> list[uuid.UUID]:
    """The person ids a run's arguments name (none for kinds that are not about persons)."""
    raw = (run.args or {}).get("person_ids") or []
    return parse_uuids([str(p) for p in raw]) if isinstance(raw, list) else []


def usernames(session: Session, runs: Iterable, limit: int | None = SHOWN) -> dict[uuid.UUID, tuple[list[str], int]]:
    """{run id: (the first `limit` usernames, how many persons in all)} for the runs that name persons."""
    wanted = {run.id: person_ids(run) for run in runs}
    wanted = {rid: ids for rid, ids in wanted.items() if ids}
    every = {pid for ids in wanted.values() for pid in (ids if limit is None else ids[:limit])}
    if not every:
        return {}
    names = dict(session.execute(select(Person.id, Person.username).where(Person.id.in_(every))).all())
    return {
        rid: ([names[p] for p in (ids if limit is None else ids[:limit]) if p in names], len(ids))
        for rid, ids in wanted.items()
    }
