"""Broadcasts rebuilt from Affiliate API snapshots (the ±10 minute rule), and the Profile timeline that shows them."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from mhc.extensions import db
from mhc.models import AffiliateSnapshot
from mhc.services.owner.broadcasts import SnapshotPoint, describe, group_broadcasts
from tests.factories import make_person

T = datetime(2026, 11, 20, 18, 0, tzinfo=UTC)


def online(start: datetime, minutes: int, **fields) -> SnapshotPoint:
    """A snapshot taken `minutes` into a broadcast that began at `start`."""
    return SnapshotPoint(observed_at=start + timedelta(minutes=minutes), seconds_online=minutes * 60, **fields)


def test_one_broadcast_per_start_newest_first_in_any_order():
    evening = [online(T, m) for m in range(3, 240, 5)]  # 48 cycles, 18:00 to 21:58
    next_day = [online(T + timedelta(days=1), m) for m in (2, 7, 12)]
    snaps = evening + next_day
    random.Random(3).shuffle(snaps)
    got = group_broadcasts(snaps)
    assert [(b.started_at, b.snapshots) for b in got] == [(T + timedelta(days=1), 3), (T, 48)]
    assert got[1].last_seen_at == T + timedelta(minutes=238)


def test_starts_within_ten_minutes_join_and_a_later_one_does_not():
    """The feed's seconds_online drifts a little between cycles; a restart 12 minutes after is a new broadcast."""
    snaps = [
        SnapshotPoint(T + timedelta(minutes=30), seconds_online=30 * 60),
        SnapshotPoint(T + timedelta(minutes=35), seconds_online=29 * 60),  # start 18:06
        SnapshotPoint(T + timedelta(minutes=40), seconds_online=50 * 60),  # start 17:50: 10 min before, joins
        SnapshotPoint(T + timedelta(minutes=45), seconds_online=33 * 60),  # start 18:12: a new broadcast
    ]
    got = group_broadcasts(snaps)
    assert [(b.started_at, b.snapshots) for b in got] == [
        (T + timedelta(minutes=12), 1),
        (T - timedelta(minutes=10), 3),
    ]


def test_a_snapshot_without_seconds_online_starts_when_observed():
    got = group_broadcasts(
        [SnapshotPoint(T), SnapshotPoint(T + timedelta(minutes=8)), SnapshotPoint(T + timedelta(hours=1))]
    )
    assert [(b.started_at, b.snapshots, b.duration) for b in got] == [
        (T + timedelta(hours=1), 1, timedelta(0)),
        (T, 2, timedelta(minutes=8)),
    ]


def test_what_a_broadcast_says():
    snaps = [
        online(T, 5, current_show="public", num_users=120, num_followers=11_466, room_subject="Goal: dance"),
        online(T, 65, current_show="private", num_users=15, num_followers=11_470, room_subject=""),
        online(T, 130, current_show="public", num_users=340, num_followers=11_497, room_subject="<b>new goal</b>"),
    ]
    (broadcast,) = group_broadcasts(snaps)
    assert (broadcast.shows, broadcast.peak_viewers, broadcast.subject) == (
        ["public", "private"],
        340,
        "<b>new goal</b>",
    )
    assert describe(broadcast) == (
        "2 h 10 min · seen 3 times · public, private · followers 11,466 → 11,497 (+31) · peak 340 viewers"
        " — <b>new goal</b>"
    )
    assert describe(group_broadcasts([online(T, 20)])[0]) == "20 min · seen 1 time"


def test_profile_timeline_shows_broadcasts_not_every_snapshot(client, login_as):
    person = make_person("evening_cam", "MODEL")
    db.session.add_all(
        AffiliateSnapshot(
            person_id=person.id,
            username="evening_cam",
            observed_at=T + timedelta(days=day, minutes=m),
            seconds_online=m * 60,
            current_show="public",
            num_followers=1000 + m,
            room_subject='<img src=x onerror="alert(1)">',
        )
        for day in (0, 1)
        for m in range(4, 120, 5)
    )
    db.session.commit()
    login_as("viewer")
    html = client.get("/profile/evening_cam").get_data(as_text=True)
    assert html.count('data-kind="snapshot"') == 2
    assert "Broadcast (Affiliate API)" in html
    assert "1 h 59 min · seen 24 times · public · followers 1,004 → 1,119 (+115)" in html
    assert '<img src=x onerror="alert(1)">' not in html
    assert "&lt;img src=x onerror=" in html


def test_profile_says_live_only_for_a_recent_snapshot_with_a_show(client, login_as):
    """Live = the newest Affiliate API snapshot is at most 30 minutes old and names a show
    (docs/domain.md#live-and-rank)."""
    from mhc.models import utcnow

    now = utcnow()
    for name, minutes_ago, show in (("on_now", 10, "private"), ("went_quiet", 40, "public"), ("no_show", 5, None)):
        person = make_person(name, "MODEL")
        db.session.add(
            AffiliateSnapshot(
                person_id=person.id, username=name, observed_at=now - timedelta(minutes=minutes_ago), current_show=show
            )
        )
    db.session.commit()
    login_as("viewer")
    assert 'data-testid="profile-live"' in client.get("/profile/on_now").get_data(as_text=True)
    assert ">Live · private<" in client.get("/profile/on_now").get_data(as_text=True)
    for name in ("went_quiet", "no_show"):
        assert 'data-testid="profile-live"' not in client.get(f"/profile/{name}").get_data(as_text=True)
