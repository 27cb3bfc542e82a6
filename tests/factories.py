"""Rows for tests: persons (with a profile and a priority lookup), follow events, interactions, snapshots.

Each factory adds one row with the values a test gives, fills in only what the schema requires, commits,
and returns the row. Fixtures that need system users use `make_user` (tests/conftest.py).
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from mhc.extensions import db
from mhc.models import AffiliateSnapshot, FollowEvent, Interaction, Person, PriorityLookup, Profile, Snapshot, utcnow
from mhc.models.owner import BroadcastSession, OwnerStatsSample


def _save(row):
    db.session.add(row)
    db.session.commit()
    return row


def make_person(
    username: str, role: str = "MODEL", *, profile: dict | None = None, lookup: dict | None = None, **columns
) -> Person:
    """One person; a profile with the `profile` columns and a priority lookup with the `lookup` ones when given.

    Unless given, the person was first seen a year ago, so before any `last_seen_at` a test sets.
    """
    columns.setdefault("first_seen_at", utcnow() - timedelta(days=365))
    person = Person(id=uuid.uuid4(), username=username, role=role, **columns)
    db.session.add(person)
    db.session.flush()
    if profile is not None:
        db.session.add(Profile(person_id=person.id, **profile))
    if lookup is not None:
        db.session.add(PriorityLookup(person_id=person.id, **lookup))
    db.session.commit()
    return person


def make_follow_event(
    person: Person, direction: str, action: str, observed_at, *, source: str = "list_scrape", **columns
) -> FollowEvent:
    """One row of the follow history (direction 'following' or 'follower', action 'follow' or 'unfollow')."""
    return _save(
        FollowEvent(
            person_id=person.id, direction=direction, action=action, source=source, observed_at=observed_at, **columns
        )
    )


def make_interaction(type: str, occurred_at, *, person: Person | None = None, **columns) -> Interaction:  # noqa: A002
    """One Events API event (a unique event_id unless given), linked to `person` when given."""
    columns.setdefault("event_id", uuid.uuid4().hex)
    return _save(Interaction(type=type, occurred_at=occurred_at, person_id=person.id if person else None, **columns))


def make_snapshot(person: Person, observed_at, *, source: str = "profile_scrape", **columns) -> Snapshot:
    """One captured state of a person (a profile scrape unless `source` says otherwise)."""
    return _save(Snapshot(person_id=person.id, source=source, observed_at=observed_at, **columns))


def make_affiliate_snapshot(person: Person, observed_at, **columns) -> AffiliateSnapshot:
    """One Affiliate API room row for `person` (the feed's username is the person's unless given)."""
    columns.setdefault("username", person.username)
    return _save(AffiliateSnapshot(person_id=person.id, observed_at=observed_at, **columns))


def make_broadcast_session(started_at, ended_at=None, **columns) -> BroadcastSession:
    """One broadcast session of the owner's room (live while `ended_at` is None)."""
    columns.setdefault("segments_count", 1)
    return _save(BroadcastSession(started_at=started_at, ended_at=ended_at, **columns))


def make_owner_stats(observed_at, *, username: str = "hudson", **columns) -> OwnerStatsSample:
    """One Stats API reading of the owner's account."""
    return _save(OwnerStatsSample(observed_at=observed_at, username=username, **columns))
