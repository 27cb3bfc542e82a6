"""Events API ingestion: store every decoded event once (by id), link persons, follow changes, broadcasts.

One batch is one transaction, and the cursor (`nextUrl`) is saved in that same transaction, so a
restart resumes exactly after the last committed batch: nothing replayed as new, nothing skipped.
The client decodes the API's JSON into typed events; here the storage rules (feed_rules) decide what
is stored, flagged or quarantined. The longpoll loop that feeds this is a job (mhc/jobs/events_listener.py).
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import DataError, DBAPIError, StatementError
from sqlalchemy.orm import Session

from mhc import sqlcompat
from mhc.clients.events_api import BROADCAST_METHODS, FOLLOW_METHODS, USER_METHODS, Event
from mhc.models import Interaction, Person, merge_role, normalise_username
from mhc.models.owner import BroadcastSegment, BroadcastSession, OwnerStatsSample
from mhc.services import persons, secrets
from mhc.services.alerts import outbox as alert_outbox
from mhc.services.follows.follow_ledger import FollowObservation, apply_observations
from mhc.services.sources import feed_rules, quarantine
from mhc.services.users import value

log = logging.getLogger(__name__)
MAX_ID = 64  # the event_id column
TOKEN_FIELDS = {"tip": "tip.tokens", "mediaPurchase": "media.tokens"}  # how a refused amount is named


@dataclass(frozen=True)
class IngestSettings:
    """What ingestion needs from configuration: the owner, and how far apart broadcasts still form one session."""

    owner: str
    broadcast_gap: timedelta = timedelta(minutes=30)


@dataclass
class EventCounts:
    """What happened to received events: stored (new), duplicates skipped, flagged, quarantined. A batch's
    result and a listener run's totals both count these, so they are declared once."""

    received: int = 0
    inserted: int = 0
    duplicates: int = 0
    flagged: int = 0
    quarantined: int = 0

    def add_counts(self, other: EventCounts, names: tuple[str, ...]) -> None:
        """Add `other`'s values of the counters `names` to this one's."""
        for name in names:
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class IngestResult(EventCounts):
    """What one batch did: the event counts, plus persons created, follow changes and broadcasts."""

    persons_created: int = 0
    follow_changes: int = 0
    broadcasts: int = 0
    inserted_ids: list[str] = field(default_factory=list)

    def absorb(self, part: IngestResult) -> None:
        """Add the counts of a part of the same batch (stored on its own)."""
        self.add_counts(part, ("inserted", "duplicates", "flagged", "quarantined", "persons_created", "follow_changes"))
        self.broadcasts += part.broadcasts
        self.inserted_ids += part.inserted_ids


@dataclass
class _Prepared:
    """One event, prepared as its interaction row plus what the person links need."""

    row: dict
    person: str | None = None
    roles: dict[str, str] = field(default_factory=dict)
    user: str | None = None


def _username(value: str | None, field: str) -> str | None:
    """None when absent or blank (an odd shape, flagged); Rejected when a name breaks the username rule."""
    if value is None or not value.strip():
        return None
    return feed_rules.username(value, field)


def _valid_id(event_id: str | None) -> bool:
    return (
        event_id is not None
        and bool(event_id.strip())
        and len(event_id) <= MAX_ID
        and feed_rules.clean_text(event_id, None) == event_id
    )


def _synthetic_id(raw, batch_key: str, index: int) -> str:
    # Deterministic, so a replayed batch maps the same id-less event to the same row.
    blob = json.dumps(raw, sort_keys=True, default=str)
    seed = f"{batch_key}\n{index}\n{blob}".encode("utf-8", "surrogatepass")
    return "noid-" + hashlib.sha256(seed).hexdigest()[:40]


def _text(value: str | None) -> str | None:
    """Free text as stored: NUL and lone surrogates removed, cut to feed_rules.MAX_TEXT; empty is None."""
    return feed_rules.clean_text(value) or None


def prepare_event(event: Event, owner: str, received_at: datetime, batch_key: str, index: int) -> _Prepared:
    """Turn one decoded event (any shape) into an interaction row; odd shapes are kept and flagged.

    A value that breaks a storage rule (a name that is no username, tokens out of range, an event too
    large or too deeply nested) raises feed_rules.Rejected: the caller quarantines that event alone."""
    stored_raw = feed_rules.clean_json(event.raw)
    feed_rules.check_size(feed_rules.raw_text(event.raw))
    event_id, flagged = event.id, event.odd
    if not _valid_id(event_id):
        event_id, flagged = _synthetic_id(event.raw, batch_key, index), True
    method = event.method
    room = _username(event.broadcaster, "broadcaster")
    user = _username(event.username, "user.username")
    flagged = flagged or bool(event.broadcaster and room is None) or (method in USER_METHODS and user is None)
    amount = feed_rules.count(event.tokens, TOKEN_FIELDS.get(method, "tokens"))
    is_direct = method == "privateMessage" and room is None
    from_user, to_user = user, room
    person = user
    roles: dict[str, str] = {}
    if room:
        roles[room] = "MODEL"
    if user and method not in BROADCAST_METHODS and user != room:
        roles[user] = "VIEWER"
    if method == "privateMessage":
        from_user = _username(event.from_user, "fromUser") or user
        to_user = _username(event.to_user, "toUser")
        counterpart = to_user if from_user == owner else from_user
        person = counterpart or user
        for name in (from_user, to_user):
            if name:
                roles.setdefault(name, "UNKNOWN")
    elif user == owner and room and room != owner:
        person = room  # the owner's own activity elsewhere belongs to that room's record
    elif user is None:
        person = room
    if method == "roomSubjectChange":
        from_user, to_user, person = room, None, room
    row = {
        "event_id": event_id,
        "type": feed_rules.clean_text(method, 32) or "unknown",
        "from_username": from_user,
        "to_username": to_user,
        "room": room,
        "is_direct": is_direct,
        "text": _text(event.text),
        "amount": amount,
        "occurred_at": received_at,
        "is_flagged": flagged,
        "raw": stored_raw,
    }
    return _Prepared(row=row, person=person, roles=roles, user=user)


def _insert(session: Session, table, rows: list[dict], conflict: list[str], returning):
    stmt = sqlcompat.insert_or_ignore(session, table, conflict).returning(*returning)
    return session.execute(stmt, rows).all() if rows else []


def ingest_batch(
    session: Session,
    events: list[Event],
    next_url: str | None,
    received_at: datetime,
    settings: IngestSettings,
    *,
    commit: bool = True,
) -> IngestResult:
    """Store one longpoll batch and its cursor in one transaction; idempotent by event id.

    Each event is checked on its own: one that breaks a storage rule is quarantined, the others are
    stored. Should the database still refuse the batch over a value no rule foresaw, the batch is stored
    again one event at a time and the refused event is quarantined: the cursor always moves on."""
    settings = replace(settings, owner=normalise_username(settings.owner))
    batch_key = next_url or received_at.isoformat()
    try:
        result = _store(session, list(enumerate(events)), received_at, settings, batch_key)
        if next_url:
            secrets.put(session, secrets.EVENTS_NEXT_URL, next_url)
        if commit:
            session.commit()
            _dispatch_alerts(result)
        return result
    except Exception as exc:
        if not commit or not _refused_value(exc):
            raise
        session.rollback()
        log.warning("Events API batch refused by the database (%s): storing it event by event", type(exc).__name__)
    return _store_one_by_one(session, events, next_url, received_at, settings, batch_key)


def _store(
    session: Session, indexed: list[tuple[int, Event]], received_at: datetime, settings: IngestSettings, batch_key: str
) -> IngestResult:
    """Validate, link and insert these (position, event) pairs; quarantine the rejected. No commit."""
    owner = settings.owner
    result = IngestResult(received=len(indexed))
    parsed, seen, rejected = [], set(), []
    for index, decoded in indexed:
        try:
            event = prepare_event(decoded, owner, received_at, batch_key, index)
        except feed_rules.Rejected as exc:
            rejected.append(quarantine.Item("events", decoded.id or None, exc.rule, exc.reason, decoded.raw))
            continue
        if event.row["event_id"] in seen:
            continue
        seen.add(event.row["event_id"])
        parsed.append(event)
    result.quarantined = quarantine.add(session, rejected, received_at)
    roles: dict[str, str] = {}
    for event in parsed:
        for name, role in event.roles.items():
            roles[name] = merge_role(roles.get(name), role)
    ids = persons.ensure_persons(session, roles, received_at)
    result.persons_created = ids.created
    rows = [{**e.row, "person_id": ids.get(e.person)} for e in parsed]
    table = Interaction.__table__
    inserted = _insert(session, table, rows, ["event_id"], [table.c.event_id, table.c.person_id])
    new_ids = {r.event_id for r in inserted}
    result.inserted = len(inserted)
    result.duplicates = result.received - result.inserted - result.quarantined
    result.inserted_ids = [e.row["event_id"] for e in parsed if e.row["event_id"] in new_ids]
    result.flagged = sum(1 for e in parsed if e.row["is_flagged"] and e.row["event_id"] in new_ids)
    _count_interactions(session, Counter(r.person_id for r in inserted if r.person_id is not None))
    value.add_new_interactions(session, owner, result.inserted_ids)  # docs/domain.md#fan-value
    fresh = [e for e in parsed if e.row["event_id"] in new_ids and not e.row["is_flagged"]]
    result.follow_changes = _apply_follows(session, fresh, owner, received_at)
    result.broadcasts = _apply_broadcasts(session, fresh, owner, received_at, settings.broadcast_gap)
    return result


def _store_one_by_one(
    session: Session, events: list[Event], next_url, received_at: datetime, settings: IngestSettings, batch_key: str
) -> IngestResult:
    """The batch again, one event per transaction; an event the database refuses is quarantined."""
    total = IngestResult(received=len(events))
    for index, event in enumerate(events):
        try:
            part = _store(session, [(index, event)], received_at, settings, batch_key)
            session.commit()
        except Exception as exc:
            if not _refused_value(exc):
                raise
            session.rollback()
            reason = f"the database refused it: {type(exc).__name__}: {feed_rules.short(str(exc), 300)}"
            item = quarantine.Item("events", event.id or None, "database", reason, event.raw)
            quarantine.add(session, [item], received_at)
            session.commit()
            part = IngestResult(received=1, quarantined=1)
        total.absorb(part)
    if next_url:
        secrets.put(session, secrets.EVENTS_NEXT_URL, next_url)
        session.commit()
    _dispatch_alerts(total)
    return total


def _dispatch_alerts(result: IngestResult) -> None:
    """After the commit: hand the deliveries the batch's follow changes wrote to the queue now, rather than
    at the scheduler's next tick (docs/alerts.md#when-rules-fire)."""
    if result.follow_changes:
        alert_outbox.dispatch()


def _refused_value(exc: BaseException) -> bool:
    """True when the database or its driver refused a value; False for connection, lock and other errors."""
    if isinstance(exc, DataError):
        return True
    if isinstance(exc, DBAPIError):
        return False
    return isinstance(exc, (StatementError, ValueError))


def _count_interactions(session: Session, per_person: Counter) -> None:
    """Keep persons.interactions_count true: add this batch's new rows in one statement."""
    sqlcompat.add_by_key(session, Person.__table__, "id", "interactions_count", per_person)


def _apply_follows(session: Session, events: list[_Prepared], owner: str, received_at: datetime) -> int:
    follows = [
        e for e in events if e.row["type"] in FOLLOW_METHODS and e.row["room"] == owner and e.user and e.user != owner
    ]
    if not follows:
        return 0
    observations = [
        FollowObservation(e.user, "follower", e.row["type"], received_at, "events_api", e.row["event_id"])
        for e in follows
    ]
    apply_observations(session, observations, commit=False)
    return len(observations)


def _apply_broadcasts(
    session: Session, events: list[_Prepared], owner: str, received_at: datetime, gap: timedelta
) -> int:
    """broadcastStart opens a segment (joining the last session if it ended ≤ gap ago); Stop closes it."""
    changed = 0
    for event in events:
        if event.row["type"] not in BROADCAST_METHODS or event.row["room"] != owner:
            continue
        if event.row["type"] == "broadcastStart":
            changed += _open_segment(session, event.row["event_id"], received_at, gap)
        else:
            changed += _close_segment(session, event.row["event_id"], received_at)
    return changed


def _open_segment(session: Session, event_id: str, at: datetime, gap: timedelta) -> int:
    if session.scalars(select(BroadcastSegment).where(BroadcastSegment.ended_at.is_(None)).limit(1)).first():
        return 0  # already live: a repeated start does not split the segment
    last = session.scalars(select(BroadcastSession).order_by(BroadcastSession.started_at.desc()).limit(1)).first()
    if last is None or last.ended_at is None or at - last.ended_at > gap:
        last = BroadcastSession(started_at=at, segments_count=0)
        session.add(last)
        session.flush()
    last.ended_at, last.segments_count = None, last.segments_count + 1
    session.add(BroadcastSegment(session_id=last.id, started_at=at, start_event_id=event_id))
    return 1


def _close_segment(session: Session, event_id: str, at: datetime) -> int:
    segment = session.scalars(
        select(BroadcastSegment).where(BroadcastSegment.ended_at.is_(None)).order_by(BroadcastSegment.started_at.desc())
    ).first()
    if segment is None:
        return 0  # a stop without a start (the feed began mid-broadcast): nothing to close
    segment.ended_at, segment.stop_event_id = at, event_id
    owner_session = session.get(BroadcastSession, segment.session_id)
    owner_session.ended_at = at
    return 1


def record_owner_stats(session: Session, stats, observed_at: datetime, raw: dict | None = None) -> OwnerStatsSample:
    """Store one Stats API reading (already decoded, -1 → None); commit."""
    sample = OwnerStatsSample(
        observed_at=observed_at,
        username=stats.username,
        token_balance=stats.token_balance,
        tips_in_last_hour=stats.tips_in_last_hour,
        votes_up=stats.votes_up,
        votes_down=stats.votes_down,
        satisfaction_score=stats.satisfaction_score,
        last_broadcast=stats.last_broadcast,
        time_online=stats.time_online,
        num_followers=stats.num_followers,
        num_viewers=stats.num_viewers,
        num_registered_viewers=stats.num_registered_viewers,
        raw=raw,
    )
    session.add(sample)
    session.commit()
    return sample
