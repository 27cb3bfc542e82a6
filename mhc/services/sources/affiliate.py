"""Record one Affiliate API cycle: persons, profiles, snapshots, current state and priority lookups.

Set-based: the cycle's rooms go into a temporary table (one COPY / executemany), then a fixed
handful of INSERT ... SELECT and UPDATE ... FROM statements apply them, whatever the room count.

Absence from the feed is unknown, never "offline": nothing about a person missing from this cycle
changes, except `persons.rank`, which means "position in the latest cycle" and is emptied for
persons the latest full cycle did not list (`rank_observed_at` says which cycle a rank came from).
A cycle cut short (time budget, repeated page) is recorded as partial: it saw only some rooms, so it
empties no rank and marks no lookup as checked beyond the rooms it saw.

Each room is checked on its own first (`screen_rooms`): one that breaks a storage rule is quarantined
in the cycle's transaction and the others are recorded.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Integer,
    String,
    Text,
    Uuid,
    func,
    insert,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session

from mhc import sqlcompat
from mhc.models import PLATFORM, AffiliateSnapshot, Person, PriorityLookup, Profile
from mhc.models.persons import Role
from mhc.models.types import UTCDateTime, parse_uuid
from mhc.scraping.parsers.images import is_placeholder_image
from mhc.services import persons
from mhc.services.sources import feed_rules, quarantine

MIN_AGE, MAX_AGE = 18, 98  # outside this the feed's age is kept in the snapshot but not shown as fact
CHECKED_STATUSES = ("queued", "processing")
# Room values and the columns they are stored in: coded values must fit, counts must be in range.
CODED_FIELDS = {"gender": 2, "country": 2, "birthday": 10, "current_show": 16, "slug": 64}
COUNT_FIELDS = ("age", "num_users", "num_followers", "seconds_online")
FREE_TEXT_FIELDS = (
    "display_name location spoken_languages room_subject image_url image_url_360x270 "
    "chat_room_url chat_room_url_revshare iframe_embed iframe_embed_revshare"
).split()
MAX_SECONDS_ONLINE = 366 * 86400  # a session start more than a year back is not a broadcast
MAX_TAG = 64
# SQL NULL (not JSON null) for a missing list, so COALESCE keeps the stored value.
JSONOrNull = JSON(none_as_null=True).with_variant(JSONB(none_as_null=True), "postgresql")

ROOMS = sqlcompat.temp_table(
    "tmp_affiliate_rooms",
    Column("username", String(64), primary_key=True),
    Column("new_id", Uuid, nullable=False),
    Column("person_id", Uuid),
    Column("rank", Integer),
    Column("display_name", Text),
    Column("age", Integer),
    Column("shown_age", Integer),
    Column("birthday", String(10)),
    Column("gender", String(2)),
    Column("location", Text),
    Column("country", String(2)),
    Column("spoken_languages", Text),
    Column("languages", JSONOrNull),
    Column("num_users", Integer),
    Column("num_followers", Integer),
    Column("is_hd", Boolean),
    Column("is_new", Boolean),
    Column("current_show", String(16)),
    Column("room_subject", Text),
    Column("tags", JSONOrNull),
    Column("seconds_online", Integer),
    Column("session_start", UTCDateTime),
    Column("image_url", Text),
    Column("image_url_360x270", Text),
    Column("chat_room_url", Text),
    Column("chat_room_url_revshare", Text),
    Column("iframe_embed", Text),
    Column("iframe_embed_revshare", Text),
    Column("slug", String(64)),
)


@dataclass
class CycleResult:
    """What one cycle recorded."""

    rooms: int = 0
    persons_created: int = 0
    snapshots: int = 0
    p1_completed: int = 0
    p2_recorded: int = 0
    lookups_checked: int = 0
    quarantined: int = 0

    def as_counts(self) -> dict:
        """Counts for the JobRun row."""
        return asdict(self)


def shown_age(age: int | None) -> int | None:
    """The feed's age when plausible; 99 and impossible ages are stored raw but not shown as fact."""
    return age if age is not None and MIN_AGE <= age <= MAX_AGE else None


def clean_room(room):
    """The room with every value storable (text cleaned and cut, codes fitting, counts in range); Rejected else."""
    values = {"username": feed_rules.username(room.username, "username")}
    for name in COUNT_FIELDS:
        values[name] = feed_rules.count(getattr(room, name), name)
    feed_rules.count(room.seconds_online, "seconds_online", MAX_SECONDS_ONLINE)
    for name, size in CODED_FIELDS.items():
        values[name] = feed_rules.fits(getattr(room, name), size, name)
    for name in FREE_TEXT_FIELDS:
        values[name] = feed_rules.clean_text(getattr(room, name)) or None
    values["tags"] = list(dict.fromkeys(filter(None, (feed_rules.clean_text(t, MAX_TAG) for t in room.tags))))
    return replace(room, **values)


def screen_rooms(rooms: Sequence, rejected: Sequence = ()) -> tuple[list, list[quarantine.Item]]:
    """Split a feed read into storable rooms (cleaned) and quarantine items (these and the `rejected` shapes)."""
    items = [quarantine.Item("affiliate", r.key, "shape", r.reason, r.raw) for r in rejected]
    kept = []
    for room in rooms:
        try:
            kept.append(clean_room(room))
        except feed_rules.Rejected as exc:
            reason = f"room {feed_rules.short(room.username)}: {exc.reason}"
            raw = room.raw if room.raw is not None else asdict(room)
            items.append(quarantine.Item("affiliate", room.username, exc.rule, reason, raw))
    return kept, items


def _room_row(room, observed_at: datetime) -> dict:
    image = None if is_placeholder_image(room.image_url) else room.image_url
    languages = [x.strip() for x in (room.spoken_languages or "").split(",") if x.strip()]
    followers = room.num_followers if room.num_followers else None  # 0 is "unknown", not a count
    start = observed_at - timedelta(seconds=room.seconds_online) if room.seconds_online is not None else None
    return {
        **{c.name: getattr(room, c.name, None) for c in ROOMS.columns if hasattr(room, c.name)},
        "username": room.username,
        "new_id": uuid.uuid4(),
        "person_id": None,
        "shown_age": shown_age(room.age),
        "languages": languages or None,
        "num_followers": followers,
        "session_start": start,
        "image_url": image,
        "image_url_360x270": None if is_placeholder_image(room.image_url_360x270) else room.image_url_360x270,
        "tags": list(room.tags),
    }


def record_cycle(
    session: Session,
    rooms: Sequence,
    observed_at: datetime,
    run_id=None,
    *,
    partial: bool = False,
    quarantined: Sequence[quarantine.Item] = (),
) -> CycleResult:
    """Apply one feed cycle (rooms already screened) and its quarantined items in one transaction.

    `partial` (a one-off refresh of a few persons, or a cycle cut short): rank and the lookups of persons
    not given are left alone, so the latest full cycle stays the reference for "current rank".
    A failure rolls everything back.
    """
    rows = list({r["username"]: r for r in (_room_row(room, observed_at) for room in rooms)}.values())
    try:
        result = _apply(session, rows, observed_at, run_id, partial)
        result.quarantined = quarantine.add(session, list(quarantined), observed_at, run_id)
        sqlcompat.release_temp_table(session, ROOMS.name)
        session.commit()
    except Exception:
        session.rollback()
        raise
    return result


def _apply(session: Session, rows: list[dict], observed_at: datetime, run_id, partial: bool) -> CycleResult:
    result = CycleResult(rooms=len(rows))
    if not partial:
        result.lookups_checked = _touch_lookups(session, observed_at)
    if not rows:
        return result
    sqlcompat.create_temp_table(session, ROOMS)
    sqlcompat.insert_rows(session, ROOMS, rows)
    sqlcompat.analyze(session, ROOMS.name)  # temp tables are never auto-analysed: plan on real counts
    result.persons_created = _insert_persons(session, observed_at)
    _resolve_person_ids(session)
    _update_persons(session, observed_at, partial)
    if not partial:
        _clear_stale_ranks(session, observed_at)
    _insert_profiles(session)
    _update_profiles(session)
    result.snapshots = _insert_snapshots(session, observed_at, run_id)
    if partial:
        result.lookups_checked = _touch_lookups(session, observed_at, PriorityLookup.person_id == ROOMS.c.person_id)
    result.p1_completed, result.p2_recorded = _complete_lookups(session, observed_at)
    return result


def _insert_persons(session: Session, observed_at: datetime) -> int:
    seen = select(ROOMS.c.username, literal(Role.MODEL.value).label("role"), ROOMS.c.new_id.label("id"))
    return persons.create_missing(session, seen, observed_at)


def _resolve_person_ids(session: Session) -> None:
    person_id = select(Person.id).where(Person.platform == PLATFORM, Person.username == ROOMS.c.username)
    session.execute(update(ROOMS).values(person_id=person_id.scalar_subquery()))


def _update_persons(session: Session, observed_at: datetime, partial: bool) -> None:
    profile_age = (
        select(Profile.age).where(Profile.person_id == Person.id, Profile.age_flagged.is_(False)).scalar_subquery()
    )
    rank = {} if partial else {"rank": ROOMS.c.rank, "rank_observed_at": observed_at}
    stmt = (
        update(Person)
        .where(Person.id == ROOMS.c.person_id)
        .values(
            **rank,
            **persons.seen_values(Role.MODEL.value, observed_at, online=True),  # a room in the feed is live
            age=func.coalesce(ROOMS.c.shown_age, profile_age, Person.age),
            num_followers=func.coalesce(ROOMS.c.num_followers, Person.num_followers),
            image_url=func.coalesce(ROOMS.c.image_url, Person.image_url),
            snapshots_count=Person.snapshots_count + 1,
        )
        .execution_options(synchronize_session=False)
    )
    session.execute(stmt)


def _clear_stale_ranks(session: Session, observed_at: datetime) -> None:
    """Rank means "position in the latest cycle": a rank from an older cycle is unknown now, so it is
    emptied (nothing else about an absent person changes). Keeps list pages free of a per-row check."""
    stmt = (
        update(Person)
        .where(Person.rank.is_not(None), or_(Person.rank_observed_at.is_(None), Person.rank_observed_at < observed_at))
        .values(rank=None)
        .execution_options(synchronize_session=False)
    )
    session.execute(stmt)


def _insert_profiles(session: Session) -> None:
    missing = select(ROOMS.c.person_id).where(
        ~select(Profile.id).where(Profile.person_id == ROOMS.c.person_id).exists()
    )
    session.execute(insert(Profile.__table__).from_select(["person_id"], missing))


def _update_profiles(session: Session) -> None:
    keep = {  # profile column -> feed column; only non-empty feed values overwrite
        "display_name": "display_name",
        "birth_date": "birthday",
        "gender": "gender",
        "location": "location",
        "country": "country",
        "languages": "languages",
        "room_subject": "room_subject",
        "image_url": "image_url",
        "follower_count": "num_followers",
    }
    values = {col: func.coalesce(ROOMS.c[src], Profile.__table__.c[col]) for col, src in keep.items()}
    values.update(tags=ROOMS.c.tags, is_new=func.coalesce(ROOMS.c.is_new, Profile.is_new))
    stmt = (
        update(Profile)
        .where(Profile.person_id == ROOMS.c.person_id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    session.execute(stmt)


SNAPSHOT_COLUMNS = (
    "rank display_name age birthday gender location country spoken_languages num_users num_followers is_hd "
    "is_new current_show room_subject tags seconds_online session_start image_url image_url_360x270 "
    "chat_room_url chat_room_url_revshare iframe_embed iframe_embed_revshare slug username"
).split()


def _insert_snapshots(session: Session, observed_at: datetime, run_id) -> int:
    run = parse_uuid(run_id) if run_id else None
    source = select(
        ROOMS.c.person_id,
        literal(run, Uuid).label("job_run_id"),
        literal(observed_at, UTCDateTime).label("observed_at"),
        *[ROOMS.c[c] for c in SNAPSHOT_COLUMNS],
    )
    cols = ["person_id", "job_run_id", "observed_at", *SNAPSHOT_COLUMNS]
    return session.execute(insert(AffiliateSnapshot.__table__).from_select(cols, source)).rowcount


def _touch_lookups(session: Session, observed_at: datetime, *where) -> int:
    """Every lookup a cycle checks (P2, and P1 not yet complete) gets last_checked_at, found or not."""
    checked = or_(PriorityLookup.priority == 2, PriorityLookup.status.in_(CHECKED_STATUSES))
    stmt = update(PriorityLookup).where(checked, *where).values(last_checked_at=observed_at, updated_at=observed_at)
    return session.execute(stmt.execution_options(synchronize_session=False)).rowcount


def _complete_lookups(session: Session, observed_at: datetime) -> tuple[int, int]:
    in_cycle = PriorityLookup.person_id == ROOMS.c.person_id  # UPDATE ... FROM: a join, not IN (subquery)
    p1 = (
        update(PriorityLookup)
        .where(in_cycle, PriorityLookup.priority == 1, PriorityLookup.status.in_(CHECKED_STATUSES))
        .values(status="complete", completed_at=observed_at, failure_reason=None)
        .execution_options(synchronize_session=False)
    )
    completed = session.execute(p1).rowcount
    p2 = session.scalar(
        select(func.count()).select_from(PriorityLookup).join(ROOMS, in_cycle).where(PriorityLookup.priority == 2)
    )
    return completed, int(p2 or 0)


def tracked_usernames(session: Session) -> dict[str, uuid.UUID]:
    """username -> person id for persons with a P2 lookup or a P1 not yet complete (checked each cycle)."""
    checked = or_(PriorityLookup.priority == 2, PriorityLookup.status.in_(CHECKED_STATUSES))
    stmt = (
        select(Person.username, Person.id)
        .join(PriorityLookup, PriorityLookup.person_id == Person.id)
        .where(checked)
        .order_by(PriorityLookup.priority.desc(), PriorityLookup.created_at)
    )
    return dict(session.execute(stmt).all())
