"""Poison in the Affiliate feed: a bad room is quarantined alone, a feed that ignores `offset` or runs past
the cycle's time budget is cut short and recorded as a partial cycle (no conclusion about rooms unseen)."""

from __future__ import annotations

import json

from sqlalchemy import select

from mhc.extensions import db
from mhc.models import AffiliateSnapshot, FeedQuarantine, Person
from mhc.services.users import priorities
from tests.fake_chaturbate.affiliate import make_room
from tests.jobs.helpers import count, run_job

LONG_NAME = "a" * 10_000


def feed_requests(fake) -> list[str]:
    return [p for p in fake.requests if "onlinerooms" in p]


def person(name: str) -> Person:
    return db.session.scalar(select(Person).where(Person.username == name))


POISON_ROOMS = [
    ({**make_room("long_name"), "username": LONG_NAME}, "username", "username is not a username: 'aaaa"),
    (make_room("bad\x00name"), "username", "username is not a username: 'bad\\x00name'"),
    (make_room("neg_followers", num_followers=-5), "num_followers", "num_followers is -5, outside 0..2147483647"),
    (make_room("huge_users", num_users=2**31), "num_users", "num_users is 2147483648, outside 0..2147483647"),
    (make_room("long_country", country="Colombia"), "country", "country is 8 characters long (at most 2)"),
    (make_room("forever_on", seconds_online=10**12), "seconds_online", "seconds_online is 1000000000000, outside"),
    (make_room("typed_wrong", is_hd="yes"), "shape", "field 'is_hd' should be true/false, got 'yes'"),
]


def test_poison_rooms_are_quarantined_and_the_rest_of_the_cycle_stored(app, fake_cb):
    clean = [make_room("good_one"), make_room("nul_text", location="Bogota\x00 D.C.", gender="m\x00", tags=["a\x00b"])]
    fake_cb.state["affiliate_rooms"] = [clean[0], *[r for r, _, _ in POISON_ROOMS], clean[1]]
    run = run_job("affiliate_poll")
    assert run.status == "finished", run.error
    assert (run.counts["rooms"], run.counts["snapshots"], run.counts["quarantined"]) == (2, 2, len(POISON_ROOMS))
    assert sorted(db.session.scalars(select(Person.username))) == ["good_one", "nul_text"]
    snap = db.session.scalar(select(AffiliateSnapshot).where(AffiliateSnapshot.username == "nul_text"))
    assert (snap.location, snap.gender, snap.tags) == ("Bogota D.C.", "m", ["ab"])
    assert db.session.scalar(select(AffiliateSnapshot).where(AffiliateSnapshot.num_followers < 0)) is None
    # Each as received (NUL included), with its rule and reason.
    rows = {json.loads(r.raw)["username"]: r for r in db.session.scalars(select(FeedQuarantine))}
    assert len(rows) == len(POISON_ROOMS)
    for raw, rule, reason in POISON_ROOMS:
        row = rows[raw["username"]]
        assert (row.source, row.rule, row.job_run_id) == ("affiliate", rule, run.id)
        assert reason in row.reason and len(row.reason) < 200
    again = run_job("affiliate_poll")  # the same poison next cycle counts up, it does not pile up
    assert again.counts["quarantined"] == len(POISON_ROOMS)
    assert count(FeedQuarantine) == len(POISON_ROOMS)
    assert {r.times_seen for r in db.session.scalars(select(FeedQuarantine))} == {2}


def test_a_feed_that_ignores_offset_is_read_once(app, fake_cb):
    fake_cb.state["affiliate_rooms"] = [make_room(f"room_{i:04d}") for i in range(1203)]
    fake_cb.state["affiliate_fault"] = "ignore_offset"
    run = run_job("affiliate_poll")
    assert run.status == "finished", run.error
    assert len(feed_requests(fake_cb)) == 2  # the second page repeated the first: stop
    assert run.counts["cut_short"] == "the feed repeated a page at offset 500 (it ignores offset?)"
    assert run.counts["rooms"] == 500


def test_paging_stops_at_the_count_the_feed_announced(app, fake_cb):
    fake_cb.state["affiliate_rooms"] = [make_room(f"room_{i:04d}") for i in range(1203)]
    fake_cb.state["affiliate_count"] = 600
    run = run_job("affiliate_poll")
    assert [p.split("offset=")[1].split("&")[0] for p in feed_requests(fake_cb)] == ["0", "500"]
    assert (run.counts["rooms"], run.counts["cut_short"]) == (1000, None)


def test_time_budget_cuts_the_cycle_short_and_it_is_recorded_as_partial(app, fake_cb):
    fake_cb.state["affiliate_rooms"] = [make_room(f"room_{i:04d}") for i in range(1203)]
    tracked = priorities.queue_username(db.session, "room_1202").person_id  # a P2 on the last page
    full = run_job("affiliate_poll")
    assert full.counts["cut_short"] is None
    last = person("room_1202")
    t1 = last.rank_observed_at
    assert (last.id, last.rank) == (tracked, 1203)

    app.config["AFFILIATE_CYCLE_SECONDS"] = 1.0
    fake_cb.state.update(affiliate_fault="slow", affiliate_delay=0.7)
    fake_cb.requests.clear()
    cut = run_job("affiliate_poll")
    assert cut.status == "finished", cut.error
    pages = len(feed_requests(fake_cb))
    assert pages in (1, 2)  # the budget is checked before each page: the third never starts
    assert cut.counts["cut_short"] == f"time budget of 1 s spent after {pages} pages"
    assert (cut.counts["rooms"], cut.counts["snapshots"]) == (500 * pages, 500 * pages)
    assert cut.counts["thumbnails_skipped_for_time"] > 0  # the cycle's budget is spent: pictures wait
    db.session.expire_all()
    # A partial cycle saw only some rooms: no rank is emptied or renumbered, unseen lookups stay unchecked.
    last = person("room_1202")
    assert (last.rank, last.rank_observed_at) == (1203, t1)
    assert person("room_0000").rank == 1
    assert cut.counts["lookups_checked"] == 0


def test_no_time_left_reads_nothing_and_records_nothing(app, fake_cb):
    app.config["AFFILIATE_CYCLE_SECONDS"] = 0.0
    run = run_job("affiliate_poll")
    assert run.status == "finished", run.error
    assert feed_requests(fake_cb) == []
    assert (run.counts["rooms"], run.counts["cut_short"]) == (0, "time budget of 0 s spent after 0 pages")
    assert count(Person) == 0
