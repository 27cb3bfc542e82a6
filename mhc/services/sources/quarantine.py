"""Feed quarantine: the events and rooms a feed sent that could not be stored, kept with the reason.

Writing is part of the caller's transaction (the batch or cycle that met the item), so the cursor moves
on only together with the record of what was set aside. Reading serves the panel's Feed quarantine page.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, literal, select, tuple_
from sqlalchemy.orm import Session

from mhc import sqlcompat
from mhc.models import FeedQuarantine
from mhc.models.types import UTCDateTime, parse_uuid
from mhc.services.sources import feed_rules
from mhc.services.sources.events_feed import decode_cursor, encode_cursor

SOURCES = ("events", "affiliate")
PAGE_SIZE = 50


@dataclass(frozen=True)
class Item:
    """One item to set aside: where it came from, what identifies it, the rule it broke, and the item."""

    source: str
    key: str | None
    rule: str
    reason: str
    raw: object


@dataclass
class QuarantinePage:
    """Rows newest first, and the cursor of the next, older page."""

    rows: list[FeedQuarantine] = field(default_factory=list)
    next_cursor: str | None = None


def _row(item: Item, seen_at: datetime, run_id) -> dict:
    text = feed_rules.raw_text(item.raw)
    identity = item.key if item.key is not None else hashlib.sha256(text.encode()).hexdigest()
    blob = f"{item.source}\n{identity}\n{item.rule}".encode("utf-8", "surrogatepass")
    return {
        "source": item.source,
        "fingerprint": hashlib.sha256(blob).hexdigest(),
        "item": feed_rules.clean_text(item.key, 64) or None,
        "rule": item.rule[:32],
        "reason": feed_rules.clean_text(item.reason, 1000),
        "raw": text[: feed_rules.MAX_RAW_CHARS],
        "raw_chars": len(text),
        "times_seen": 1,
        "first_seen_at": seen_at,
        "last_seen_at": seen_at,
        "job_run_id": parse_uuid(run_id) if run_id else None,
    }


def add(session: Session, items: list[Item], seen_at: datetime, run_id=None) -> int:
    """Record these items (the caller commits); one already recorded for the same rule counts up. Returns len."""
    rows: dict[str, dict] = {}
    for item in items:
        row = _row(item, seen_at, run_id)
        if row["fingerprint"] in rows:  # one statement may not touch a row twice
            row["times_seen"] += rows[row["fingerprint"]]["times_seen"]
        rows[row["fingerprint"]] = row
    if not rows:
        return 0
    table = FeedQuarantine.__table__
    stmt = sqlcompat.conflict_insert(session, table)
    stmt = stmt.on_conflict_do_update(
        index_elements=["fingerprint"],
        set_={
            "times_seen": table.c.times_seen + stmt.excluded.times_seen,
            "last_seen_at": stmt.excluded.last_seen_at,
            "reason": stmt.excluded.reason,
            "raw": stmt.excluded.raw,
            "raw_chars": stmt.excluded.raw_chars,
            "job_run_id": stmt.excluded.job_run_id,
        },
    )
    session.execute(stmt, list(rows.values()))
    return len(items)


def page(session: Session, source: str | None = None, before: str | None = None, size: int | None = None):
    """Quarantined items, most recently seen first (keyset on last_seen_at, id); PAGE_SIZE a page by default."""
    size = size or PAGE_SIZE
    query = select(FeedQuarantine)
    if source in SOURCES:
        query = query.where(FeedQuarantine.source == source)
    cursor = decode_cursor(before)
    if cursor:
        key = tuple_(FeedQuarantine.last_seen_at, FeedQuarantine.id)
        query = query.where(key < tuple_(literal(cursor[0], UTCDateTime), cursor[1]))
    order = (FeedQuarantine.last_seen_at.desc(), FeedQuarantine.id.desc())
    rows = list(session.scalars(query.order_by(*order).limit(size + 1)))
    result = QuarantinePage(rows=rows[:size])
    if len(rows) > size:
        result.next_cursor = encode_cursor(rows[size - 1].last_seen_at, rows[size - 1].id)
    return result


def counts(session: Session) -> dict[str, int]:
    """How many items each source has in quarantine (every source listed, 0 included)."""
    found = dict(session.execute(select(FeedQuarantine.source, func.count()).group_by(FeedQuarantine.source)).all())
    return {source: int(found.get(source, 0)) for source in SOURCES}
