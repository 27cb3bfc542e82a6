"""refresh_person (one feed pass, then a profile scrape) and the scheduled P2 scrape round."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from mhc.extensions import db
from mhc.models import Person
from mhc.services.users import priorities
from tests.jobs.helpers import run_job


class FakeRun:
    def __init__(self, n):
        self.id = f"run-{n}"


@pytest.fixture
def scrapes(monkeypatch):
    calls = []

    def enqueue_profile_scrape(person_ids, actor_id=None):
        calls.append((list(person_ids), actor_id))
        return FakeRun(len(calls))

    monkeypatch.setattr("mhc.jobs.profile_jobs.enqueue_profile_scrape", enqueue_profile_scrape)
    return calls


def test_refresh_person_records_only_them_and_enqueues_their_scrape(app, fake_cb, scrapes):
    online = priorities.queue_username(db.session, "beta_two").person_id
    offline = priorities.queue_username(db.session, "zulu_off").person_id
    run = run_job("refresh_person", person_ids=[str(online), str(offline)])
    assert run.status == "finished", run.error
    assert run.counts == {
        "rooms": 1,
        "persons_created": 0,
        "snapshots": 1,
        "p1_completed": 0,
        "p2_recorded": 1,
        "lookups_checked": 1,
        "quarantined": 0,
        "thumbnails_stored": 1,  # only the one online: its picture is real now
        "thumbnails_placeholders": 0,
        "thumbnails_rejected": 0,
        "thumbnails_failed": 0,
        "thumbnails_skipped_for_time": 0,
        "online": 1,
        "profile_scrape_run": "run-1",
    }
    assert scrapes == [([str(online), str(offline)], None)]
    beta = db.session.get(Person, online)
    assert (beta.role, beta.last_seen_at is not None, beta.rank, beta.rank_observed_at) == ("MODEL", True, None, None)
    assert db.session.scalar(select(Person).where(Person.username == "alpha_one")) is None  # not asked for


def test_p2_scrape_round_enqueues_p2_persons_capped(app, fake_cb, scrapes):
    app.config["PROFILE_SCRAPE_CAP"] = 2
    ids = [priorities.queue_username(db.session, n).person_id for n in ("p2_a", "p2_b", "p2_c")]
    priorities.set_priority(db.session, [ids[2]], 1)
    run = run_job("p2_scrape")
    assert run.counts == {"persons": 2, "profile_scrape_run": "run-1"}
    assert sorted(scrapes[0][0]) == sorted(str(i) for i in ids[:2])
