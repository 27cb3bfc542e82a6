"""Schedules (due, never overlapping) and recovery of runs whose worker died."""

from __future__ import annotations

from datetime import timedelta

import pytest

from mhc.extensions import db
from mhc.jobs import recovery, scheduler
from mhc.models import JobRun, utcnow
from tests.jobs.helpers import add_run
from tests.waiting import ENDED, wait_until


@pytest.fixture
def app_config(fake_cb_config):
    return {**fake_cb_config, "AFFILIATE_WM": "wm1", "AFFILIATE_POLL_SECONDS": 300, "P2_SCRAPE_SECONDS": 86400}


def test_due_follows_the_intervals(app):
    now = utcnow()
    assert scheduler.due(app.config, now) == ["affiliate_poll", "p2_scrape", "artifact_cleanup"]
    add_run("affiliate_poll", status="finished", created_at=now - timedelta(seconds=299))
    add_run("p2_scrape", status="finished", created_at=now - timedelta(hours=2))
    add_run("artifact_cleanup", status="finished", created_at=now - timedelta(hours=23))
    assert scheduler.due(app.config, now) == []
    assert scheduler.due(app.config, now + timedelta(seconds=2)) == ["affiliate_poll"]
    status = {s.kind: s for s in scheduler.status(app.config, now)}
    assert status["affiliate_poll"].next_run_at == now + timedelta(seconds=1)
    assert status["p2_scrape"].last_status == "finished"


def test_tick_never_overlaps_a_run_in_flight(app):
    """An hour-long run whose worker still beats is in flight, however old it is."""
    add_run(
        "affiliate_poll",
        status="running",
        lock_key="affiliate_poll",
        created_at=utcnow() - timedelta(hours=1),
        heartbeat_at=utcnow() - timedelta(seconds=5),
    )
    add_run("p2_scrape", status="finished", created_at=utcnow())
    add_run("artifact_cleanup", status="finished", created_at=utcnow())
    assert scheduler.tick(app) == []  # the poll is due, but the last one is still running
    assert db.session.query(JobRun).filter_by(kind="affiliate_poll").count() == 1


def test_recovery_marks_dead_runs_failed(app):
    old = utcnow() - timedelta(minutes=5)
    running = add_run("affiliate_poll", status="running", lock_key="affiliate_poll")
    lost = add_run("selftest", status="queued", created_at=old)
    fresh = add_run("selftest", status="queued")
    assert recovery.recover_abandoned() == 2
    db.session.expire_all()
    assert (db.session.get(JobRun, running.id).status, db.session.get(JobRun, running.id).error) == (
        "failed",
        recovery.ABANDONED,
    )
    assert db.session.get(JobRun, lost.id).error == recovery.LOST
    assert db.session.get(JobRun, fresh.id).status == "queued"


def test_poll_schedule_is_off_without_a_campaign(app):
    app.config["AFFILIATE_WM"] = ""
    assert scheduler.due(app.config, utcnow()) == ["p2_scrape", "artifact_cleanup"]
    status = {s.kind: s for s in scheduler.status(app.config)}
    assert (status["affiliate_poll"].disabled, status["affiliate_poll"].next_run_at) == (
        "off (AFFILIATE_WM is not set)",
        None,
    )


def test_embedded_tick_runs_the_poll_in_the_worker_thread(app, fake_cb):
    def runs_if_all_ended():
        db.session.expire_all()
        runs = {r.kind: r for r in db.session.query(JobRun)}
        return runs if all(r.status in ENDED for r in runs.values()) else None

    assert scheduler.tick(app) == ["affiliate_poll", "p2_scrape", "artifact_cleanup"]
    runs = wait_until(runs_if_all_ended, 20, interval=0.1, message="the ticked runs to end")
    assert (runs["affiliate_poll"].status, runs["affiliate_poll"].counts["snapshots"]) == ("finished", 3)
    assert (runs["p2_scrape"].status, runs["p2_scrape"].counts) == ("finished", {"persons": 0})
    assert runs["artifact_cleanup"].counts == {"deleted": 0, "retention_days": 30}


def test_recovery_leaves_a_reporting_run_outside_rq_alone(app):
    """`python worker.py events` is not an RQ job: a recent heartbeat is what says it is alive."""
    listening = add_run("events_listen", status="running", lock_key="events_listen")
    listening.heartbeat_at = utcnow() - timedelta(seconds=30)
    silent = add_run("events_listen", status="running")
    silent.heartbeat_at = utcnow() - timedelta(minutes=10)
    db.session.commit()
    assert recovery.recover_abandoned() == 1
    db.session.expire_all()
    assert db.session.get(JobRun, listening.id).status == "running"
    assert db.session.get(JobRun, silent.id).error == recovery.ABANDONED
