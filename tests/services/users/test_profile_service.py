"""apply_profile_result: snapshot, profile, current state, age precedence, lookup, failures."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from mhc.extensions import db
from mhc.models import AffiliateSnapshot, FollowEvent, Person, PriorityLookup, Profile, Snapshot
from mhc.scraping.parsers.profile import ProfileParseResult, parse_profile_page
from mhc.services.users import profiles
from tests.factories import make_person

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "chaturbate"
T0 = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
T1 = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def online_result() -> ProfileParseResult:
    """The captured online page, parsed without an owner (no follow state)."""
    html = (FIXTURES / "cb-followed-online.html").read_text(encoding="utf-8")
    return parse_profile_page(html, "ghostdaddy9")


def ghost(priority: int | None = 1, **columns) -> Person:
    """ghostdaddy9, the captured pages' person, with a lookup the job is processing unless `priority` is None."""
    lookup = {"priority": priority, "status": "processing", "created_at": T0} if priority else None
    return make_person("ghostdaddy9", first_seen_at=T0, lookup=lookup, **columns)


def lookup_of(person: Person) -> PriorityLookup:
    return db.session.scalar(select(PriorityLookup).where(PriorityLookup.person_id == person.id))


def snapshot_count(person: Person) -> int:
    return db.session.scalar(select(func.count()).select_from(Snapshot).where(Snapshot.person_id == person.id))


def test_apply_stores_snapshot_profile_state_and_completes_p1(app, online_result):
    person = ghost()
    outcome = profiles.apply_profile_result(db.session, person.id, online_result, T1)
    assert (outcome.ok, outcome.snapshot_created, outcome.follow_observed) == (True, True, None)
    db.session.expire_all()
    snap = db.session.scalars(select(Snapshot).where(Snapshot.person_id == person.id)).one()
    assert (snap.source, snap.observed_at, snap.follower_count, snap.online) == ("profile_scrape", T1, 17222, True)
    assert snap.data["tags"] == ["findom", "hung", "tall", "stud", "muscle"]
    profile = db.session.scalar(select(Profile).where(Profile.person_id == person.id))
    assert (profile.display_name, profile.age, profile.age_flagged, profile.birth_date) == (
        "Big Boy",
        27,
        False,
        "1998-05-28",
    )
    assert (profile.gender, profile.gender_raw, profile.location, profile.languages) == (
        "m",
        "A Man",
        "Tartarus",
        ["English"],
    )
    assert profile.follower_count == 17222 and profile.has_fan_club is True and profile.online is True
    assert profile.photo_sets == [
        {"id": 22778744, "title": "Just me!! :D", "kind": "photos", "locked": False, "price_tokens": None}
    ]
    assert profile.social_links[0] == {
        "platform": "OnlyFans",
        "url": "https://onlyfans.com/ghostdaddy9_9",
        "price_tokens": None,
    }
    assert profile.last_scraped_at == T1
    person = db.session.get(Person, person.id)
    assert (person.age, person.num_followers, person.snapshots_count, person.last_seen_at) == (27, 17222, 1, T1)
    assert person.image_url == "https://thumb.live.mmcdn.com/ri/ghostdaddy9.jpg"
    lookup = lookup_of(person)
    assert (lookup.status, lookup.completed_at, lookup.last_checked_at, lookup.failure_reason) == (
        "complete",
        T1,
        T1,
        None,
    )


def test_apply_twice_changes_nothing_more(app, online_result):
    person = ghost()
    profiles.apply_profile_result(db.session, person.id, online_result, T1)
    again = profiles.apply_profile_result(db.session, person.id, online_result, T1)
    assert again.snapshot_created is False
    db.session.expire_all()
    assert snapshot_count(person) == 1
    assert db.session.get(Person, person.id).snapshots_count == 1


def test_p2_lookup_is_checked_and_complete(app, online_result):
    person = ghost(priority=2)
    profiles.apply_profile_result(db.session, person.id, online_result, T1)
    db.session.expire_all()
    lookup = lookup_of(person)
    assert (lookup.priority, lookup.status, lookup.last_checked_at) == (2, "complete", T1)


def test_newest_affiliate_age_wins_over_profile_age(app, online_result):
    person = ghost(age=30)
    for observed, age in ((T0, 31), (datetime(2026, 11, 20, 13, 0, tzinfo=UTC), 32)):
        db.session.add(AffiliateSnapshot(person_id=person.id, observed_at=observed, username="ghostdaddy9", age=age))
    db.session.commit()
    profiles.apply_profile_result(db.session, person.id, online_result, T1)
    db.session.expire_all()
    assert db.session.get(Person, person.id).age == 32
    assert db.session.scalar(select(Profile.age).where(Profile.person_id == person.id)) == 27


def test_flagged_profile_age_is_stored_but_not_shown(app, online_result):
    person = ghost()
    profiles.apply_profile_result(db.session, person.id, replace(online_result, age=99, age_flagged=True), T1)
    db.session.expire_all()
    profile = db.session.scalar(select(Profile).where(Profile.person_id == person.id))
    assert (profile.age, profile.age_flagged) == (99, True)
    assert db.session.get(Person, person.id).age is None


def test_placeholder_image_and_empty_values_keep_what_is_stored(app, online_result):
    real = "https://thumb.live.mmcdn.com/ri/ghostdaddy9.jpg"
    person = ghost(image_url=real, num_followers=100)
    db.session.add(Profile(person_id=person.id, location="Old Town", bio="old bio", tags=["old"]))
    db.session.commit()
    sparse = replace(
        online_result,
        image_url="https://roomimg.stream.highwebmedia.com/ri/no_image.jpg",
        location=None,
        bio="",
        tags=[],
        followers=None,
        online=None,
    )
    profiles.apply_profile_result(db.session, person.id, sparse, T1)
    db.session.expire_all()
    person = db.session.get(Person, person.id)
    assert (person.image_url, person.num_followers, person.last_seen_at) == (real, 100, None)
    profile = db.session.scalar(select(Profile).where(Profile.person_id == person.id))
    assert (profile.location, profile.bio, profile.tags, profile.image_url) == ("Old Town", "old bio", ["old"], None)


def test_failed_parse_marks_lookup_failed_and_changes_nothing_else(app):
    person = ghost(num_followers=5)
    rejected = ProfileParseResult(ok=False, username="ghostdaddy9", reason="page is '/other/', not the profile")
    outcome = profiles.apply_profile_result(db.session, person.id, rejected, T1)
    assert (outcome.ok, outcome.reason) == (False, "page is '/other/', not the profile")
    db.session.expire_all()
    lookup = lookup_of(person)
    assert (lookup.status, lookup.failure_reason, lookup.completed_at) == (
        "failed",
        "page is '/other/', not the profile",
        None,
    )
    assert snapshot_count(person) == 0
    assert db.session.get(Person, person.id).snapshots_count == 0
    assert db.session.scalar(select(Profile).where(Profile.person_id == person.id)) is None


def test_person_without_lookup_is_still_recorded(app, online_result):
    person = ghost(priority=None)
    assert profiles.apply_profile_result(db.session, person.id, online_result, T1).ok is True
    assert snapshot_count(person) == 1


def test_unknown_person_is_an_error(app, online_result):
    with pytest.raises(LookupError):
        profiles.apply_profile_result(db.session, uuid.uuid4(), online_result, T1)


def test_offline_page_keeps_the_stored_subject_and_tags(app, online_result):
    person = ghost()
    db.session.add(Profile(person_id=person.id, room_subject="live subject #a", tags=["a"]))
    db.session.commit()
    stale = replace(online_result, online=False, room_subject="old subject #b", tags=["b"])
    profiles.apply_profile_result(db.session, person.id, stale, T1)
    db.session.expire_all()
    profile = db.session.scalar(select(Profile).where(Profile.person_id == person.id))
    assert (profile.room_subject, profile.tags, profile.online) == ("live subject #a", ["a"], False)
    assert db.session.get(Person, person.id).last_seen_at is None


def follow_events(person: Person) -> list[tuple]:
    stmt = select(FollowEvent).where(FollowEvent.person_id == person.id).order_by(FollowEvent.observed_at)
    return [(e.direction, e.action, e.source, e.observed_at) for e in db.session.scalars(stmt)]


def test_follow_state_seen_as_the_owner_goes_to_the_follow_ledger(app, online_result):
    person = ghost()
    followed = replace(online_result, following=True, logged_in_as="hudson_cage")
    assert profiles.apply_profile_result(db.session, person.id, followed, T1).follow_observed == "follow"
    profiles.apply_profile_result(db.session, person.id, followed, T1)  # same page again: no second event
    db.session.expire_all()
    profile = db.session.scalar(select(Profile).where(Profile.person_id == person.id))
    assert (profile.following, profile.following_since, profile.unfollowed_at) == (True, T1, None)
    assert follow_events(person) == [("following", "follow", "profile_scrape", T1)]

    t2 = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
    not_followed = replace(followed, following=False)
    assert profiles.apply_profile_result(db.session, person.id, not_followed, t2).follow_observed == "unfollow"
    db.session.expire_all()
    profile = db.session.scalar(select(Profile).where(Profile.person_id == person.id))
    assert (profile.following, profile.following_since, profile.unfollowed_at) == (False, T1, t2)
    assert follow_events(person) == [
        ("following", "follow", "profile_scrape", T1),
        ("following", "unfollow", "profile_scrape", t2),
    ]


def test_no_follow_state_records_no_follow_history(app, online_result):
    person = ghost()
    assert online_result.following is None
    profiles.apply_profile_result(db.session, person.id, online_result, T1)
    assert follow_events(person) == []
    assert db.session.scalar(select(Profile.following).where(Profile.person_id == person.id)) is False
