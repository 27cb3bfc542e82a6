"""What each fan is worth to the owner: tokens tipped, tips, last tip and first sighting in the owner's room.

The rule of which interactions count is written once, here, as SQL conditions (docs/domain.md#fan-value):
`in_room` (an event of the person in the owner's room) and `is_tip` (one of them that is a tip). One
aggregate over the rows that pass (`_per_person`) feeds both ways of keeping the `persons` columns:

- `add_new_interactions`: ingestion, in the batch's transaction, adds what the batch's new rows bring to the
  persons they are filed under (one UPDATE ... FROM per batch, or per 5,000 new rows of a bigger one);
- `recompute`: the columns set from every counted row (the migration's backfill, the demo data, the tests,
  and `repair` behind `flask recompute-value`); two statements for all persons or for a given few.

Both run on a Session or a Connection (the migration has only the latter).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import and_, case, exists, false, func, or_, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from mhc.models import Interaction, Person
from mhc.services import audit

TIP = "tip"
CHUNK = 5_000  # keys per IN list (SQLite binds at most 32,766 parameters)
VALUE_COLUMNS = ("tipped_tokens", "tips_count", "last_tip_at", "first_seen_in_room_at")


@dataclass(frozen=True)
class FanValue:
    """One person's value columns, as stored."""

    tipped_tokens: int = 0
    tips_count: int = 0
    last_tip_at: object | None = None
    first_seen_in_room_at: object | None = None


def in_room(owner: str):
    """An event that counts as the person's own in the owner's room (docs/domain.md#fan-value).

    - `room = owner`: the owner's own activity in another room is filed under that room's person, with
      `room` naming that room, so it never counts as that person's;
    - `from_username <> owner`: the owner's own acts in the room (a private message to a viewer, the
      broadcast itself) are not the viewer's; a row nobody did (no `from_username`) is nobody's;
    - not flagged: an event that was not in the API's shape (no id, no user, no token amount) is kept and
      shown on the Events page, but money is only counted from events we could read fully."""
    return and_(
        Interaction.person_id.isnot(None),
        Interaction.room == owner,
        Interaction.from_username != owner,
        Interaction.is_flagged == false(),
    )


def is_tip():
    """Of the counted events, a tip (its tokens are `amount`)."""
    return Interaction.type == TIP


def _per_person(owner: str, *where):
    """Per person: the counted rows' tokens, tips, newest tip and earliest event (one GROUP BY)."""
    tip = is_tip()
    return (
        select(
            Interaction.person_id.label("person_id"),
            func.coalesce(func.sum(case((tip, Interaction.amount), else_=0)), 0).label("tokens"),
            func.count(case((tip, 1))).label("tips"),
            func.max(case((tip, Interaction.occurred_at))).label("last_tip"),
            func.min(Interaction.occurred_at).label("first_seen"),
        )
        .where(in_room(owner), *where)
        .group_by(Interaction.person_id)
        .subquery("fan_value")
    )


def _later(current, new):
    """The newer of two times, either may be NULL (GREATEST differs between backends on NULLs)."""
    return case((new.is_(None), current), (current.is_(None), new), (new > current, new), else_=current)


def _earlier(current, new):
    return case((new.is_(None), current), (current.is_(None), new), (new < current, new), else_=current)


def _chunks(keys: list, size: int = CHUNK) -> list[list]:
    return [keys[i : i + size] for i in range(0, len(keys), size)]


def add_new_interactions(bind: Session | Connection, owner: str, event_ids: Iterable[str]) -> None:
    """Add what these just-inserted interactions (by event id) bring to their persons' value columns.

    Call it once per stored batch, in its transaction, with the ids of the rows the batch inserted (never
    with duplicates: a replayed event was not inserted, so it adds nothing)."""
    p = Person.__table__
    for chunk in _chunks(list(event_ids)):
        new = _per_person(owner, Interaction.event_id.in_(chunk))
        bind.execute(
            p.update()
            .where(p.c.id == new.c.person_id)
            .values(
                tipped_tokens=p.c.tipped_tokens + new.c.tokens,
                tips_count=p.c.tips_count + new.c.tips,
                last_tip_at=_later(p.c.last_tip_at, new.c.last_tip),
                first_seen_in_room_at=_earlier(p.c.first_seen_in_room_at, new.c.first_seen),
            )
        )


def recompute(bind: Session | Connection, owner: str, person_ids: Iterable | None = None) -> None:
    """Set the value columns from every counted interaction: of everyone (None), or of these persons.

    Two statements (per CHUNK ids): persons with counted rows get their totals; the others that still hold
    a value get the defaults back."""
    if person_ids is None:
        _recompute(bind, owner, [], [])
        return
    for chunk in _chunks(list(person_ids)):
        _recompute(bind, owner, [Interaction.person_id.in_(chunk)], [Person.__table__.c.id.in_(chunk)])


def _recompute(bind, owner: str, rows_where: list, persons_where: list) -> None:
    p = Person.__table__
    totals = _per_person(owner, *rows_where)
    bind.execute(
        p.update()
        .where(p.c.id == totals.c.person_id)
        .values(
            tipped_tokens=totals.c.tokens,
            tips_count=totals.c.tips,
            last_tip_at=totals.c.last_tip,
            first_seen_in_room_at=totals.c.first_seen,
        )
    )
    counted = exists(select(Interaction.id).where(Interaction.person_id == p.c.id, in_room(owner)))
    bind.execute(
        p.update()
        .where(_holds_value(), ~counted, *persons_where)
        .values(tipped_tokens=0, tips_count=0, last_tip_at=None, first_seen_in_room_at=None)
    )


def stored_values(bind: Session | Connection) -> dict:
    """{person id: FanValue} of every person holding a value (what the columns say now)."""
    p = Person.__table__
    rows = bind.execute(select(p.c.id, *(p.c[name] for name in VALUE_COLUMNS)).where(_holds_value()))
    return {row[0]: FanValue(*row[1:]) for row in rows}


def _holds_value():
    p = Person.__table__.c
    return or_(p.tipped_tokens != 0, p.tips_count != 0, p.last_tip_at.isnot(None), p.first_seen_in_room_at.isnot(None))


def repair(session: Session, owner: str, actor_id=None) -> int:
    """Recompute everyone's value columns, audit the repair, commit; return how many persons changed."""
    before = stored_values(session)
    recompute(session, owner)
    after = stored_values(session)
    changed = sum(1 for pid in before.keys() | after.keys() if before.get(pid) != after.get(pid))
    audit.record(
        session, action="recompute_value", object_type="persons", actor_id=actor_id, changes={"changed": changed}
    )
    session.commit()
    return changed
