"""The follow ledger's rules as a timeline, on whichever backend the suite runs."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from mhc import sqlcompat
from mhc.extensions import db
from mhc.models import FollowEvent, Person, Profile
from mhc.services.follows.follow_ledger import (
    FollowListError,
    FollowObservation,
    apply_follow_list,
    apply_observations,
    preview_follow_list,
)
from mhc.services.follows.list_apply import ListApply

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True, params=["join", "probe"])
def persons_lookup(request, monkeypatch):
    """Every rule holds whichever way a list finds its persons: PostgreSQL joins the persons table for a
    long list and probes its index for a short one (the tests' lists are all short of a tiny table, so
    "probe" forces it; SQLite always probes)."""
    if request.param == "probe":
        monkeypatch.setattr(ListApply, "_probes", lambda self, listed: sqlcompat.is_postgres(self.session))
    else:
        monkeypatch.setattr(ListApply, "_probes", lambda self, listed: False)
    return request.param


def at(days: float) -> datetime:
    return T0 + timedelta(days=days)


def state(username: str, direction: str = "follower") -> tuple:
    """(marked, since, ended) for one person and direction, fresh from the database."""
    db.session.expire_all()
    profile = db.session.scalar(select(Profile).join(Person).where(Person.username == username))
    if direction == "follower":
        return profile.follower, profile.follower_since, profile.unfollower_at
    return profile.following, profile.following_since, profile.unfollowed_at


def history(username: str | None = None) -> list[tuple]:
    stmt = select(
        Person.username, FollowEvent.direction, FollowEvent.action, FollowEvent.source, FollowEvent.observed_at
    )
    stmt = stmt.join(Person, Person.id == FollowEvent.person_id).order_by(FollowEvent.id)
    if username:
        stmt = stmt.where(Person.username == username)
    return [tuple(row) for row in db.session.execute(stmt)]


def role(username: str) -> str:
    return db.session.scalar(select(Person.role).where(Person.username == username))


def test_timeline_follow_unfollow_refollow(app):
    r = apply_follow_list(db.session, "follower", ["Alice", "bob", "cal"], at(0), "list_scrape")
    assert (r.added, r.removed, r.unchanged, r.created, r.current) == (3, 0, 0, 3, 0)
    assert state("alice") == (True, at(0), None)
    assert role("alice") == "VIEWER"

    r = apply_follow_list(db.session, "follower", ["bob", "cal"], at(1), "list_scrape")
    assert (r.added, r.removed, r.unchanged) == (0, 1, 2)
    assert state("alice") == (False, at(0), at(1))

    r = apply_follow_list(db.session, "follower", ["bob", "alice", "cal"], at(2), "list_scrape")
    assert (r.added, r.removed, r.unchanged) == (1, 0, 2)
    assert state("alice") == (True, at(0), None)  # since keeps the first date

    r = apply_follow_list(db.session, "follower", ["bob", "cal"], at(3), "manual_import")
    assert (r.added, r.removed) == (0, 1)
    assert state("alice") == (False, at(0), at(3))
    assert history("alice") == [
        ("alice", "follower", "follow", "list_scrape", at(0)),
        ("alice", "follower", "unfollow", "list_scrape", at(1)),
        ("alice", "follower", "follow", "list_scrape", at(2)),
        ("alice", "follower", "unfollow", "manual_import", at(3)),
    ]


def test_new_persons_get_distinct_version_4_ids(app):
    """The database makes the ids of persons a list creates; the ORM reads them back as UUIDs."""
    r = apply_follow_list(db.session, "following", [f"new_{i}" for i in range(50)], at(0), "list_scrape")
    assert r.created == 50
    ids = db.session.scalars(select(Person.id).where(Person.username.like("new_%"))).all()
    assert len(set(ids)) == 50
    assert {(i.version, i.variant) for i in ids} == {(4, uuid.RFC_4122)}
    assert db.session.get(Person, ids[0]).profile.following


def test_same_list_twice_changes_nothing(app):
    apply_follow_list(db.session, "following", ["a1", "a2", "a3"], at(0), "list_scrape")
    before = history()
    r = apply_follow_list(db.session, "following", ["a3", "a2", "A1"], at(0), "list_scrape")
    assert (r.added, r.removed, r.unchanged, r.created) == (0, 0, 3, 0)
    r = apply_follow_list(db.session, "following", ["a1", "a2", "a3"], at(1), "list_scrape")
    assert (r.added, r.removed, r.unchanged) == (0, 0, 3)
    assert history() == before
    assert state("a1", "following") == (True, at(0), None)


def test_older_list_does_not_undo_newer_event(app):
    apply_follow_list(db.session, "follower", ["alice", "bob"], at(0), "list_scrape")
    # Events API: carol follows at day 2, bob unfollows at day 2.
    apply_observations(
        db.session,
        [
            FollowObservation("carol", "follower", "follow", at(2), "events_api", "e1"),
            FollowObservation("bob", "follower", "unfollow", at(2), "events_api", "e2"),
        ],
    )
    # A list scraped at day 1 (before those events) is applied afterwards.
    r = apply_follow_list(db.session, "follower", ["alice", "bob"], at(1), "list_scrape")
    assert (r.added, r.removed, r.unchanged, r.ignored_older) == (0, 0, 1, 2)
    assert state("carol")[0] is True
    assert state("bob") == (False, at(0), at(2))
    assert len(history()) == 4


def test_older_observation_ignored_and_event_ids_deduped(app):
    obs = [FollowObservation("dave", "follower", "follow", at(5), "events_api", "e1")]
    apply_observations(db.session, obs)
    r = apply_observations(db.session, obs)  # same event again
    assert (r.added, r.listed) == (0, 0)
    r = apply_observations(db.session, [FollowObservation("dave", "follower", "unfollow", at(4), "profile_scrape")])
    assert (r.removed, r.ignored_older) == (0, 1)
    assert state("dave") == (True, at(5), None)
    # Follow then unfollow in one batch at the same time: order decides.
    r = apply_observations(
        db.session,
        [
            FollowObservation("erin", "follower", "follow", at(6), "events_api", "e2"),
            FollowObservation("erin", "follower", "unfollow", at(6), "events_api", "e3"),
        ],
    )
    assert (r.added, r.removed) == (1, 1)
    assert state("erin") == (False, at(6), at(6))
    assert [h[2] for h in history("erin")] == ["follow", "unfollow"]


def test_observation_older_than_last_complete_list_is_ignored(app):
    apply_follow_list(db.session, "following", ["frank"], at(0), "list_scrape")
    apply_follow_list(db.session, "following", ["frank"], at(3), "list_scrape")  # confirms at day 3
    r = apply_observations(db.session, [FollowObservation("frank", "following", "unfollow", at(2), "profile_scrape")])
    assert r.ignored_older == 1
    assert state("frank", "following")[0] is True


def test_role_merge_to_both(app):
    apply_follow_list(db.session, "following", ["model_a", "shared"], at(0), "list_scrape")
    apply_follow_list(db.session, "follower", ["viewer_b", "shared"], at(0), "list_scrape")
    apply_observations(db.session, [FollowObservation("model_a", "follower", "follow", at(1), "events_api")])
    assert (role("model_a"), role("shared"), role("viewer_b")) == ("BOTH", "BOTH", "VIEWER")
    assert state("shared", "following")[0] and state("shared", "follower")[0]


def test_mass_removal_guard_holds_until_confirmed(app):
    names = [f"user{i}" for i in range(30)]
    apply_follow_list(db.session, "follower", names, at(0), "list_scrape")
    before = history()
    preview = preview_follow_list(db.session, "follower", names[:15], at(1))
    assert (preview.removed, preview.current, preview.held) == (15, 30, True)
    r = apply_follow_list(db.session, "follower", names[:15], at(1), "list_scrape")
    assert (r.held, r.applied, r.removed, r.current) == (True, False, 15, 30)
    assert "confirm" in r.reason
    assert history() == before
    assert state("user20")[0] is True
    r = apply_follow_list(db.session, "follower", names[:15], at(1), "list_scrape", confirm_mass_removal=True)
    assert (r.held, r.applied, r.removed) == (False, True, 15)
    assert state("user20") == (False, at(0), at(1))


def test_small_removals_pass_the_guard(app):
    names = [f"user{i}" for i in range(30)]
    apply_follow_list(db.session, "follower", names, at(0), "list_scrape")
    r = apply_follow_list(db.session, "follower", names[:20], at(1), "list_scrape")  # 10 of 30: not more than 10
    assert (r.held, r.removed) == (False, 10)


def test_invalid_input_rejected(app):
    with pytest.raises(FollowListError):
        apply_follow_list(db.session, "follower", ["ok", "not ok!"], at(0), "list_scrape")
    with pytest.raises(FollowListError):
        apply_follow_list(db.session, "followers", ["ok"], at(0), "list_scrape")
    with pytest.raises(FollowListError):
        apply_follow_list(db.session, "follower", ["ok"], datetime(2026, 1, 1), "list_scrape")  # noqa: DTZ001
    assert history() == []
