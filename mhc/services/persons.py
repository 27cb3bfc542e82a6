"""Person identity, in one place: every ingestion path creates persons, merges the roles they were seen as
and moves their last sighting forward through here (docs/domain.md#persons).

Set-based and part of the caller's transaction: what was seen is a SELECT (the caller's own temporary table,
or one `ensure_persons` fills), then one INSERT creates the missing persons and one UPDATE writes the rows
whose role or last sighting changes, whatever the number of names. The role-merge rule itself is the table
`mhc.models.persons.ROLE_MERGE`; its SQL form is generated from that table.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from mhc import sqlcompat
from mhc.models import PLATFORM, Person, merge_role, merge_role_sql, normalise_username
from mhc.models.types import UTCDateTime

SEEN = sqlcompat.temp_table(
    "persons_seen_tmp",
    sa.Column("username", sa.String(64), primary_key=True),
    sa.Column("role", sa.String(16), nullable=False),
)


class PersonIds(dict):
    """{username: person id} for every name given; `created` counts the persons that did not exist before."""

    created: int = 0


def normalise_roles(roles_by_username: Mapping[str, str]) -> dict[str, str]:
    """Usernames trimmed and lowercased, roles checked, the roles of names that meet after normalising merged.

    ValueError for a username or a role that is not one."""
    roles: dict[str, str] = {}
    for raw, role in roles_by_username.items():
        name = normalise_username(raw)
        roles[name] = merge_role(roles.get(name), role)
    return roles


def ensure_persons(
    session: Session, roles_by_username: Mapping[str, str], seen_at: datetime, *, online: bool = False
) -> PersonIds:
    """Create the persons not stored yet, merge the roles they were seen as; return {username: id}.

    New persons are first seen at `seen_at`. `online`: they were seen live then, so last_seen_at moves
    forward to it (never back). Idempotent; the keys are the normalised usernames."""
    roles = normalise_roles(roles_by_username)
    if not roles:
        return PersonIds()
    session.flush()  # persons added through the ORM earlier in the transaction must be seen here
    sqlcompat.create_temp_table(session, SEEN)
    sqlcompat.insert_rows(session, SEEN, [{"username": n, "role": r} for n, r in roles.items()])
    sqlcompat.analyze(session, SEEN.name)
    seen = sa.select(SEEN.c.username, SEEN.c.role)
    created = create_missing(session, seen, seen_at)
    merge_seen(session, seen, seen_at, online=online)
    stored = sa.select(Person.username, Person.id).join(
        SEEN, sa.and_(Person.platform == PLATFORM, Person.username == SEEN.c.username)
    )
    ids = PersonIds(session.execute(stored).all())
    ids.created = created
    sqlcompat.drop_temp_table(session, SEEN.name)
    return ids


def ensure_person(session: Session, username: str, seen_as: str, seen_at: datetime) -> uuid.UUID:
    """The id of one person, created (first seen at `seen_at`) or merged like `ensure_persons`."""
    return next(iter(ensure_persons(session, {username: seen_as}, seen_at).values()))


def create_missing(session: Session, seen: sa.Select, seen_at: datetime) -> int:
    """Insert a person for each row of `seen` whose username is not stored yet; return how many.

    `seen` selects `username` (normalised) and `role` (the role seen as), and may select `id`, the id a new
    person gets (else the database makes one). A name another writer stored meanwhile is skipped."""
    rows = seen.subquery()
    new_id = rows.c.id if "id" in rows.c else sqlcompat.random_uuid()
    new = sa.select(
        new_id,
        rows.c.username,
        sa.literal(PLATFORM),
        merge_role_sql(None, rows.c.role),
        sa.literal(seen_at, UTCDateTime),
    ).where(sa.true())  # SQLite reads `ON CONFLICT` after a bare FROM as a join constraint
    columns = ["id", "username", "platform", "role", "first_seen_at"]
    stmt = sqlcompat.insert_or_ignore(session, Person.__table__, ["platform", "username"]).from_select(columns, new)
    return session.execute(stmt).rowcount


def merge_seen(session: Session, seen: sa.Select, seen_at: datetime, *, online: bool = False) -> int:
    """Merge each seen role into its stored person's (with `online`, move last_seen_at forward to `seen_at`);
    write only the rows that change and return how many.

    `seen` as for `create_missing`; with an `id` column it is matched to persons by id, else by username."""
    rows = seen.subquery()
    if "id" in rows.c:
        match = Person.id == rows.c.id
    else:
        match = sa.and_(Person.platform == PLATFORM, Person.username == rows.c.username)
    values = seen_values(rows.c.role, seen_at, online=online)
    changed = Person.role != values["role"]
    if online:
        changed = sa.or_(changed, _seen_later(seen_at))
    stmt = sa.update(Person).where(match, changed).values(**values).execution_options(synchronize_session=False)
    return session.execute(stmt).rowcount


def seen_values(seen_as, seen_at: datetime, *, online: bool) -> dict:
    """The persons columns after a sighting, for an UPDATE of persons that also writes other columns.

    `seen_as` is a role name or a column holding one."""
    values = {"role": merge_role_sql(Person.role, seen_as)}
    if online:
        at = sa.literal(seen_at, UTCDateTime)
        values["last_seen_at"] = sa.case((_seen_later(seen_at), at), else_=Person.last_seen_at)
    return values


def _seen_later(seen_at: datetime):
    return sa.or_(Person.last_seen_at.is_(None), Person.last_seen_at < sa.literal(seen_at, UTCDateTime))
