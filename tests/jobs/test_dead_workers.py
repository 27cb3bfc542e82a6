"""A run whose worker stopped beating is marked abandoned by whoever looks next (the web's enqueue, the Jobs
page, the scheduler tick, a worker's heartbeat), once and only once; a run that still beats never is."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from config import Config, ConfigError
from mhc.extensions import db
from mhc.jobs import JobAlreadyRunning, enqueue, recovery, scheduler
from mhc.jobs.follow_jobs import FOLLOW_SYNC, lock_key
from mhc.models import JobRun, WorkerHeartbeat, utcnow
from mhc.services import secrets
from tests.jobs.helpers import add_run
from tests.waiting import wait_until

BEAT, DEAD_AFTER = 1, 3


@pytest.fixture
def app_config():
    return {"WORKER_HEARTBEAT_SECONDS": BEAT, "WORKER_DEAD_AFTER_SECONDS": DEAD_AFTER}


def running(lock: str | None, silent_for: float | None, kind: str = "selftest", **fields) -> JobRun:
    """A running run whose last heartbeat was `silent_for` seconds ago (None: it never beat)."""
    beat = None if silent_for is None else utcnow() - timedelta(seconds=silent_for)
    return add_run(kind, status="running", lock_key=lock, heartbeat_at=beat, started_at=utcnow(), **fields)


def reload(run_id) -> JobRun:
    db.session.expire_all()
    return db.session.get(JobRun, run_id)


def test_enqueue_takes_over_a_lock_key_whose_run_went_silent(app):
    beating = running("selftest:beating", silent_for=DEAD_AFTER - 2)
    with pytest.raises(JobAlreadyRunning):
        enqueue("selftest", {}, lock_key="selftest:beating")

    dead = running("selftest:dead", silent_for=DEAD_AFTER + 1)
    new = enqueue("selftest", {"value": 2}, lock_key="selftest:dead")
    old = reload(dead.id)
    assert (old.status, old.error, old.finished_at is not None) == ("failed", recovery.ABANDONED, True)
    assert reload(new.id).lock_key == "selftest:dead"
    assert reload(beating.id).status == "running"


def test_follow_sync_from_the_web_after_its_worker_died(app, client, login_as, auth):
    """The bug: a run killed mid-way refused every new sync (409) until a worker process started again."""
    dead = running(lock_key("following"), silent_for=DEAD_AFTER - 2, kind=FOLLOW_SYNC, args={"direction": "following"})
    login_as("admin")
    secrets.store_cookies(db.session, "sessionid=fake-session")  # without cookies a sync is refused unstarted
    token = auth.csrf("/follow-lists/")

    def sync():
        form = {"csrf_token": token, "direction": "following"}
        return client.post("/follow-lists/sync", data=form, headers={"Accept": "application/json"})

    refused = sync()
    assert (refused.status_code, refused.json["run_id"]) == (409, str(dead.id))
    time.sleep(2.5)  # the dead worker's last heartbeat is now older than the bound: nothing else happens
    started = sync()
    assert started.status_code == 200, started.json
    assert started.json["run_id"] != str(dead.id)
    assert (reload(dead.id).status, reload(dead.id).error) == ("failed", recovery.ABANDONED)


def test_the_jobs_page_shows_a_silent_run_as_abandoned(app, client, login_as):
    dead = running("affiliate_poll", silent_for=DEAD_AFTER + 1, kind="affiliate_poll")
    alive = running("p2_scrape", silent_for=0, kind="p2_scrape")
    login_as("admin")
    page = client.get("/jobs/").get_data(as_text=True)
    assert f'data-run="{dead.id}" data-status="failed"' in page
    assert ">Worker stopped</a>" in page
    assert f'data-run="{alive.id}" data-status="running"' in page
    progress = client.get(f"/jobs/progress.json?ids={dead.id},{alive.id}").get_json()
    assert (progress[str(dead.id)]["status"], progress[str(alive.id)]["status"]) == ("failed", "running")


def test_the_scheduler_tick_marks_silent_runs(app):
    dead = running("p2_scrape", silent_for=DEAD_AFTER + 1, kind="p2_scrape")
    scheduler.tick(app)
    assert reload(dead.id).error == recovery.ABANDONED


def test_what_counts_as_silent(app):
    never_beat_recent = running("a", silent_for=None)  # started just now: its start is its first sign of life
    old_but_beating = running("b", silent_for=1, created_at=utcnow() - timedelta(hours=3))
    queued_long_ago = add_run("selftest", status="queued", created_at=utcnow() - timedelta(hours=1))
    dead = running("c", silent_for=DEAD_AFTER + 0.5)
    assert recovery.mark_stale_runs() == 1
    assert [reload(r.id).status for r in (never_beat_recent, old_but_beating, queued_long_ago, dead)] == [
        "running",
        "running",
        "queued",
        "failed",
    ]
    later = utcnow() + timedelta(seconds=DEAD_AFTER + 1)
    assert recovery.mark_stale_runs(lock_key="a", now=later) == 1  # only that lock key is looked at
    assert reload(old_but_beating.id).status == "running"


def test_two_processes_marking_at_once_mark_each_run_once(app):
    runs = [running(f"lock:{i}", silent_for=DEAD_AFTER + 1) for i in range(3)]
    counts, barrier = [], threading.Barrier(2)

    def mark():
        with app.app_context():
            barrier.wait()
            counts.append(recovery.mark_stale_runs())
            db.session.remove()

    threads = [threading.Thread(target=mark) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert (len(counts), sum(counts)) == (2, 3)  # a run marked by both would count twice
    assert {reload(r.id).status for r in runs} == {"failed"}


def test_a_long_silent_job_in_embedded_mode_keeps_beating(app):
    """selftest works 3 x the bound without one progress report: its heartbeat thread carries it."""
    run = enqueue("selftest", {"value": 4, "seconds": 3 * DEAD_AFTER}, lock_key="selftest:long")
    seen_worker_row = False

    def ended_while_marking():
        nonlocal seen_worker_row
        if (current := reload(run.id)).status not in ("queued", "running"):
            return current
        recovery.mark_stale_runs()
        rows = list(db.session.scalars(select(WorkerHeartbeat).where(WorkerHeartbeat.name.like("embedded.%"))))
        seen_worker_row |= any(r.run_id == run.id for r in rows)
        return None

    current = wait_until(ended_while_marking, 60, interval=0.5, message="the long selftest to end")
    assert (current.status, current.counts, current.error) == ("finished", {"value": 8}, None)
    assert seen_worker_row, "the embedded worker's row never named the run it was executing"


def test_a_clean_stop_removes_the_worker_row(app):
    from mhc.jobs.heartbeat import WorkerBeat

    beat = WorkerBeat(app, "worker.test.1.abc")
    beat.start()
    row = wait_until(lambda: db.session.get(WorkerHeartbeat, "worker.test.1.abc"), 10, message="the worker's row")
    assert (row.pid > 0, row.run_id) == (True, None)
    beat.stop()
    db.session.expire_all()
    assert db.session.get(WorkerHeartbeat, "worker.test.1.abc") is None


def test_a_worker_row_names_the_run_it_executes(app):
    from mhc.jobs.heartbeat import WorkerBeat, run_heartbeat

    run = running("x", silent_for=0)
    beat = WorkerBeat(app, "worker.test.2.abc")
    with run_heartbeat(run.id, BEAT):
        beat.beat()
    row = db.session.get(WorkerHeartbeat, "worker.test.2.abc")
    assert row.run_id == run.id
    beat.beat()
    db.session.expire_all()
    assert db.session.get(WorkerHeartbeat, "worker.test.2.abc").run_id is None


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"WORKER_HEARTBEAT_SECONDS": "10", "WORKER_DEAD_AFTER_SECONDS": "20"}, "at least 3 x"),
        ({"WORKER_HEARTBEAT_SECONDS": "0"}, "must be at least 1"),
        ({"WORKER_REDIS_RETRY_SECONDS": "0"}, "must be at least 1"),
        ({"WORKER_DEAD_AFTER_SECONDS": "soon"}, "must be an integer"),
    ],
)
def test_heartbeat_settings_are_checked(tmp_path, env, message):
    with pytest.raises(ConfigError, match=message):
        Config.from_env({"MHC_INSTANCE_DIR": str(tmp_path), **env})


def test_heartbeat_defaults(tmp_path):
    cfg = Config.from_env({"MHC_INSTANCE_DIR": str(tmp_path)})
    assert (cfg.WORKER_HEARTBEAT_SECONDS, cfg.WORKER_DEAD_AFTER_SECONDS, cfg.WORKER_REDIS_RETRY_SECONDS) == (10, 60, 5)
