"""ingest_batch: every raw event once (by id), persons linked, cursor saved in the same transaction."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from mhc.extensions import db
from mhc.models import Interaction, Person
from mhc.models.owner import BroadcastSegment, BroadcastSession
from mhc.services import secrets
from tests.services.sources.events.feed import OWNER, T0, build_batches, clock_for, ev, ingest, msg


def _ingest_all(batches, start=0):
    clock = clock_for(start)
    for k, batch in enumerate(batches[start:], start):
        ingest(batch, f"http://x/events/{OWNER}/tok/?i={k + 1}", clock(), OWNER)


def _count(model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_repeated_identical_tips_are_all_kept_and_ids_deduplicated(app):
    tip = {"tokens": 1, "isAnon": False, "message": ""}
    batch = [ev(f"t{i}", "tip", user="fan", tip=tip) for i in range(5)] + [ev("t0", "tip", user="fan", tip=tip)]
    first = ingest(batch, "http://x/?i=1", T0, OWNER)
    again = ingest(batch, "http://x/?i=2", T0 + timedelta(seconds=5), OWNER)
    assert (first.received, first.inserted, first.duplicates) == (6, 5, 1)
    assert (again.inserted, again.duplicates) == (0, 6)
    assert _count(Interaction) == 5
    assert db.session.scalar(select(func.sum(Interaction.amount))) == 5
    fan = db.session.scalar(select(Person).where(Person.username == "fan"))
    assert (fan.role, fan.interactions_count) == ("VIEWER", 5)
    assert secrets.get(db.session, secrets.EVENTS_NEXT_URL) == "http://x/?i=2"


def test_pm_counterpart_dm_and_own_activity_elsewhere(app):
    batch = [
        ev("p1", "privateMessage", user="fan", message=msg("hi", fromUser="fan", toUser=OWNER)),
        ev("p2", "privateMessage", user=OWNER, message=msg("hey", fromUser=OWNER, toUser="fan")),
        ev("d1", "privateMessage", room="", user=OWNER, message=msg("dm", fromUser=OWNER, toUser="pal")),
        ev("o1", "chatMessage", room="other_model", user=OWNER, message=msg("yo")),
    ]
    ingest(batch, "http://x/?i=1", T0, OWNER)
    rows = {r.event_id: r for r in db.session.scalars(select(Interaction))}
    people = dict(db.session.execute(select(Person.id, Person.username)).all())
    assert [
        (people[rows[k].person_id], rows[k].from_username, rows[k].to_username, rows[k].room, rows[k].is_direct)
        for k in ("p1", "p2", "d1", "o1")
    ] == [
        ("fan", "fan", OWNER, OWNER, False),
        ("fan", OWNER, "fan", OWNER, False),
        ("pal", OWNER, "pal", None, True),
        ("other_model", OWNER, "other_model", "other_model", False),
    ]
    roles = dict(db.session.execute(select(Person.username, Person.role)).all())
    assert roles == {"fan": "VIEWER", OWNER: "BOTH", "pal": "UNKNOWN", "other_model": "MODEL"}


def test_broadcaster_falls_back_to_envelope(app):
    raw = {
        "method": "tip",
        "id": "e1",
        "broadcaster": OWNER,
        "object": {"user": {"username": "Fan_1"}, "tip": {"tokens": 3}},
    }
    ingest([raw], "http://x/?i=1", T0, OWNER)
    row = db.session.scalar(select(Interaction))
    assert (row.room, row.from_username, row.amount, row.is_flagged) == (OWNER, "fan_1", 3, False)


@pytest.mark.parametrize(
    "raw",
    [
        "not an object",
        {"method": "tip", "object": {"broadcaster": OWNER, "user": {"username": "a"}, "tip": {"tokens": 1}}},
        {"method": "somethingNew", "id": "n1", "object": {}},
        {"method": "tip", "id": "n2", "object": {"broadcaster": OWNER, "user": {"username": "a"}, "tip": {}}},
        {"method": "chatMessage", "id": "n3", "object": "oops"},
        {"method": "tip", "id": "n4", "object": {"broadcaster": 5, "user": {"username": "a"}, "tip": {"tokens": 1}}},
    ],
)
def test_malformed_event_is_stored_raw_and_flagged_others_kept(app, raw):
    good = ev("ok-1", "chatMessage", user="fan", message=msg("fine"))
    result = ingest([raw, good], "http://x/?i=1", T0, OWNER)
    assert (result.inserted, result.flagged) == (2, 1)
    flagged = db.session.scalar(select(Interaction).where(Interaction.is_flagged.is_(True)))
    assert flagged.raw == raw
    assert _count(Interaction, Interaction.is_flagged.is_(False)) == 1
    again = ingest([raw, good], "http://x/?i=1", T0, OWNER)
    assert again.inserted == 0


def test_cursor_is_saved_with_the_batch_or_not_at_all(app):
    secrets.put(db.session, secrets.EVENTS_NEXT_URL, "http://x/?i=1")
    db.session.commit()
    ingest([ev("a", "userEnter", user="fan")], "http://x/?i=2", T0, OWNER, commit=False)
    db.session.rollback()
    assert secrets.get(db.session, secrets.EVENTS_NEXT_URL) == "http://x/?i=1"
    assert _count(Interaction) == 0


def test_broadcast_segments_join_into_sessions_within_the_gap(app):
    def go(event_id, method, minutes):
        ingest([ev(event_id, method, user=OWNER)], None, T0 + timedelta(minutes=minutes), OWNER)

    go("s1", "broadcastStart", 0)
    go("x1", "broadcastStop", 10)
    go("s2", "broadcastStart", 40)  # 30 minutes later: same session
    go("x2", "broadcastStop", 50)
    go("s3", "broadcastStart", 81)  # 31 minutes later: a new session
    go("s3b", "broadcastStart", 82)  # a repeated start does not split the segment
    sessions = db.session.execute(
        select(BroadcastSession.started_at, BroadcastSession.ended_at, BroadcastSession.segments_count).order_by(
            BroadcastSession.started_at
        )
    ).all()
    assert sessions == [(T0, T0 + timedelta(minutes=50), 2), (T0 + timedelta(minutes=81), None, 1)]
    assert _count(BroadcastSegment) == 3


def test_broadcasts_in_other_rooms_are_not_the_owners(app):
    ingest([ev("s1", "broadcastStart", room="other", user="other")], None, T0, OWNER)
    assert _count(BroadcastSegment) == 0


def test_scripted_feed_counts_sessions_and_followers(app):
    from mhc.models import FollowEvent, Profile

    _ingest_all(build_batches())
    assert _count(Interaction) == 193
    assert _count(Interaction, Interaction.is_flagged.is_(True)) == 3
    assert db.session.scalar(select(func.sum(Interaction.amount)).where(Interaction.type == "tip")) == 20 + 250 + 10
    assert _count(Person) == 29
    counts = dict(db.session.execute(select(Person.username, Person.interactions_count)).all())
    assert (counts[OWNER], counts["othermodel"], counts["dmfriend"], counts["v01"]) == (5, 5, 2, 2 + 2 + 5 + 20 + 2)
    assert sum(counts.values()) == 193 - 1  # the unknown-method event links to nobody
    sessions = db.session.execute(
        select(BroadcastSession.started_at, BroadcastSession.ended_at, BroadcastSession.segments_count)
    ).all()
    assert sessions == [(T0, T0 + timedelta(minutes=36), 2)]
    segments = db.session.execute(
        select(BroadcastSegment.started_at, BroadcastSegment.ended_at).order_by(BroadcastSegment.started_at)
    ).all()
    assert segments == [(T0, T0 + timedelta(minutes=8)), (T0 + timedelta(minutes=28), T0 + timedelta(minutes=36))]
    followers = dict(
        db.session.execute(
            select(Person.username, Profile.follower)
            .join(Profile, Profile.person_id == Person.id)
            .where(Person.username.like("f%"))
        ).all()
    )
    assert followers == {"f1": True, "f2": False, "f3": True, "f4": True, "f5": False, "f6": True}
    history = db.session.execute(
        select(Person.username, FollowEvent.action, FollowEvent.source, FollowEvent.event_id)
        .join(Person, Person.id == FollowEvent.person_id)
        .order_by(FollowEvent.id)
    ).all()
    assert history == [(f"f{i}", "follow", "events_api", f"follow-f{i}") for i in range(1, 7)] + [
        ("f2", "unfollow", "events_api", "unfollow-f2"),
        ("f5", "unfollow", "events_api", "unfollow-f5"),
    ]


def test_follow_event_newer_than_a_scrape_start_is_not_undone_by_it(app):
    from mhc.models import Profile
    from mhc.services.follows.follow_ledger import apply_follow_list

    base = ["a1", "a2", "a3", "a4", "a5", "gone"]
    apply_follow_list(db.session, "follower", base, T0 - timedelta(hours=1), "list_scrape")
    # While a followers scrape (started at T0) runs, the Events API reports a follow and an unfollow.
    ingest(
        [ev("f-new", "follow", user="newfan"), ev("u-gone", "unfollow", user="gone")],
        "http://x/?i=1",
        T0 + timedelta(minutes=3),
        OWNER,
    )
    # The scrape's list was read before those events: it lacks newfan and still lists gone.
    apply_follow_list(db.session, "follower", base, T0, "list_scrape")
    state = dict(
        db.session.execute(
            select(Person.username, Profile.follower).join(Profile, Profile.person_id == Person.id)
        ).all()
    )
    assert state == {"a1": True, "a2": True, "a3": True, "a4": True, "a5": True, "gone": False, "newfan": True}
