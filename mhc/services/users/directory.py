"""The Users lists: base sets per tab, filter conditions, counts, paging and the batch changes they trigger.

Paging ("deferred join"). A list page runs (1) its counts, (2) one id query and (3) one row query. The id
query selects only `persons.id` in the page's order with OFFSET/LIMIT; every sort matches an index
((column, id) and (column DESC NULLS LAST, id DESC) on persons, migrations 0001/0006; the (date) WHERE flag
indexes on profiles for the follow tabs), so PostgreSQL reads the index in order, index-only for the
Directory: skipping 9,950 entries for page 200 costs about what page 1 costs (bench/list_pages.py
measures both). The row query then loads those 50 persons with profile and priority lookup by primary key.
Page numbers stay (Flask-Admin's pager); a keyset cursor was not needed at this size.

Counts. PostgreSQL: the planner's estimate (EXPLAIN, not executed) when it expects well over
EXACT_COUNT_CAP rows, shown as "≈ 120.0k"; otherwise an exact count of at most EXACT_COUNT_CAP + 1 rows.
SQLite: exact. "Apply to all N matching" confirmations always count exactly (count_exact).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Boolean, Select, String, and_, exists, func, literal, select, text, true, update
from sqlalchemy.orm import Query, Session, aliased

from mhc.models import Person, PriorityLookup, Profile, Role, utcnow
from mhc.services import audit
from mhc.services.owner import broadcasts
from mhc.services.stats import format_count, planner_rows

EXACT_COUNT_CAP = 2_000
ESTIMATE_TRUST_FACTOR = 2  # planner estimates above 2x the cap are shown as they are (see count_rows)
BATCH_INLINE_LIMIT = 500
LOAD_CHUNK = 5_000  # ids per IN list (SQLite binds at most 32,766 parameters)
MODEL_ROLES = (Role.MODEL.value, Role.BOTH.value)
VIEWER_ROLES = (Role.VIEWER.value, Role.BOTH.value)
ROLE_TOGGLES = {"all": None, "models": MODEL_ROLES, "viewers": VIEWER_ROLES}
TABS = ("directory", "following", "followers", "unfollowed")
PLACEHOLDER_MARKERS = ("no_image", "noimage", "placeholder", "default_avatar")


@dataclass(frozen=True)
class ListCount:
    """A list size; `approximate` when it is PostgreSQL's estimate."""

    value: int
    approximate: bool = False

    def __str__(self) -> str:
        return format_count(self.value, self.approximate)


# --- base sets and conditions (used by the views' get_query and their filters) ---


def tab_condition(tab: str):
    """The WHERE clause that defines a tab's persons (profiles joined)."""
    if tab == "directory":
        return None
    # `= true` (not `IS true`): it matches the partial indexes' predicates ((following_since) WHERE following)
    if tab == "following":
        return Profile.following == true()
    if tab == "followers":
        return Profile.follower == true()
    if tab == "unfollowed":
        return Profile.unfollower_at.isnot(None)
    raise ValueError(f"unknown tab {tab!r}")


def tab_query(session: Session, tab: str) -> Query:
    """ORM query of the tab's persons; tabs other than the directory inner-join their profile."""
    query = session.query(Person)
    condition = tab_condition(tab)
    if condition is not None:
        query = query.join(Profile, Profile.person_id == Person.id).filter(condition)
    return query


def role_condition(toggle: str):
    """All | Models | Viewers: BOTH counts as a model and as a viewer."""
    roles = ROLE_TOGGLES.get(toggle)
    return None if roles is None else Person.role.in_(roles)


def age_range_condition(low: int | None, high: int | None):
    """Cached age within [low, high] (either bound optional)."""
    parts = []
    if low is not None:
        parts.append(Person.age >= low)
    if high is not None:
        parts.append(Person.age <= high)
    return and_(*parts) if parts else None


def tag_condition(dialect: str, tag: str):
    """The person's profile carries this tag (lowercased); GIN-indexed `?` on PostgreSQL.

    The EXISTS reads its own alias of profiles: the follow tabs join profiles already, and a subquery over
    the same name would be correlated away to nothing."""
    tag = tag.strip().lstrip("#").lower()
    profile = aliased(Profile)
    if dialect == "postgresql":
        match = profile.tags.op("?", return_type=Boolean)(literal(tag, String()))  # JSONB: array has this string
    else:
        each = func.json_each(profile.tags).table_valued("value")
        match = exists(select(literal(1)).select_from(each).where(each.c.value == tag))
    return exists(select(literal(1)).select_from(profile).where(profile.person_id == Person.id, match))


def unfollowed_within_condition(days: int | None, as_of: datetime | None = None):
    """Unfollowed (this user stopped following me) within the last `days` days; None = any time."""
    if days is None:
        return Profile.unfollower_at.isnot(None)
    return Profile.unfollower_at >= (as_of or utcnow()) - timedelta(days=days)


def search_condition(term: str):
    """Username search: `^abc` prefix, `=abc` exact, else substring (trigram index on PostgreSQL)."""
    term = term.strip().lower()
    if term.startswith("="):
        return Person.username == term[1:]
    escaped = term.lstrip("^").replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    pattern = f"{escaped}%" if term.startswith("^") else f"%{escaped}%"
    return Person.username.like(pattern, escape="\\")


def is_placeholder_image(url: str | None) -> bool:
    """True for missing or placeholder thumbnails (CHATURBATE.md §2): never shown as a real photo."""
    if not url or not url.lower().startswith(("http://", "https://")):
        return True
    lowered = url.lower()
    return any(marker in lowered for marker in PLACEHOLDER_MARKERS)


# --- counts ---


def count_rows(session: Session, query: Query) -> ListCount:
    """The list size shown on a page: exact when cheap, else PostgreSQL's estimate labelled approximate.

    PostgreSQL: ask the planner first (EXPLAIN, no execution); when it expects more than
    ESTIMATE_TRUST_FACTOR x EXACT_COUNT_CAP rows the estimate is shown. Otherwise count at most
    EXACT_COUNT_CAP + 1 rows exactly. That capped count still joins or rechecks up to 2,001 rows (10-50 ms
    for a tag or substring filter at 200k persons) and, past the cap, only learns that the estimate stands;
    the planner's estimates for these filters were within 20% at that size (bench/list_pages.py), so a
    factor of 2 keeps the exact count for lists that may really be under the cap.
    SQLite (small installations): always exact.
    """
    ids = query.with_entities(Person.id).order_by(None)
    if session.get_bind().dialect.name != "postgresql":
        return ListCount(count_exact(session, query))
    estimate = _planner_rows(session, ids.statement)
    if estimate > ESTIMATE_TRUST_FACTOR * EXACT_COUNT_CAP:
        return ListCount(estimate, approximate=True)
    capped = session.scalar(select(func.count()).select_from(ids.limit(EXACT_COUNT_CAP + 1).subquery())) or 0
    if capped <= EXACT_COUNT_CAP:
        return ListCount(capped)
    return ListCount(max(estimate, EXACT_COUNT_CAP + 1), approximate=True)


def count_exact(session: Session, query: Query) -> int:
    """The exact number of rows a list query matches (for confirmations: "apply to all N")."""
    ids = query.with_entities(Person.id).order_by(None)
    return session.scalar(select(func.count()).select_from(ids.subquery())) or 0


def _planner_rows(session: Session, stmt: Select) -> int:
    """PostgreSQL's row estimate for a statement (EXPLAIN with the statement's own bound parameters)."""
    return planner_rows(session, stmt)


def toggle_counts(session: Session, query: Query) -> dict[str, ListCount]:
    """Counts for All | Models | Viewers over a query that has no role condition yet.

    A small list (SQLite, or at most EXACT_COUNT_CAP rows on PostgreSQL) is counted for all three toggles
    in one scan. A larger one shows the planner's estimate for All (the EXPLAIN that decided) and counts
    Models and Viewers on their own (count_rows).
    """
    postgres = session.get_bind().dialect.name == "postgresql"
    estimate = _planner_rows(session, query.with_entities(Person.id).order_by(None).statement) if postgres else 0
    if estimate <= ESTIMATE_TRUST_FACTOR * EXACT_COUNT_CAP:
        roles = query.with_entities(Person.role).order_by(None)
        if postgres:
            roles = roles.limit(EXACT_COUNT_CAP + 1)
        sub = roles.subquery()
        counts = session.execute(
            select(func.count(), *(func.count().filter(sub.c.role.in_(r)) for r in (MODEL_ROLES, VIEWER_ROLES)))
        ).one()
        if not postgres or counts[0] <= EXACT_COUNT_CAP:
            return {toggle: ListCount(int(n)) for toggle, n in zip(ROLE_TOGGLES, counts, strict=True)}
        estimate = max(estimate, EXACT_COUNT_CAP + 1)
    # Too many for one capped scan: All is the estimate already made. Models and Viewers are that estimate
    # times their share of persons (what the planner itself assumes for the role condition, without
    # planning the filtered query twice more); a share that may fall under the cap is counted.
    out = {"all": ListCount(estimate, approximate=True)}
    shares = _role_shares(session)
    for toggle in ("models", "viewers"):
        share = round(estimate * shares[toggle]) if toggle in shares else 0
        if share > ESTIMATE_TRUST_FACTOR * EXACT_COUNT_CAP:
            out[toggle] = ListCount(share, approximate=True)
        else:
            out[toggle] = count_rows(session, query.filter(role_condition(toggle)))
    return out


# Column statistics change only when PostgreSQL analyzes persons: read them again after this long.
ROLE_SHARES_TTL = 300.0
_role_shares_cache: dict[str, tuple[float, dict[str, float]]] = {}


def _role_shares(session: Session) -> dict[str, float]:
    """Share of persons under the Models and Viewers toggles, from PostgreSQL's column statistics (the
    roles are few, so all of them are most-common values); empty before the first ANALYZE. Kept per
    database for ROLE_SHARES_TTL seconds (reading pg_stats costs about a millisecond a page)."""
    key = session.get_bind().url.render_as_string(hide_password=True)
    cached = _role_shares_cache.get(key)
    if cached and time.monotonic() - cached[0] < ROLE_SHARES_TTL:
        return cached[1]
    row = session.execute(
        text(
            "SELECT most_common_vals::text, most_common_freqs FROM pg_stats "
            "WHERE schemaname = current_schema() AND tablename = 'persons' AND attname = 'role'"
        )
    ).first()
    shares = {}
    if row is not None and row[0] is not None:
        freqs = dict(zip(row[0].strip("{}").split(","), row[1], strict=True))
        shares = {t: sum(freqs.get(role, 0.0) for role in ROLE_TOGGLES[t]) for t in ("models", "viewers")}
        _role_shares_cache[key] = (time.monotonic(), shares)
    return shares


# --- paging ---


def order_by(columns, desc: bool) -> list:
    """ORDER BY for a sort column (or tuple of columns), with the person id as the tie-breaker.

    Person columns sort NULLs last either way, matching the (column, id) and (column DESC NULLS LAST,
    id DESC) indexes, so the page is read in index order; username sorts on (platform, username), the
    unique index. Profile columns (follow dates) sort in the order of their partial (date) WHERE flag
    indexes instead, which puts unknown dates first when descending, and break ties on profiles.person_id.
    """
    columns = columns if isinstance(columns, tuple) else (columns,)
    on_profile = columns[0].class_ is Profile
    out = []
    for column in columns:
        term = column.desc() if desc else column.asc()
        out.append(term.nullslast() if getattr(column.expression, "nullable", True) and not on_profile else term)
    tiebreak = Profile.person_id if on_profile else Person.id
    return out + [tiebreak.desc() if desc else tiebreak.asc()]


def page_ids(query: Query, order: Sequence, offset: int, limit: int | None) -> list[uuid.UUID]:
    """The ids of one page in order (an index-only read on PostgreSQL for the plain tabs)."""
    ids = query.with_entities(Person.id).order_by(*order)
    if offset:
        ids = ids.offset(offset)
    if limit:
        ids = ids.limit(limit)
    return [row[0] for row in ids.all()]


def load_persons(session: Session, ids: list[uuid.UUID]) -> list[Person]:
    """Persons with their profile and priority lookup (one joined query), in the order of `ids`."""
    if not ids:
        return []
    from sqlalchemy.orm import joinedload

    by_id = {}
    for start in range(0, len(ids), LOAD_CHUNK):
        chunk = ids[start : start + LOAD_CHUNK]
        query = session.query(Person).options(joinedload(Person.profile), joinedload(Person.priority_lookup))
        by_id.update((row.id, row) for row in query.filter(Person.id.in_(chunk)))
    return [by_id[i] for i in ids if i in by_id]


def resolve_ids(query: Query, raw_ids: Iterable) -> list[uuid.UUID]:
    """The subset of raw (string) ids that the query can see; others are silently dropped."""
    ids = []
    for raw in raw_ids:
        try:
            ids.append(raw if isinstance(raw, uuid.UUID) else uuid.UUID(str(raw)))
        except ValueError:
            continue
    if not ids:
        return []
    found = {row[0] for row in query.with_entities(Person.id).filter(Person.id.in_(ids)).order_by(None).all()}
    return [i for i in dict.fromkeys(ids) if i in found]


def all_ids(query: Query) -> list[uuid.UUID]:
    """Every id the (filtered) query matches, for an "all N matching" action."""
    return [row[0] for row in query.with_entities(Person.id).order_by(None).all()]


# --- batch changes ---


def set_excluded(session: Session, person_ids: Iterable, excluded: bool, *, user=None) -> int:
    """Exclude persons from aggregates (or include them again); one audit row per change; one commit."""
    ids = [i if isinstance(i, uuid.UUID) else uuid.UUID(str(i)) for i in person_ids]
    if not ids:
        return 0
    changed = list(
        session.execute(
            select(Person.id, Person.username).where(Person.id.in_(ids), Person.is_excluded.isnot(excluded))
        )
    )
    if changed:
        stmt = update(Person).where(Person.id.in_([row.id for row in changed])).values(is_excluded=excluded)
        session.execute(stmt.execution_options(synchronize_session=False))
        for row in changed:
            audit.record(
                session,
                action="update",
                object_type="persons",
                object_id=row.id,
                user=user,
                changes={"is_excluded": [not excluded, excluded]},
            )
    session.commit()
    return len(changed)


# --- profile page ---


def find_by_username(session: Session, username: str) -> Person | None:
    """One person by (case-insensitive) username, with profile and priority loaded."""
    name = (username or "").strip().lower()
    person = session.scalar(select(Person).where(Person.platform == "chaturbate", Person.username == name))
    return person


def autocomplete(session: Session, prefix: str, limit: int = 10) -> list[str]:
    """Usernames starting with `prefix` (then containing it), shortest first."""
    term = (prefix or "").strip().lower()
    if not term:
        return []
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
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


def priority_statuses(session: Session, person_ids: Iterable) -> dict[str, dict]:
    """{person id: {priority, status, reason}} for the Priority column's live updates."""
    ids = []
    for raw in person_ids:
        try:
            ids.append(uuid.UUID(str(raw)))
        except ValueError:
            continue
    if not ids:
        return {}
    rows = session.execute(
        select(
            PriorityLookup.person_id, PriorityLookup.priority, PriorityLookup.status, PriorityLookup.failure_reason
        ).where(PriorityLookup.person_id.in_(ids[:500]))
    )
    return {str(r.person_id): {"priority": r.priority, "status": r.status, "reason": r.failure_reason} for r in rows}


def parse_uuid(value) -> uuid.UUID:
    """A UUID from a UUID or its string form."""
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


# --- profile page: timeline and follower history ---


@dataclass(frozen=True)
class TimelineEntry:
    """One thing that happened to a person, for the Profile page timeline."""

    at: datetime
    kind: str  # follow | snapshot | interaction | priority | edit
    title: str
    detail: str = ""
    changes: dict | None = None


TIMELINE_PER_SOURCE = 100
# Affiliate snapshots read for the timeline's broadcasts: one per 5-minute cycle online, so about 80 hours.
BROADCAST_SNAPSHOTS = 1000
LIVE_WITHIN = timedelta(minutes=30)


def timeline(session: Session, person: Person, limit: int = 200) -> list[TimelineEntry]:
    """Follow events, snapshots, interactions, priority changes and admin edits, newest first (fixed queries)."""
    from mhc.models import AffiliateSnapshot, AuditLog, FollowEvent, Interaction, Snapshot

    n = TIMELINE_PER_SOURCE
    entries: list[TimelineEntry] = []
    for ev in session.scalars(
        select(FollowEvent).where(FollowEvent.person_id == person.id).order_by(FollowEvent.observed_at.desc()).limit(n)
    ):
        who = "You → them" if ev.direction == "following" else "They → you"
        entries.append(TimelineEntry(ev.observed_at, "follow", f"{ev.action.title()} ({who})", f"source: {ev.source}"))
    for snap in session.scalars(
        select(Snapshot).where(Snapshot.person_id == person.id).order_by(Snapshot.observed_at.desc()).limit(n)
    ):
        detail = f"followers {snap.follower_count:,}" if snap.follower_count is not None else ""
        entries.append(TimelineEntry(snap.observed_at, "snapshot", f"Snapshot ({snap.source})", detail))
    a = AffiliateSnapshot
    points = session.execute(
        select(a.observed_at, a.seconds_online, a.current_show, a.num_users, a.num_followers, a.room_subject)
        .where(a.person_id == person.id)
        .order_by(a.observed_at.desc())
        .limit(BROADCAST_SNAPSHOTS)
    )
    for broadcast in broadcasts.group_broadcasts(broadcasts.SnapshotPoint(*row) for row in points)[:n]:
        title = "Broadcast (Affiliate API)"
        entries.append(TimelineEntry(broadcast.started_at, "snapshot", title, broadcasts.describe(broadcast)))
    for event in session.scalars(
        select(Interaction).where(Interaction.person_id == person.id).order_by(Interaction.occurred_at.desc()).limit(n)
    ):
        detail = " ".join(p for p in (f"{event.amount} tokens" if event.amount else "", event.text or "") if p)
        entries.append(TimelineEntry(event.occurred_at, "interaction", f"{event.type} in {event.room or '?'}", detail))
    entries += _priority_entries(session, person)
    for row in session.scalars(
        select(AuditLog)
        .where(AuditLog.object_id.in_(_audit_ids(session, person)), AuditLog.object_type.in_(("persons", "profiles")))
        .order_by(AuditLog.at.desc())
        .limit(n)
    ):
        entries.append(
            TimelineEntry(
                row.at,
                "edit",
                f"{row.action.title()} {row.object_type} by {row.username or 'system'}",
                changes=row.diff or {},
            )
        )
    entries.sort(key=lambda e: e.at, reverse=True)
    return entries[:limit]


def live_show(session: Session, person: Person, now: datetime) -> str | None:
    """The show a model is live in ("public", "private", ...), else None. Live (CHATURBATE.md §2) means the
    newest Affiliate API snapshot is at most LIVE_WITHIN old and names a show; a show alone goes stale."""
    from mhc.models import AffiliateSnapshot

    a = AffiliateSnapshot
    newest = session.execute(
        select(a.observed_at, a.current_show).where(a.person_id == person.id).order_by(a.observed_at.desc()).limit(1)
    ).first()
    if newest is None or not newest.current_show or now - newest.observed_at > LIVE_WITHIN:
        return None
    return newest.current_show


def _audit_ids(session: Session, person: Person) -> list[str]:
    ids = [str(person.id)]
    profile_id = session.scalar(select(Profile.id).where(Profile.person_id == person.id))
    if profile_id is not None:
        ids.append(str(profile_id))
    return ids


def _priority_entries(session: Session, person: Person) -> list[TimelineEntry]:
    lookup = session.scalar(select(PriorityLookup).where(PriorityLookup.person_id == person.id))
    if lookup is None:
        return []
    out = [TimelineEntry(lookup.created_at, "priority", f"Added to P{lookup.priority}", lookup.note or "")]
    if lookup.updated_at and lookup.updated_at != lookup.created_at:
        reason = f": {lookup.failure_reason}" if lookup.failure_reason else ""
        out.append(TimelineEntry(lookup.updated_at, "priority", f"P{lookup.priority} {lookup.status}{reason}"))
    if lookup.completed_at and lookup.completed_at != lookup.updated_at:
        out.append(TimelineEntry(lookup.completed_at, "priority", f"P{lookup.priority} complete"))
    return out


def follower_history(session: Session, person_id, limit: int = 1000) -> list[tuple[datetime, int]]:
    """(time, follower count) from profile snapshots and the Affiliate API, oldest first."""
    from mhc.models import AffiliateSnapshot, Snapshot

    pid = parse_uuid(person_id)
    scraped = select(Snapshot.observed_at.label("at"), Snapshot.follower_count.label("n")).where(
        Snapshot.person_id == pid, Snapshot.follower_count.isnot(None), Snapshot.follower_count > 0
    )
    feed = select(AffiliateSnapshot.observed_at.label("at"), AffiliateSnapshot.num_followers.label("n")).where(
        AffiliateSnapshot.person_id == pid,
        AffiliateSnapshot.num_followers.isnot(None),
        AffiliateSnapshot.num_followers > 0,
    )
    both = scraped.union_all(feed).subquery()
    rows = session.execute(select(both.c.at, both.c.n).order_by(both.c.at.desc()).limit(limit)).all()
    return [(r.at, r.n) for r in reversed(rows)]
