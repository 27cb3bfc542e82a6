"""The poller against the fake feed: three cycles (appear, vanish, come back), priorities, a faulty cycle."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from mhc.extensions import db
from mhc.models import AffiliateSnapshot, FeedQuarantine, Person, PriorityLookup, Profile, Thumbnail
from mhc.services.sources import affiliate
from mhc.services.users import priorities
from tests.fake_chaturbate.affiliate import make_room
from tests.jobs.helpers import count, run_job


def person(name: str) -> Person:
    return db.session.scalar(select(Person).where(Person.username == name))


def lookup(name: str) -> PriorityLookup:
    return db.session.scalar(select(PriorityLookup).join(Person).where(Person.username == name))


def snapshots_of(name: str) -> list[AffiliateSnapshot]:
    stmt = select(AffiliateSnapshot).where(AffiliateSnapshot.username == name).order_by(AffiliateSnapshot.observed_at)
    return list(db.session.scalars(stmt))


def test_three_cycles_appear_vanish_come_back(app, fake_cb):
    p1 = priorities.queue_username(db.session, "delta_p1")
    priorities.set_priority(db.session, [p1.person_id], 1)
    priorities.queue_username(db.session, "alpha_one")
    rooms_1 = [make_room("alpha_one"), make_room("beta_two", age=None), make_room("delta_p1", num_followers=0)]

    fake_cb.state["affiliate_rooms"] = rooms_1
    first = run_job("affiliate_poll")
    assert first.status == "finished", first.error
    assert first.counts == {
        "rooms": 3,
        "persons_created": 1,
        "snapshots": 3,
        "p1_completed": 1,
        "p2_recorded": 1,
        "lookups_checked": 2,
        "quarantined": 0,
        "cut_short": None,
        # Every room online now gets its thumbnail taken (the fake serves real PNGs).
        "thumbnails_stored": 3,
        "thumbnails_placeholders": 0,
        "thumbnails_rejected": 0,
        "thumbnails_failed": 0,
        "thumbnails_skipped_for_time": 0,
    }
    t1 = snapshots_of("delta_p1")[0].observed_at
    assert lookup("delta_p1").status == "complete"
    assert lookup("delta_p1").completed_at == t1
    assert lookup("alpha_one").last_checked_at == t1
    assert lookup("alpha_one").status == "queued"  # P2 stays tracked; its scrape completes it
    assert person("beta_two").role == "MODEL"
    assert person("alpha_one").role == "MODEL"  # UNKNOWN (queued by name) -> MODEL once in the feed
    assert [person(n).rank for n in ("alpha_one", "beta_two", "delta_p1")] == [1, 2, 3]
    assert person("delta_p1").num_followers is None  # 0 followers is "unknown", not a count

    fake_cb.state["affiliate_rooms"] = [make_room("gamma_3")]
    second = run_job("affiliate_poll")
    assert second.status == "finished", second.error
    assert second.counts["p1_completed"] == 0 and second.counts["p2_recorded"] == 0
    assert second.counts["thumbnails_stored"] == 1  # gamma_3; the others are offline, and theirs are kept
    t2 = snapshots_of("gamma_3")[0].observed_at
    # Absent is unknown: the vanished rooms keep everything, but their old rank is no longer current.
    alpha = person("alpha_one")
    assert (alpha.last_seen_at, alpha.rank, alpha.rank_observed_at) == (t1, None, t1)
    assert (person("gamma_3").rank, person("gamma_3").rank_observed_at) == (1, t2)
    assert lookup("alpha_one").last_checked_at == t2  # checked, found or not

    fake_cb.state["affiliate_fault"] = "wrong_type"  # delta_p1's num_users is "six": that room alone is set aside
    fake_cb.state["affiliate_rooms"] = rooms_1
    faulty = run_job("affiliate_poll")
    assert faulty.status == "finished", faulty.error
    assert (faulty.counts["rooms"], faulty.counts["snapshots"], faulty.counts["quarantined"]) == (2, 2, 1)
    bad = db.session.scalar(select(FeedQuarantine))
    assert (bad.source, bad.item, bad.rule, bad.job_run_id) == ("affiliate", "delta_p1", "shape", faulty.id)
    assert bad.reason == "room 'delta_p1': field 'num_users' should be an integer, got 'six'"
    assert [len(snapshots_of(n)) for n in ("alpha_one", "beta_two", "delta_p1")] == [2, 2, 1]

    fake_cb.state["affiliate_fault"] = None
    fourth = run_job("affiliate_poll")
    assert fourth.status == "finished", fourth.error
    assert fourth.counts["p1_completed"] == 0  # a P1 completes once
    assert fourth.counts["p2_recorded"] == 1
    assert lookup("delta_p1").completed_at == t1
    assert [len(snapshots_of(n)) for n in ("alpha_one", "beta_two", "gamma_3", "delta_p1")] == [3, 3, 1, 2]
    assert person("alpha_one").snapshots_count == 3
    assert fourth.counts["thumbnails_stored"] == 0  # taken less than a day ago: not due again
    assert count(Thumbnail) == 4
    assert count(Person) == 4 and count(Profile) == 4


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        ("http500", "AffiliateApiError: feed page 1 (offset 0) answered HTTP 500 after 3 retries"),
        ("no_results", "AffiliateApiError: feed response at page 1 (offset 0) has no 'results' list"),
    ],
)
def test_failed_response_writes_nothing(app, fake_cb, fault, message):
    fake_cb.state["affiliate_fault"] = fault
    run = run_job("affiliate_poll")
    assert (run.status, run.error) == ("failed", message)
    assert count(Person) == 0 and count(AffiliateSnapshot) == 0


def test_malformed_json_fails_with_reason(app, fake_cb):
    fake_cb.state["affiliate_fault"] = "bad_json"
    run = run_job("affiliate_poll")
    assert run.status == "failed"
    assert run.error.startswith("AffiliateApiError: feed page 1 (offset 0) returned malformed JSON")
    assert count(Person) == 0


def test_slow_feed_times_out_as_failure(app, fake_cb):
    app.config["AFFILIATE_TIMEOUT"] = 0.2
    fake_cb.state.update(affiliate_fault="slow", affiliate_delay=1.0)
    run = run_job("affiliate_poll")
    assert run.status == "failed"
    assert run.error == (
        "AffiliateApiError: feed page 1 (offset 0): request failed: "
        "no answer within the read timeout (after retries) (0.2 s)"
    )


def test_paging_dedupes_and_ranks(app, fake_cb):
    names = [f"room_{i:04d}" for i in range(1203)]
    rooms = [make_room(n) for n in names]
    rooms.insert(700, make_room("room_0001"))  # the feed shifted while paging: seen twice
    fake_cb.state["affiliate_rooms"] = rooms
    run = run_job("affiliate_poll")
    assert run.status == "finished", run.error
    assert run.counts["rooms"] == 1203 and run.counts["snapshots"] == 1203
    offsets = [p.split("offset=")[1].split("&")[0] for p in fake_cb.requests if "onlinerooms" in p]
    assert offsets == ["0", "500", "1000"]
    assert person("room_0001").rank == 2
    assert person("room_1202").rank == 1203


def test_profile_fields_only_with_non_empty_values(app, fake_cb):
    t0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
    from mhc.clients.affiliate_api import parse_room

    first = parse_room(make_room("echo_5", location="Medellin, Colombia", spoken_languages="English, Spanish"), 1)
    affiliate.record_cycle(db.session, [first], t0)
    second = parse_room(
        make_room("echo_5", location="", display_name="None", spoken_languages="", tags=[], is_new=True), 1
    )
    affiliate.record_cycle(db.session, [second], t0 + timedelta(minutes=5))
    profile = person("echo_5").profile
    assert profile.location == "Medellin, Colombia"
    assert profile.display_name == "Echo_5"
    assert profile.languages == ["English", "Spanish"]
    assert profile.tags == []  # tags are replaced each cycle
    assert profile.is_new is True
    snaps = snapshots_of("echo_5")
    assert snaps[1].display_name is None  # the string "None" is no value
    assert snaps[1].session_start == t0 + timedelta(minutes=5) - timedelta(seconds=2273)


def test_viewer_seen_in_feed_becomes_both(app):
    from mhc.clients.affiliate_api import parse_room

    db.session.add(Person(username="foxtrot", role="VIEWER"))
    db.session.commit()
    affiliate.record_cycle(db.session, [parse_room(make_room("foxtrot"), 1)], datetime(2026, 11, 1, tzinfo=UTC))
    assert person("foxtrot").role == "BOTH"
