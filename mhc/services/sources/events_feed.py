"""Reading the stored events for the Events page: tabs, filters, keyset pages, capped counts."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import func, literal, select, tuple_, union_all
from sqlalchemy.orm import Session

from mhc import sqlcompat
from mhc.models import Interaction, Person
from mhc.models.types import UTCDateTime
from mhc.services.stats import Count

PAGE_SIZE = 100
COUNT_CAP = 5000  # count exactly up to here; above it, the planner's estimate (labelled ≈)

# tab -> (label, event types or None for all, extra condition)
TABS = {
    "all": ("All", None, None),
    "chat": ("Chat", ("chatMessage",), None),
    "direct": ("Direct", ("privateMessage",), Interaction.is_direct.is_(True)),
    "private": ("Private", ("privateMessage",), Interaction.is_direct.is_(False)),
    "tips": ("Tips", ("tip",), None),
    "enter": ("Enter/Leave", ("userEnter", "userLeave"), None),
    "follows": ("Follows", ("follow", "unfollow"), None),
    "broadcasts": ("Broadcasts", ("broadcastStart", "broadcastStop"), None),
}


@dataclass(frozen=True)
class EventFilters:
    """What the user narrowed the feed to; all optional."""

    tab: str = "all"
    person: str | None = None
    room: str | None = None
    since: datetime | None = None
    until: datetime | None = None


@dataclass
class EventPage:
    """One page of rows (newest first) and the cursor of the next, older page."""

    rows: list[dict] = field(default_factory=list)
    next_cursor: str | None = None


def encode_cursor(occurred_at: datetime, row_id: int) -> str:
    """Keyset cursor `<iso time>|<id>` for (occurred_at, id)."""
    return f"{occurred_at.astimezone(UTC).strftime('%Y-%m-%dT%H:%M:%S.%fZ')}|{row_id}"  # no '+': URL-safe


def decode_cursor(raw: str | None) -> tuple[datetime, int] | None:
    """Parse a cursor; None when absent or invalid."""
    if not raw or "|" not in raw:
        return None
    stamp, _, row_id = raw.rpartition("|")
    try:
        when = datetime.fromisoformat(stamp)
    except ValueError:
        return None
    number = int(row_id) if row_id.isascii() and row_id.isdigit() and len(row_id) <= 18 else None  # fits a bigint
    return (when, number) if when.tzinfo and number is not None else None


def _conditions(session: Session, filters: EventFilters) -> list:
    """Filter conditions shared by every tab (the tab's types are applied per branch)."""
    _label, _types, extra = TABS.get(filters.tab, TABS["all"])
    conds = [extra] if extra is not None else []
    if filters.person:
        person_id = session.scalar(select(Person.id).where(Person.username == filters.person.strip().lower()))
        conds.append(Interaction.person_id == person_id if person_id else Interaction.id.is_(None))
    if filters.room:
        conds.append(Interaction.room == filters.room.strip().lower())
    if filters.since:
        conds.append(Interaction.occurred_at >= filters.since)
    if filters.until:
        conds.append(Interaction.occurred_at < filters.until)
    return conds


def _ordered_ids(session: Session, filters: EventFilters, conds: list, size: int, descending: bool = True) -> list[int]:
    """Ids of the first `size` rows in (occurred_at, id) order: one ordered index scan per event type,
    merged, so a tab of rare types never walks the whole table."""
    types = TABS.get(filters.tab, TABS["all"])[1]
    order = (
        (Interaction.occurred_at.desc(), Interaction.id.desc())
        if descending
        else (Interaction.occurred_at, Interaction.id)
    )
    branches = [None] if types is None else list(types)
    subqueries = []
    for event_type in branches:
        where = conds + ([Interaction.type == event_type] if event_type else [])
        subqueries.append(select(Interaction.id, Interaction.occurred_at).where(*where).order_by(*order).limit(size))
    if len(subqueries) == 1:
        return [r.id for r in session.execute(subqueries[0])]
    merged = union_all(*[q.subquery().select() for q in subqueries]).subquery()
    outer = (merged.c.occurred_at.desc(), merged.c.id.desc()) if descending else (merged.c.occurred_at, merged.c.id)
    return list(session.scalars(select(merged.c.id).order_by(*outer).limit(size)))


def _load(session: Session, ids: list[int]) -> list[dict]:
    rows = (
        session.scalars(
            select(Interaction)
            .where(Interaction.id.in_(ids))
            .order_by(Interaction.occurred_at.desc(), Interaction.id.desc())
        ).all()
        if ids
        else []
    )
    return [_row(r) for r in rows]


def _row(i: Interaction) -> dict:
    return {
        "id": i.id,
        "cursor": encode_cursor(i.occurred_at, i.id),
        "time": i.occurred_at.isoformat(),
        "type": i.type,
        "room": i.room,
        "from": i.from_username,
        "to": i.to_username,
        "text": i.text,
        "amount": i.amount,
        "direct": i.is_direct,
        "flagged": i.is_flagged,
    }


def page(session: Session, filters: EventFilters, before: str | None = None, size: int = PAGE_SIZE) -> EventPage:
    """Newest-first rows older than `before` (keyset on occurred_at, id)."""
    conds = _conditions(session, filters)
    cursor = decode_cursor(before)
    if cursor:
        conds.append(
            tuple_(Interaction.occurred_at, Interaction.id) < tuple_(literal(cursor[0], UTCDateTime), cursor[1])
        )
    ids = _ordered_ids(session, filters, conds, size + 1)
    result = EventPage(rows=_load(session, ids[:size]))
    if len(ids) > size:
        result.next_cursor = result.rows[-1]["cursor"]
    return result


def newer(session: Session, filters: EventFilters, after: str | None, size: int = PAGE_SIZE) -> list[dict]:
    """Rows newer than `after` (for auto-refresh), newest first; at most `size`."""
    conds = _conditions(session, filters)
    cursor = decode_cursor(after)
    if cursor:
        conds.append(
            tuple_(Interaction.occurred_at, Interaction.id) > tuple_(literal(cursor[0], UTCDateTime), cursor[1])
        )
    return _load(session, _ordered_ids(session, filters, conds, size))


def tab_counts(session: Session, filters: EventFilters) -> dict[str, Count]:
    """Per tab: exact count up to COUNT_CAP, else the planner's estimate (approximate)."""
    out = {}
    for key, (_label, types, _extra) in TABS.items():
        conds = _conditions(session, EventFilters(key, filters.person, filters.room, filters.since, filters.until))
        if types:
            conds.append(Interaction.type.in_(types) if len(types) > 1 else Interaction.type == types[0])
        out[key] = _capped_count(session, conds)
    return out


def _capped_count(session: Session, conds: list) -> Count:
    inner = select(Interaction.id).where(*conds).limit(COUNT_CAP + 1).subquery()
    exact = session.scalar(select(func.count()).select_from(inner)) or 0
    if exact <= COUNT_CAP:
        return Count(exact)
    return Count(max(_estimate(session, conds), COUNT_CAP + 1), approximate=True)


def _estimate(session: Session, conds: list) -> int:
    """The planner's row estimate on PostgreSQL; elsewhere the cap (shown as approximate)."""
    estimate = sqlcompat.planner_rows(session, select(Interaction.id).where(*conds))
    return COUNT_CAP + 1 if estimate is None else estimate
