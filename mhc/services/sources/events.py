"""Events API ingestion: store every raw event once (by id), link persons, follow changes, broadcasts.

One batch is one transaction, and the cursor (`nextUrl`) is saved in that same transaction, so a
restart resumes exactly after the last committed batch: nothing replayed as new, nothing skipped.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import unquote, urlsplit

from flask import current_app, has_app_context
from sqlalchemy import Integer, Uuid, bindparam, case, column, select, update, values
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DataError, DBAPIError, StatementError
from sqlalchemy.orm import Session

from mhc.clients import events_api, stats_api
from mhc.clients.http import HttpSettings, make_session
from mhc.models import Interaction, Person, merge_role, normalise_username, utcnow
from mhc.models.owner import BroadcastSegment, BroadcastSession, OwnerStatsSample
from mhc.services import secrets
from mhc.services.follows.follow_ledger import FollowObservation, apply_observations
from mhc.services.sources import feed_rules, quarantine

log = logging.getLogger(__name__)
PLATFORM = "chaturbate"
USER_METHODS = {
    "broadcastStart",
    "broadcastStop",
    "userEnter",
    "userLeave",
    "follow",
    "unfollow",
    "fanclubJoin",
    "chatMessage",
    "privateMessage",
    "tip",
    "mediaPurchase",
}
KNOWN_METHODS = USER_METHODS | {"roomSubjectChange"}
BROADCAST_METHODS = {"broadcastStart", "broadcastStop"}
FOLLOW_METHODS = {"follow", "unfollow"}
MAX_ID = 64
MAX_CURSOR = 2048  # a real nextUrl is about 150 characters
DEFAULT_PORTS = {"http": 80, "https": 443}
DEFAULT_GAP_MINUTES = 30


@dataclass
class IngestResult:
    """What one batch did: received, stored (new), duplicates skipped, flagged, quarantined, persons created."""

    received: int = 0
    inserted: int = 0
    duplicates: int = 0
    flagged: int = 0
    quarantined: int = 0
    persons_created: int = 0
    follow_changes: int = 0
    broadcasts: int = 0
    inserted_ids: list[str] = field(default_factory=list)

    def absorb(self, part: IngestResult) -> None:
        """Add the counts of a part of the same batch (stored on its own)."""
        for name in ("inserted", "duplicates", "flagged", "quarantined", "persons_created", "follow_changes"):
            setattr(self, name, getattr(self, name) + getattr(part, name))
        self.broadcasts += part.broadcasts
        self.inserted_ids += part.inserted_ids


@dataclass
class _Event:
    """One event, normalised into the interaction row plus what the person links need."""

    row: dict
    person: str | None = None
    roles: dict[str, str] = field(default_factory=dict)
    user: str | None = None


def _username(value, field: str) -> str | None:
    """None when absent or not a string (an odd shape, flagged); Rejected when a name breaks the username rule."""
    if not isinstance(value, str) or not value.strip():
        return None
    return feed_rules.username(value, field)


def _valid_id(event_id) -> bool:
    return (
        isinstance(event_id, str)
        and bool(event_id.strip())
        and len(event_id) <= MAX_ID
        and feed_rules.clean_text(event_id, None) == event_id
    )


def _synthetic_id(raw, batch_key: str, index: int) -> str:
    # Deterministic, so a replayed batch maps the same id-less event to the same row.
    blob = json.dumps(raw, sort_keys=True, default=str)
    seed = f"{batch_key}\n{index}\n{blob}".encode("utf-8", "surrogatepass")
    return "noid-" + hashlib.sha256(seed).hexdigest()[:40]


def _text_and_amount(method: str, obj: dict) -> tuple[str | None, int | None, bool]:
    """The event's text and token amount; the bool is False when a required part is missing."""
    if method in ("chatMessage", "privateMessage"):
        message = obj.get("message")
        if not isinstance(message, dict) or not isinstance(message.get("message"), str):
            return None, None, False
        return _text(message["message"]), None, True
    if method == "tip":
        tip = obj.get("tip")
        if not isinstance(tip, dict) or isinstance(tip.get("tokens"), bool) or not isinstance(tip.get("tokens"), int):
            return None, None, False
        message = tip.get("message")
        return _text(message if isinstance(message, str) else None), feed_rules.count(tip["tokens"], "tip.tokens"), True
    if method == "mediaPurchase":
        media = obj.get("media")
        if not isinstance(media, dict):
            return None, None, False
        name, tokens = media.get("name"), media.get("tokens")
        amount = tokens if isinstance(tokens, int) and not isinstance(tokens, bool) else None
        return _text(name if isinstance(name, str) else None), feed_rules.count(amount, "media.tokens"), True
    if method == "roomSubjectChange":
        subject = obj.get("subject")
        return (_text(subject), None, True) if isinstance(subject, str) else (None, None, False)
    return None, None, True


def _text(value: str | None) -> str | None:
    """Free text as stored: NUL and lone surrogates removed, cut to feed_rules.MAX_TEXT; empty is None."""
    return feed_rules.clean_text(value) or None


def normalise_event(raw, owner: str, received_at: datetime, batch_key: str, index: int) -> _Event:
    """Turn one raw event (any shape) into an interaction row; odd shapes are kept and flagged.

    A value that breaks a storage rule (a name that is no username, tokens out of range, an event too
    large or too deeply nested) raises feed_rules.Rejected: the caller quarantines that event alone."""
    stored_raw = feed_rules.clean_json(raw)
    feed_rules.check_size(feed_rules.raw_text(raw))
    flagged = False
    envelope = raw if isinstance(raw, dict) else {}
    event_id = envelope.get("id")
    if not _valid_id(event_id):
        event_id, flagged = _synthetic_id(raw, batch_key, index), True
    method = envelope.get("method")
    if method not in KNOWN_METHODS:
        flagged = True
    obj = envelope.get("object")
    if not isinstance(obj, dict):
        obj, flagged = {}, True
    broadcaster = obj.get("broadcaster")
    if broadcaster is None:
        broadcaster = envelope.get("broadcaster")
    room = _username(broadcaster, "broadcaster")
    if broadcaster not in (None, "") and room is None:
        flagged = True
    user_obj = obj.get("user")
    user = _username(user_obj.get("username"), "user.username") if isinstance(user_obj, dict) else None
    if method in USER_METHODS and user is None:
        flagged = True
    text, amount, complete = _text_and_amount(method, obj) if method in KNOWN_METHODS else (None, None, True)
    flagged = flagged or not complete
    is_direct = method == "privateMessage" and room is None
    from_user, to_user = user, room
    person = user
    roles: dict[str, str] = {}
    if room:
        roles[room] = "MODEL"
    if user and method not in BROADCAST_METHODS and user != room:
        roles[user] = "VIEWER"
    if method == "privateMessage":
        message = obj.get("message") if isinstance(obj.get("message"), dict) else {}
        from_user = _username(message.get("fromUser"), "fromUser") or _username(obj.get("fromUser"), "fromUser") or user
        to_user = _username(message.get("toUser"), "toUser") or _username(obj.get("toUser"), "toUser")
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
        "type": (feed_rules.clean_text(method, 32) if isinstance(method, str) else None) or "unknown",
        "from_username": from_user,
        "to_username": to_user,
        "room": room,
        "is_direct": is_direct,
        "text": text,
        "amount": amount,
        "occurred_at": received_at,
        "is_flagged": flagged,
        "raw": stored_raw,
    }
    return _Event(row=row, person=person, roles=roles, user=user)


def _insert(session: Session, table, rows: list[dict], conflict: list[str], returning):
    dialect = session.get_bind().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    stmt = module.insert(table).on_conflict_do_nothing(index_elements=conflict).returning(*returning)
    return session.execute(stmt, rows).all() if rows else []


def link_persons(session: Session, roles: dict[str, str], seen_at: datetime) -> tuple[dict[str, object], int]:
    """Create unknown persons and merge roles, set-based; return ({username: id}, created)."""
    if not roles:
        return {}, 0
    names = list(roles)
    by_name = {PLATFORM: Person.platform == PLATFORM, "in": Person.username.in_(names)}
    ids = dict(session.execute(select(Person.username, Person.id).where(*by_name.values())).all())
    new = [
        {"id": uuid.uuid4(), "username": n, "platform": PLATFORM, "role": "UNKNOWN", "first_seen_at": seen_at}
        for n in sorted(set(names) - set(ids))
    ]
    table = Person.__table__
    created = _insert(session, table, new, ["platform", "username"], [table.c.username, table.c.id])
    ids.update(dict(created))
    if len(ids) < len(names):  # another writer created some meanwhile
        ids = dict(session.execute(select(Person.username, Person.id).where(*by_name.values())).all())
    for seen_as in ("MODEL", "VIEWER"):
        group = [n for n, r in roles.items() if r in (seen_as, "BOTH")]
        if group:
            # Only rows whose role changes are written: UNKNOWN -> seen_as, the other role -> BOTH.
            merged = case((Person.role == "UNKNOWN", seen_as), else_="BOTH")
            session.execute(
                update(Person)
                .where(Person.platform == PLATFORM, Person.username.in_(group), Person.role.not_in((seen_as, "BOTH")))
                .values(role=merged)
                .execution_options(synchronize_session=False)
            )
    return ids, len(created)


def ingest_batch(
    session: Session, events: list, next_url: str | None, received_at: datetime, owner: str, *, commit: bool = True
) -> IngestResult:
    """Store one longpoll batch and its cursor in one transaction; idempotent by event id.

    Each event is checked on its own: one that breaks a storage rule is quarantined, the others are
    stored. Should the database still refuse the batch over a value no rule foresaw, the batch is stored
    again one event at a time and the refused event is quarantined: the cursor always moves on."""
    owner = normalise_username(owner)
    batch_key = next_url or received_at.isoformat()
    try:
        result = _store(session, list(enumerate(events)), received_at, owner, batch_key)
        if next_url:
            secrets.put(session, secrets.EVENTS_NEXT_URL, next_url)
        if commit:
            session.commit()
        return result
    except Exception as exc:
        if not commit or not _refused_value(exc):
            raise
        session.rollback()
        log.warning("Events API batch refused by the database (%s): storing it event by event", type(exc).__name__)
    return _store_one_by_one(session, events, next_url, received_at, owner, batch_key)


def _store(session: Session, indexed: list[tuple[int, object]], received_at: datetime, owner: str, batch_key: str):
    """Validate, link and insert these (position, raw event) pairs; quarantine the rejected. No commit."""
    result = IngestResult(received=len(indexed))
    parsed, seen, rejected = [], set(), []
    for index, raw in indexed:
        try:
            event = normalise_event(raw, owner, received_at, batch_key, index)
        except feed_rules.Rejected as exc:
            rejected.append(quarantine.Item("events", _event_key(raw), exc.rule, exc.reason, raw))
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
    ids, result.persons_created = link_persons(session, roles, received_at)
    rows = [{**e.row, "person_id": ids.get(e.person)} for e in parsed]
    table = Interaction.__table__
    inserted = _insert(session, table, rows, ["event_id"], [table.c.event_id, table.c.person_id])
    new_ids = {r.event_id for r in inserted}
    result.inserted = len(inserted)
    result.duplicates = result.received - result.inserted - result.quarantined
    result.inserted_ids = [e.row["event_id"] for e in parsed if e.row["event_id"] in new_ids]
    result.flagged = sum(1 for e in parsed if e.row["is_flagged"] and e.row["event_id"] in new_ids)
    _count_interactions(session, Counter(r.person_id for r in inserted if r.person_id is not None))
    fresh = [e for e in parsed if e.row["event_id"] in new_ids and not e.row["is_flagged"]]
    result.follow_changes = _apply_follows(session, fresh, owner, received_at)
    result.broadcasts = _apply_broadcasts(session, fresh, owner, received_at)
    return result


def _store_one_by_one(session: Session, events: list, next_url, received_at: datetime, owner: str, batch_key: str):
    """The batch again, one event per transaction; an event the database refuses is quarantined."""
    total = IngestResult(received=len(events))
    for index, raw in enumerate(events):
        try:
            part = _store(session, [(index, raw)], received_at, owner, batch_key)
            session.commit()
        except Exception as exc:
            if not _refused_value(exc):
                raise
            session.rollback()
            reason = f"the database refused it: {type(exc).__name__}: {feed_rules.short(str(exc), 300)}"
            quarantine.add(session, [quarantine.Item("events", _event_key(raw), "database", reason, raw)], received_at)
            session.commit()
            part = IngestResult(received=1, quarantined=1)
        total.absorb(part)
    if next_url:
        secrets.put(session, secrets.EVENTS_NEXT_URL, next_url)
        session.commit()
    return total


def _event_key(raw) -> str | None:
    """What identifies a raw event in quarantine: its id when it has a string one."""
    event_id = raw.get("id") if isinstance(raw, dict) else None
    return event_id if isinstance(event_id, str) and event_id else None


def _refused_value(exc: BaseException) -> bool:
    """True when the database or its driver refused a value; False for connection, lock and other errors."""
    if isinstance(exc, DataError):
        return True
    if isinstance(exc, DBAPIError):
        return False
    return isinstance(exc, (StatementError, ValueError))


def _count_interactions(session: Session, per_person: Counter) -> None:
    """Keep persons.interactions_count true: add this batch's new rows in one statement."""
    if not per_person:
        return
    table = Person.__table__
    if session.get_bind().dialect.name == "postgresql":
        increments = values(column("pid", Uuid), column("n", Integer), name="increments").data(list(per_person.items()))
        session.execute(
            table.update()
            .where(table.c.id == increments.c.pid)
            .values(interactions_count=table.c.interactions_count + increments.c.n)
        )
        return
    # SQLite cannot alias VALUES columns; its executemany runs in-process (no round trips).
    stmt = table.update().where(table.c.id == bindparam("pid"))
    stmt = stmt.values(interactions_count=table.c.interactions_count + bindparam("n"))
    session.execute(stmt, [{"pid": pid, "n": n} for pid, n in per_person.items()])


def _apply_follows(session: Session, events: list[_Event], owner: str, received_at: datetime) -> int:
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


def _apply_broadcasts(session: Session, events: list[_Event], owner: str, received_at: datetime) -> int:
    """broadcastStart opens a segment (joining the last session if it ended ≤ gap ago); Stop closes it."""
    minutes = current_app.config["BROADCAST_SESSION_GAP_MINUTES"] if has_app_context() else DEFAULT_GAP_MINUTES
    gap = timedelta(minutes=minutes)
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


def save_tokens(session: Session, events_token: str | None, stats_token: str | None = None, *, user=None) -> list[str]:
    """Store the pasted tokens (blank = keep); a new Events token drops the old cursor. Commit; return what changed."""
    from mhc.services import audit

    changed = []
    if events_token and events_token.strip():
        secrets.put(session, secrets.EVENTS_TOKEN, events_token.strip())
        secrets.delete(session, secrets.EVENTS_NEXT_URL)  # the cursor embeds the old token
        changed.append(secrets.EVENTS_TOKEN)
    if stats_token and stats_token.strip():
        secrets.put(session, STATS_TOKEN, stats_token.strip())
        changed.append(STATS_TOKEN)
    for name in changed:
        audit.record(session, action="secret_set", object_type="stored_secret", object_id=name, user=user)
    session.commit()
    return changed


STATS_TOKEN = "stats_api_token"  # noqa: S105 (a key name, not a secret)


class EventsNotConfigured(RuntimeError):
    """No Events API token has been pasted yet."""


@dataclass
class ListenSettings:
    """Everything the longpoll loop needs from configuration (passed in, so tests can bound it)."""

    events_api_url: str
    stats_api_url: str
    owner: str
    longpoll_timeout: int = 30
    client_margin: float = 15.0
    backoff: tuple[float, float] = (5.0, 60.0)
    stats_every: float = 300.0
    max_batches: int | None = None
    max_seconds: float | None = None
    http: HttpSettings = field(default_factory=HttpSettings)

    @classmethod
    def from_config(cls, config, **overrides) -> ListenSettings:
        """Settings from a Flask config mapping, with per-run overrides."""
        values = {
            "events_api_url": config["EVENTS_API_URL"],
            "stats_api_url": config["STATS_API_URL"],
            "owner": config["OWNER_USERNAME"],
            "longpoll_timeout": config["EVENTS_LONGPOLL_TIMEOUT"],
            "client_margin": config["EVENTS_CLIENT_MARGIN"],
            "backoff": tuple(config["EVENTS_RETRY_BACKOFF"]),
            "stats_every": config["STATS_POLL_SECONDS"],
            "http": HttpSettings.from_config(config),
        }
        return cls(**{**values, **overrides})


@dataclass
class ListenTotals:
    """Counts of one listener run (what the JobRun row records)."""

    batches: int = 0
    received: int = 0
    inserted: int = 0
    duplicates: int = 0
    flagged: int = 0
    quarantined: int = 0
    retries: int = 0
    stats_samples: int = 0
    last_error: str | None = None

    def add(self, result: IngestResult) -> None:
        """Add one batch's result."""
        self.batches += 1
        for name in ("received", "inserted", "duplicates", "flagged", "quarantined"):
            setattr(self, name, getattr(self, name) + getattr(result, name))


def listen(session: Session, settings: ListenSettings, *, stop=None, progress=None, clock=None, http=None):
    """Longpoll the Events API until stopped; each batch and its cursor commit together.

    Token errors (400/401/404) raise EventsTokenError: retrying cannot help. Other errors wait
    (doubling backoff) and retry the same URL, so nothing is skipped. A nextUrl that leaves the configured
    Events API (another host, scheme or path) is never requested nor saved: it counts as such an error.
    The longpoll session does not retry on its own (this loop does, keeping the cursor); the Stats API's does.
    """
    clock = clock or utcnow
    stats_http = http or make_session(settings.http)
    http = http or make_session(settings.http, retries=False)
    totals = ListenTotals()
    url = _start_url(session, settings, totals, progress)
    session.rollback()  # end the read transaction: nothing is held open while the request waits
    wait, started, last_stats = settings.backoff[0], time.monotonic(), None
    while not (stop is not None and stop.is_set()):
        if settings.max_seconds is not None and time.monotonic() - started >= settings.max_seconds:
            break
        if settings.stats_every and (last_stats is None or time.monotonic() - last_stats >= settings.stats_every):
            last_stats = time.monotonic()
            totals.stats_samples += poll_stats(session, settings, stats_http, clock)
        try:
            batch = events_api.fetch(http, url, settings.longpoll_timeout + settings.client_margin)
            _check_next_url(settings.events_api_url, batch.next_url)
        except events_api.EventsTokenError:
            raise
        except events_api.EventsApiError as exc:
            totals.retries, totals.last_error = totals.retries + 1, str(exc)
            if progress:
                progress(totals, f"retrying in {wait:.0f}s after: {exc}")
            if _pause(stop, wait):
                break
            wait = min(max(wait * 2, 1.0), settings.backoff[1]) if settings.backoff[1] else 0.0
            continue
        totals.add(ingest_batch(session, batch.events, batch.next_url, clock(), settings.owner))
        url, wait = batch.next_url, settings.backoff[0]
        if progress:
            progress(totals, f"{totals.batches} batches, {totals.inserted} new events")
        if settings.max_batches is not None and totals.batches >= settings.max_batches:
            break
    return totals


def cursor_problem(base_url: str, url: str) -> str | None:
    """Why `url` may not be followed as the Events API cursor, or None when it may.

    It must keep the scheme, host, port and path prefix of the configured EVENTS_API_URL, carry no
    user part, and hold no character that URL parsers disagree on (backslash, space, control)."""
    if len(url) > MAX_CURSOR or any(c in "\\ " or ord(c) < 32 or 0xD800 <= ord(c) < 0xE000 for c in url):
        return "nextUrl holds characters a cursor never has"
    base, nxt = urlsplit(base_url), urlsplit(url)
    try:
        same_origin = _origin(nxt) == _origin(base) and "@" not in nxt.netloc
    except ValueError:  # a port that is not a number
        same_origin = False
    if not same_origin:
        return f"nextUrl points to {_shown_origin(nxt)}, outside the configured {_shown_origin(base)}"
    prefix = base.path if base.path.endswith("/") else base.path + "/"
    if not nxt.path.startswith(prefix) or {".", ".."} & set(unquote(nxt.path).split("/")):
        return f"nextUrl leaves the path {prefix} of the configured Events API"
    return None


def _origin(parts) -> tuple:
    scheme = parts.scheme.lower()
    return scheme, (parts.hostname or "").lower(), parts.port or DEFAULT_PORTS.get(scheme)


def _shown_origin(parts) -> str:
    """scheme://host[:port] only: the path and query of an Events API URL hold the token."""
    host = (parts.hostname or "")[:100]
    try:
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        port = ""
    return f"{parts.scheme.lower()[:20]}://{host}{port}"


class ForeignCursor(events_api.EventsApiError):
    """The answer's nextUrl leaves the configured Events API: the last good cursor is kept."""


def _check_next_url(base_url: str, url: str) -> None:
    problem = cursor_problem(base_url, url)
    if problem:
        log.error("Events API answer refused, last cursor kept: %s", problem)
        raise ForeignCursor(f"{problem}; kept the last cursor")


def _start_url(session: Session, settings: ListenSettings, totals: ListenTotals, progress) -> str:
    """The stored cursor, or the first URL when there is none or the stored one leaves the Events API."""
    token = secrets.get(session, secrets.EVENTS_TOKEN)
    if not token:
        raise EventsNotConfigured("no Events API token: paste one under Admin → Events API")
    stored = secrets.get(session, secrets.EVENTS_NEXT_URL)
    problem = stored and cursor_problem(settings.events_api_url, stored)
    if problem:
        totals.last_error = f"stored cursor discarded: {problem}"
        log.error("Events API: %s; starting again from the configured URL", totals.last_error)
        secrets.delete(session, secrets.EVENTS_NEXT_URL)
        session.commit()
        if progress:
            progress(totals, totals.last_error)
        stored = None
    return stored or events_api.first_url(settings.events_api_url, settings.owner, token, settings.longpoll_timeout)


def _pause(stop, seconds: float) -> bool:
    """Wait before a retry; True when asked to stop meanwhile."""
    if stop is not None:
        return stop.wait(seconds)
    time.sleep(seconds)
    return False


def poll_stats(session: Session, settings: ListenSettings, http, clock) -> int:
    """One Stats API reading when a Stats token is set; a failure is noted, never fatal. Returns 0 or 1."""
    token = secrets.get(session, STATS_TOKEN)
    session.rollback()
    if not token:
        return 0
    try:
        stats = stats_api.fetch(http, settings.stats_api_url, settings.owner, token, timeout=30.0)
    except stats_api.StatsApiError:
        return 0
    record_owner_stats(session, stats, clock())
    return 1


@dataclass(frozen=True)
class ListenerStatus:
    """What the panel may show about the listener: dates and states, never a token or the cursor."""

    token: str
    stats_token: str
    cursor: str
    last_run: object | None


def listener_status(session: Session) -> ListenerStatus:
    """Token/cursor descriptions ("set <date>" / "not set") and the newest events_listen run."""
    from mhc.models import JobRun

    last = session.scalars(
        select(JobRun).where(JobRun.kind == "events_listen").order_by(JobRun.created_at.desc()).limit(1)
    ).first()
    return ListenerStatus(
        token=secrets.describe(session, secrets.EVENTS_TOKEN),
        stats_token=secrets.describe(session, STATS_TOKEN),
        cursor=secrets.describe(session, secrets.EVENTS_NEXT_URL),
        last_run=last,
    )
