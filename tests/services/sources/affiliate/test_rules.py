"""Feed decoding, placeholder images, "None" strings, age precedence and the priority rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from mhc.clients.affiliate_api import AffiliateApiError, parse_room
from mhc.extensions import db
from mhc.models import Person, PriorityLookup, Profile
from mhc.scraping.parsers.images import is_placeholder_image
from mhc.services.sources import affiliate
from mhc.services.users import priorities
from tests.fake_chaturbate.affiliate import make_room

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def record(*rooms, at=T0):
    return affiliate.record_cycle(db.session, [parse_room(r, i) for i, r in enumerate(rooms, start=1)], at)


def person(name: str) -> Person:
    return db.session.scalar(select(Person).where(Person.username == name))


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("age", "24", "room 'x1': field 'age' should be an integer, got '24'"),
        ("num_followers", True, "room 'x1': field 'num_followers' should be an integer, got True"),
        ("is_hd", "false", "room 'x1': field 'is_hd' should be true/false, got 'false'"),
        ("tags", "feet", "room 'x1': field 'tags' should be a list of strings, got 'feet'"),
        ("room_subject", 5, "room 'x1': field 'room_subject' should be a string, got 5"),
        ("username", 5, "room #1 has no username: 5"),
        ("username", " ", "room #1 has no username: ' '"),
        ("display_name", ["x" * 100], "room 'x1': field 'display_name' should be a string, got ['xxxxxxxx"),
    ],
)
def test_wrong_field_types_are_rejected(field, value, message):
    with pytest.raises(AffiliateApiError) as err:
        parse_room({**make_room("x1"), field: value}, 1)
    assert str(err.value).startswith(message) and len(str(err.value)) < 200


def test_none_strings_and_case():
    room = parse_room(
        make_room("Mixed_Case", display_name="None", location=" null ", country="", tags=["Feet", "", "feet"]), 7
    )
    assert (room.username, room.display_name, room.location, room.country, room.tags, room.rank) == (
        "mixed_case",
        None,
        None,
        None,
        ["feet"],
        7,
    )


@pytest.mark.parametrize(
    "url",
    [
        "https://roomimg.stream.highwebmedia.com/ri/no_image.jpg",
        "https://thumb.live.mmcdn.com/noimage.png",
        "https://static.example/placeholder/x.jpg",
        "https://static.example/Default_Avatar.png",
    ],
)
def test_placeholder_images_are_never_stored(app, url):
    real = "https://roomimg.stream.highwebmedia.com/ri/hotel.jpg"
    record(make_room("hotel", image_url=real), at=T0)
    record(make_room("hotel", image_url=url, image_url_360x270=url), at=T0 + timedelta(minutes=5))
    assert person("hotel").image_url == real
    assert person("hotel").profile.image_url == real
    assert is_placeholder_image(url) is True


def test_age_precedence(app):
    record(make_room("india", age=None))
    assert person("india").age is None
    profile = person("india").profile
    profile.age = 31
    db.session.commit()
    record(make_room("india", age=None), at=T0 + timedelta(minutes=5))
    assert person("india").age == 31  # no feed age: the scraped profile age
    record(make_room("india", age=27), at=T0 + timedelta(minutes=10))
    assert person("india").age == 27  # the newest feed age wins
    record(make_room("india", age=99), at=T0 + timedelta(minutes=15))
    assert person("india").age == 31  # 99 is stored in the snapshot but not shown as fact
    snaps = db.session.scalars(
        select(affiliate.AffiliateSnapshot.age).where(affiliate.AffiliateSnapshot.username == "india")
    )
    assert sorted(a for a in snaps if a is not None) == [27, 99]


def test_idempotent_profile_and_person_counts(app):
    record(make_room("lima"))
    record(make_room("lima"), at=T0 + timedelta(minutes=5))
    assert db.session.scalar(select(db.func.count()).select_from(Profile)) == 1
    assert person("lima").snapshots_count == 2
    assert person("lima").first_seen_at == T0
    assert person("lima").last_seen_at == T0 + timedelta(minutes=5)


def test_queue_username_creates_unknown_person_with_p2(app, make_user):
    user, _ = make_user("admin")
    lookup = priorities.queue_username(db.session, "  New_Guy ", actor_id=user.id)
    assert (lookup.priority, lookup.status, lookup.requested_by_id) == (2, "queued", user.id)
    assert (person("new_guy").role, person("new_guy").profile is not None) == ("UNKNOWN", True)
    again = priorities.queue_username(db.session, "new_guy")
    assert again.id == lookup.id
    with pytest.raises(ValueError):
        priorities.queue_username(db.session, "not a name")


def test_re_adding_overwrites_level_and_status(app):
    lookup = priorities.queue_username(db.session, "mike")
    pid = lookup.person_id
    priorities.mark_status(db.session, [pid], "failed", "profile page not found")
    db.session.expire_all()
    assert (lookup.status, lookup.failure_reason) == ("failed", "profile page not found")
    assert priorities.set_priority(db.session, [pid], 1, note="first look") == 1
    db.session.expire_all()
    assert (lookup.priority, lookup.status, lookup.failure_reason, lookup.note) == (1, "queued", None, "first look")
    priorities.mark_status(db.session, [pid], "complete")
    db.session.expire_all()
    assert lookup.status == "complete" and lookup.completed_at is not None
    assert db.session.scalar(select(db.func.count()).select_from(PriorityLookup)) == 1
    with pytest.raises(ValueError):
        priorities.set_priority(db.session, [pid], 3)
    with pytest.raises(ValueError):
        priorities.mark_status(db.session, [pid], "active")


def test_set_priority_is_set_based_and_skips_unknown_ids(app):
    import uuid

    record(make_room("n1"), make_room("n2"))
    ids = [person("n1").id, person("n2").id, uuid.uuid4()]
    assert priorities.set_priority(db.session, ids, 2) == 2
    assert set(priorities.p2_person_ids(db.session)) == set(ids[:2])


def test_rank_of_a_room_missing_from_the_latest_cycle_is_emptied(app):
    """Rank = position in the latest cycle; absent now means unknown, and nothing else changes."""
    record(make_room("alpha_one", num_followers=100), make_room("beta_two", num_followers=200))
    record(make_room("beta_two", num_followers=201), at=T0 + timedelta(minutes=5))
    alpha, beta = person("alpha_one"), person("beta_two")
    assert (alpha.rank, beta.rank) == (None, 1)
    assert (alpha.last_seen_at, alpha.num_followers, alpha.role) == (T0, 100, "MODEL")
