"""Where followers come from: per-broadcast numbers, the weekday x hour heatmap and retention cohorts equal
hand-computed values on small fixed histories (docs/domain.md#where-followers-come-from)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from config import Config, ConfigError
from mhc.extensions import db
from mhc.services.owner import analytics, local_time
from tests.factories import (
    make_affiliate_snapshot,
    make_broadcast_session,
    make_follow_event,
    make_interaction,
    make_owner_stats,
    make_person,
)

OWNER = "hudson"


def at(text: str) -> datetime:
    """A UTC moment written 'YYYY-MM-DD HH:MM'."""
    return datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=UTC)


def follower(person, action: str, when: str):
    return make_follow_event(person, "follower", action, at(when), source="events_api")


def tip(when: str, amount: int, person=None, room: str = OWNER):
    return make_interaction(
        "tip", at(when), person=person, room=room, amount=amount, from_username=person.username if person else None
    )


def enter(when: str, person):
    return make_interaction("userEnter", at(when), person=person, room=OWNER, from_username=person.username)


# ----------------------------------------------------------------------------------------- per broadcast

BROADCASTS_AS_OF = at("2026-04-20 12:00")


@pytest.fixture
def two_broadcasts(app):
    """Broadcast 1 (3 h): +3 followers, -1, four counted tips (140 tokens), 3 registered viewers, peak 60.
    Broadcast 2 (2.5 h): +1, -2, one tip of 5, 2 viewers, no viewer count sampled."""
    owner = make_person(OWNER, "MODEL")
    alice, bob, carol, dave, erin = (make_person(n, "VIEWER") for n in ("alice", "bob", "carol", "dave", "erin"))
    mallory = make_person("mallory", "VIEWER", is_excluded=True)
    other = make_person("otherroom", "MODEL")
    old = make_broadcast_session(at("2025-12-01 18:00"), at("2025-12-01 20:00"))  # older than 90 days
    b1 = make_broadcast_session(at("2026-04-10 18:00"), at("2026-04-10 21:00"))
    b2 = make_broadcast_session(at("2026-04-18 20:00"), at("2026-04-18 22:30"), segments_count=2)
    follower(dave, "follow", "2026-02-01 10:00")
    # Broadcast 1
    follower(alice, "follow", "2026-04-10 18:30")
    follower(mallory, "follow", "2026-04-10 18:45")  # excluded: counts nowhere
    follower(bob, "follow", "2026-04-10 19:00")
    follower(dave, "unfollow", "2026-04-10 19:30")
    follower(carol, "follow", "2026-04-10 20:00")
    make_follow_event(erin, "following", "follow", at("2026-04-10 20:15"))  # the owner following: not a follower
    make_interaction("broadcastStart", at("2026-04-10 18:00"), person=owner, room=OWNER, from_username=OWNER)
    tip("2026-04-10 18:40", 25, alice)
    tip("2026-04-10 19:10", 5, alice)
    tip("2026-04-10 20:30", 100, bob)
    tip("2026-04-10 20:40", 10)  # no person: still a tip in the room
    tip("2026-04-10 20:50", 1000, mallory)  # excluded
    tip("2026-04-10 19:20", 50, alice, room="otherroom")  # another room
    tip("2026-04-10 21:30", 7, bob)  # after the end
    enter("2026-04-10 18:05", alice)
    enter("2026-04-10 18:10", erin)
    enter("2026-04-10 19:50", erin)
    enter("2026-04-10 19:55", mallory)
    make_owner_stats(at("2026-04-10 19:00"), num_viewers=40)
    make_owner_stats(at("2026-04-10 20:00"), num_viewers=55)
    make_owner_stats(at("2026-04-10 21:10"), num_viewers=70)  # after the end
    make_affiliate_snapshot(owner, at("2026-04-10 19:30"), num_users=60)
    make_affiliate_snapshot(other, at("2026-04-10 19:30"), num_users=999)  # another room
    # Broadcast 2
    follower(erin, "follow", "2026-04-18 20:10")
    follower(alice, "unfollow", "2026-04-18 21:00")
    follower(bob, "unfollow", "2026-04-18 21:30")
    tip("2026-04-18 20:20", 5, erin)
    enter("2026-04-18 20:05", carol)
    make_owner_stats(at("2026-04-18 21:00"), num_viewers=None)
    return {"b1": b1.id, "b2": b2.id, "old": old.id}


def test_per_broadcast_numbers(two_broadcasts):
    got = analytics.broadcast_stats(db.session, OWNER, BROADCASTS_AS_OF, since=BROADCASTS_AS_OF - timedelta(days=90))
    assert [b.id for b in got] == [two_broadcasts["b2"], two_broadcasts["b1"]]
    b2, b1 = got
    assert (b1.duration, b1.peak_viewers, b1.unique_viewers, b1.tips, b1.tokens) == (timedelta(hours=3), 60, 3, 4, 140)
    assert [c.username for c in b1.gained] == ["alice", "bob", "carol"]
    assert [(c.username, c.observed_at) for c in b1.lost] == [("dave", at("2026-04-10 19:30"))]
    assert b1.net == 2
    assert (b2.duration, b2.peak_viewers, b2.unique_viewers, b2.tips, b2.tokens) == (
        timedelta(hours=2, minutes=30),
        None,
        2,
        1,
        5,
    )
    assert ([c.username for c in b2.gained], [c.username for c in b2.lost], b2.net) == (["erin"], ["alice", "bob"], -1)
    assert [b.id for b in analytics.top_by_net(got)] == [two_broadcasts["b1"], two_broadcasts["b2"]]


def test_a_live_broadcast_runs_to_as_of(app):
    alice = make_person("alice", "VIEWER")
    live = make_broadcast_session(at("2026-04-20 10:00"))
    follower(alice, "follow", "2026-04-20 11:00")
    follower(alice, "unfollow", "2026-04-20 12:30")  # after as_of
    [b] = analytics.broadcast_stats(db.session, OWNER, BROADCASTS_AS_OF, since=at("2026-04-01 00:00"))
    assert (b.id, b.live, b.duration, b.net, b.lost) == (live.id, True, timedelta(hours=2), 1, [])


def test_no_broadcasts(app):
    assert analytics.broadcast_stats(db.session, OWNER, BROADCASTS_AS_OF, since=at("2026-01-01 00:00")) == []


def test_query_count_does_not_grow_with_broadcasts(app):
    """Four statements for 30 sessions with a follower each: no per-broadcast queries."""
    from sqlalchemy import event

    counted = []

    def count(*_):
        counted.append(1)

    for day in range(1, 31):
        make_broadcast_session(at(f"2026-03-{day:02d} 18:00"), at(f"2026-03-{day:02d} 20:00"))
        follower(make_person(f"fan{day}", "VIEWER"), "follow", f"2026-03-{day:02d} 19:00")
    event.listen(db.engine, "before_cursor_execute", count)
    try:
        got = analytics.broadcast_stats(db.session, OWNER, BROADCASTS_AS_OF, since=at("2026-01-01 00:00"))
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert (len(got), [b.net for b in got], len(counted)) == (30, [1] * 30, 4)


# ----------------------------------------------------------------------------------------- heatmap

HEATMAP_AS_OF = at("2026-04-20 12:00")  # 90 days back: 2026-01-20 12:00


def cells(grid) -> dict[tuple[str, int], int]:
    return {(analytics.WEEKDAYS[d], h): n for d, row in enumerate(grid) for h, n in enumerate(row) if n}


@pytest.fixture
def dst_history(app):
    """Europe/Berlin leaves CET (+1) for CEST (+2) at 2026-03-29 01:00 UTC."""
    names = ("p1", "p2", "p3", "p4", "p5", "p6")
    p1, p2, p3, p4, p5, p6 = (make_person(n, "VIEWER") for n in names)
    mallory = make_person("mallory", "VIEWER", is_excluded=True)
    follower(p1, "follow", "2026-03-28 23:30")  # Sun 00:30 CET
    follower(p2, "follow", "2026-03-29 00:30")  # Sun 01:30 CET
    follower(p3, "follow", "2026-03-29 01:30")  # Sun 03:30 CEST
    follower(p4, "follow", "2026-03-29 10:00")  # Sun 12:00 CEST
    follower(p5, "follow", "2026-03-22 10:00")  # Sun 11:00 CET: same UTC hour, one local hour earlier
    follower(p6, "follow", "2025-12-01 10:00")  # before the window
    follower(p6, "unfollow", "2026-04-10 19:30")  # Fri 21:30 CEST
    follower(mallory, "follow", "2026-03-29 10:00")  # excluded
    make_follow_event(p1, "following", "follow", at("2026-03-29 10:00"))  # not a follower change
    tip("2026-04-10 18:40", 25, p1)  # Fri 20:40 CEST
    tip("2026-04-10 18:59", 10)  # Fri 20:59 CEST, no person
    tip("2026-04-10 18:50", 5, p1, room="otherroom")
    tip("2026-04-10 18:50", 500, mallory)


def test_heatmap_in_the_owner_time_zone_across_dst(dst_history):
    hm = analytics.activity_heatmap(db.session, OWNER, "Europe/Berlin", HEATMAP_AS_OF)
    assert cells(hm.grids["follows"]) == {("Sun", 0): 1, ("Sun", 1): 1, ("Sun", 3): 1, ("Sun", 11): 1, ("Sun", 12): 1}
    assert cells(hm.grids["unfollows"]) == {("Fri", 21): 1}
    assert cells(hm.grids["tips"]) == {("Fri", 20): 2}
    assert (hm.total("follows"), hm.peak("follows"), hm.total("tips")) == (5, 1, 2)


def test_heatmap_in_utc(dst_history):
    hm = analytics.activity_heatmap(db.session, OWNER, "UTC", HEATMAP_AS_OF)
    assert cells(hm.grids["follows"]) == {("Sat", 23): 1, ("Sun", 0): 1, ("Sun", 1): 1, ("Sun", 10): 2}
    assert cells(hm.grids["unfollows"]) == {("Fri", 19): 1}
    assert cells(hm.grids["tips"]) == {("Fri", 18): 2}


def test_heatmap_half_hour_offset(app):
    """Asia/Kolkata is +05:30: 10:15 and 10:45 UTC fall in two different local hours."""
    tip("2026-04-13 10:15", 1)
    tip("2026-04-13 10:45", 1)
    hm = analytics.activity_heatmap(db.session, OWNER, "Asia/Kolkata", HEATMAP_AS_OF)
    assert cells(hm.grids["tips"]) == {("Mon", 15): 1, ("Mon", 16): 1}


def test_utc_offsets_find_the_change_to_the_second():
    got = local_time.utc_offsets("Europe/Berlin", at("2026-03-01 00:00"), at("2026-04-20 12:00"))
    assert got == [(at("2026-03-01 00:00"), 3600), (at("2026-03-29 01:00"), 7200)]
    assert local_time.utc_offsets("UTC", at("2026-03-01 00:00"), at("2026-04-20 12:00")) == [
        (at("2026-03-01 00:00"), 0)
    ]


# ----------------------------------------------------------------------------------------- retention

RETENTION_AS_OF = at("2026-05-10 12:00")


@pytest.fixture
def cohorts_history(app):
    p = {n: make_person(n, "VIEWER") for n in ("p1", "p2", "p3", "p4", "p5", "p6", "p7", "p8", "p9")}
    mallory = make_person("mallory", "VIEWER", is_excluded=True)
    follower(p["p8"], "follow", "2025-03-01 10:00")  # more than twelve months ago
    follower(p["p1"], "follow", "2026-01-05 10:00")  # never leaves
    follower(p["p2"], "follow", "2026-01-10 10:00")
    follower(p["p2"], "unfollow", "2026-01-25 10:00")  # day 15
    follower(p["p3"], "follow", "2026-01-12 10:00")
    follower(p["p3"], "unfollow", "2026-01-20 10:00")
    follower(p["p3"], "follow", "2026-01-28 10:00")  # re-follows the same month: one member, back before day 30
    follower(p["p4"], "follow", "2026-01-15 10:00")
    follower(p["p4"], "unfollow", "2026-02-25 10:00")  # day 41
    follower(p["p5"], "follow", "2026-01-20 10:00")
    follower(p["p5"], "unfollow", "2026-03-01 10:00")  # day 40
    follower(p["p5"], "follow", "2026-04-10 10:00")  # day 80: kept at 90 days, and a member of April
    follower(mallory, "follow", "2026-01-07 10:00")  # excluded
    follower(p["p9"], "follow", "2026-02-01 03:00")  # 2026-01-31 22:00 in New York
    follower(p["p6"], "follow", "2026-02-03 10:00")
    follower(p["p7"], "follow", "2026-05-05 10:00")


def table(cohorts):
    return [(c.month, c.gained, c.retained[30], c.retained[60], c.retained[90]) for c in cohorts]


def test_retention_cohorts_utc(cohorts_history):
    got = analytics.retention_cohorts(db.session, "UTC", RETENTION_AS_OF)
    assert table(got) == [
        ("2026-01", 5, 4, 2, 3),
        ("2026-02", 2, 2, 2, None),  # Feb + 90 days is after as_of
        ("2026-03", 0, 0, None, None),
        ("2026-04", 1, None, None, None),
        ("2026-05", 1, None, None, None),
    ]
    jan, _, march, *_ = got
    assert (jan.share(30), jan.share(60), jan.share(90), march.share(30)) == (80.0, 40.0, 60.0, None)
    assert analytics.retention_points(got) == [("2026-01", 80.0), ("2026-02", 100.0)]


def test_retention_cohorts_follow_the_owner_time_zone(cohorts_history):
    got = analytics.retention_cohorts(db.session, "America/New_York", RETENTION_AS_OF)
    assert table(got)[:2] == [("2026-01", 6, 5, 3, 4), ("2026-02", 1, 1, 1, None)]
    assert got[0].starts_at == at("2026-01-01 05:00")


def test_month_starts_are_local_midnights():
    starts = local_time.month_starts("Europe/Berlin", at("2026-04-20 12:00"), 2)
    assert starts == [at("2026-02-28 23:00"), at("2026-03-31 22:00"), at("2026-04-30 22:00")]


# ----------------------------------------------------------------------------------------- configuration


@pytest.mark.parametrize(
    ("raw", "expected"),
    [(None, "UTC"), ("", "UTC"), ("Europe/Berlin", "Europe/Berlin"), (" Asia/Kolkata ", "Asia/Kolkata")],
)
def test_owner_timezone_setting(raw, expected, tmp_path):
    env = {"MHC_INSTANCE_DIR": str(tmp_path)} | ({} if raw is None else {"MHC_OWNER_TIMEZONE": raw})
    assert Config.from_env(env).OWNER_TIMEZONE == expected


@pytest.mark.parametrize("raw", ["Mars/Olympus", "../etc/passwd", "CEST+2"])
def test_owner_timezone_must_be_an_iana_name(raw, tmp_path):
    with pytest.raises(ConfigError, match="MHC_OWNER_TIMEZONE must be an IANA time zone name"):
        Config.from_env({"MHC_INSTANCE_DIR": str(tmp_path), "MHC_OWNER_TIMEZONE": raw})
