"""The Profile page of one person: its header (follow state, priority lookup, live show) and its timeline."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from mhc.models import (
    AffiliateSnapshot,
    AuditLog,
    FollowEvent,
    Interaction,
    Person,
    PriorityLookup,
    Profile,
    Snapshot,
    parse_uuid,
)
from mhc.services.owner import broadcasts
from mhc.services.users import lookup_state

TIMELINE_PER_SOURCE = 100
FOLLOW_TITLES = {
    ("following", "follow"): "You followed them",
    ("following", "unfollow"): "You unfollowed them",
    ("follower", "follow"): "They followed you",
    ("follower", "unfollow"): "They unfollowed you",
}
# Where a follow change was seen, as the owner says it (the follow_events sources).
SOURCE_WORDS = {
    "list_scrape": "seen in a follow list read",
    "events_api": "from your room's events",
    "profile_scrape": "seen on their profile page",
    "manual_import": "from a follow list you imported",
}
EDIT_TITLES = {
    "note_added": "Staff note added",
    "note_edited": "Staff note edited",
    "note_deleted": "Staff note deleted",
}
# Affiliate snapshots read for the timeline's broadcasts: one per 5-minute cycle online, so about 80 hours.
BROADCAST_SNAPSHOTS = 1000
LIVE_WITHIN = timedelta(minutes=30)


@dataclass(frozen=True)
class ProfileHeader:
    """What the top of a Profile page shows besides the person's own columns."""

    profile: Profile | None
    lookup: PriorityLookup | None
    days_followed: int | None
    live_show: str | None


@dataclass(frozen=True)
class TimelineEntry:
    """One thing that happened to a person, for the Profile page timeline."""

    at: datetime
    kind: str  # follow | snapshot | interaction | priority | edit
    title: str
    detail: str = ""
    changes: dict | None = None


def profile_header(session: Session, person: Person, now: datetime) -> ProfileHeader:
    """The person's profile, priority lookup, days followed and live show (three queries)."""
    profile = session.scalar(select(Profile).where(Profile.person_id == person.id))
    lookup = session.scalar(select(PriorityLookup).where(PriorityLookup.person_id == person.id))
    return ProfileHeader(profile, lookup, days_followed(profile), live_show(session, person, now))


def days_followed(profile: Profile | None) -> int | None:
    """Whole days between Followed On (follower_since) and Unfollowed On (unfollower_at)."""
    if profile is None or profile.follower_since is None or profile.unfollower_at is None:
        return None
    return max((profile.unfollower_at - profile.follower_since).days, 0)


def live_show(session: Session, person: Person, now: datetime) -> str | None:
    """The show a model is live in ("public", "private", ...), else None. Live (docs/domain.md, "Live and
    rank") means the newest Affiliate API snapshot is at most LIVE_WITHIN old and names a show; a show alone
    goes stale."""
    a = AffiliateSnapshot
    newest = session.execute(
        select(a.observed_at, a.current_show).where(a.person_id == person.id).order_by(a.observed_at.desc()).limit(1)
    ).first()
    if newest is None or not newest.current_show or now - newest.observed_at > LIVE_WITHIN:
        return None
    return newest.current_show


def timeline(session: Session, person: Person, limit: int = 200) -> list[TimelineEntry]:
    """Follow events, snapshots, broadcasts, interactions, priority changes and admin edits, newest first
    (one query per source, at most TIMELINE_PER_SOURCE entries each)."""
    entries = [
        *_follow_entries(session, person.id),
        *_snapshot_entries(session, person.id),
        *_broadcast_entries(session, person.id),
        *_interaction_entries(session, person.id),
        *_priority_entries(session, person),
        *_edit_entries(session, person),
    ]
    entries.sort(key=lambda e: e.at, reverse=True)
    return entries[:limit]


def _newest(session: Session, model, person_id, at) -> list:
    """The person's newest TIMELINE_PER_SOURCE rows of a per-person table, newest (by column `at`) first."""
    stmt = select(model).where(model.person_id == person_id).order_by(at.desc()).limit(TIMELINE_PER_SOURCE)
    return list(session.scalars(stmt))


def _follow_entries(session: Session, person_id) -> list[TimelineEntry]:
    out = []
    for ev in _newest(session, FollowEvent, person_id, FollowEvent.observed_at):
        title = FOLLOW_TITLES[(ev.direction, ev.action)]
        out.append(TimelineEntry(ev.observed_at, "follow", title, SOURCE_WORDS.get(ev.source, ev.source)))
    return out


def _snapshot_entries(session: Session, person_id) -> list[TimelineEntry]:
    out = []
    for snap in _newest(session, Snapshot, person_id, Snapshot.observed_at):
        detail = f"{snap.follower_count:,} followers" if snap.follower_count is not None else ""
        title = "Profile page read" if snap.source == "profile_scrape" else f"Snapshot ({snap.source})"
        out.append(TimelineEntry(snap.observed_at, "snapshot", title, detail))
    return out


def _broadcast_entries(session: Session, person_id) -> list[TimelineEntry]:
    a = AffiliateSnapshot
    points = session.execute(
        select(a.observed_at, a.seconds_online, a.current_show, a.num_users, a.num_followers, a.room_subject)
        .where(a.person_id == person_id)
        .order_by(a.observed_at.desc())
        .limit(BROADCAST_SNAPSHOTS)
    )
    found = broadcasts.group_broadcasts(broadcasts.SnapshotPoint(*row) for row in points)[:TIMELINE_PER_SOURCE]
    title = "Broadcast (Affiliate API)"
    return [TimelineEntry(b.started_at, "snapshot", title, broadcasts.describe(b)) for b in found]


def _interaction_entries(session: Session, person_id) -> list[TimelineEntry]:
    out = []
    for event in _newest(session, Interaction, person_id, Interaction.occurred_at):
        detail = " ".join(p for p in (f"{event.amount} tokens" if event.amount else "", event.text or "") if p)
        out.append(TimelineEntry(event.occurred_at, "interaction", f"{event.type} in {event.room or '?'}", detail))
    return out


def _edit_entries(session: Session, person: Person) -> list[TimelineEntry]:
    """Panel edits of the person or its profile (the audit log keys them by their own ids)."""
    profile_id = session.scalar(select(Profile.id).where(Profile.person_id == person.id))
    ids = [str(person.id)] + ([str(profile_id)] if profile_id is not None else [])
    rows = session.scalars(
        select(AuditLog)
        .where(AuditLog.object_id.in_(ids), AuditLog.object_type.in_(("persons", "profiles")))
        .where(AuditLog.action != "set_priority")  # the timeline's own priority entry shows it; History lists each
        .order_by(AuditLog.at.desc())
        .limit(TIMELINE_PER_SOURCE)
    )
    return [
        TimelineEntry(
            row.at,
            "edit",
            f"{EDIT_TITLES.get(row.action) or f'{row.action.title()} {row.object_type}'} by {row.username or 'system'}",
            changes=row.diff or {},
        )
        for row in rows
    ]


def _priority_entries(session: Session, person: Person) -> list[TimelineEntry]:
    lookup = session.scalar(select(PriorityLookup).where(PriorityLookup.person_id == person.id))
    if lookup is None:
        return []
    out = [TimelineEntry(lookup.created_at, "priority", f"Added to P{lookup.priority}", lookup.note or "")]
    if lookup.updated_at and lookup.updated_at != lookup.created_at:
        # The reason's short label (mhc/services/failures.py), never the raw error text.
        reason = (
            f": {lookup_state.explain(lookup.priority, 'failed', lookup.failure_reason, {}).label}"
            if (lookup.status == "failed")
            else ""
        )
        out.append(TimelineEntry(lookup.updated_at, "priority", f"P{lookup.priority} {lookup.status}{reason}"))
    if lookup.completed_at and lookup.completed_at != lookup.updated_at:
        out.append(TimelineEntry(lookup.completed_at, "priority", f"P{lookup.priority} complete"))
    return out


def follower_history(session: Session, person_id, limit: int = 1000) -> list[tuple[datetime, int]]:
    """(time, follower count) from profile snapshots and the Affiliate API, oldest first."""
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
