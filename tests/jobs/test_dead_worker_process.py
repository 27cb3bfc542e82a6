"""Real `python worker.py` processes on real Redis running follow syncs in Chromium against the fake Chaturbate.

A worker killed with SIGKILL mid-sync no longer blocks the owner: once its heartbeat is older than the bound,
a sync started from the web is accepted (the old run shows failed, abandoned) without restarting anything.
A sync that stays silent for longer than the bound between two pages, with its worker alive, is not marked.
"""

from __future__ import annotations

import os
import signal
import time
import uuid
from datetime import timedelta

import pytest

from mhc.extensions import db
from mhc.jobs import recovery
from mhc.models import WorkerHeartbeat, utcnow
from mhc.services import secrets
from tests.jobs.helpers import WorkerProcesses
from tests.waiting import wait_for_run, wait_until

REDIS_URL = os.environ.get("MHC_TEST_REDIS_URL")
BEAT, DEAD_AFTER = 1, 5
pytestmark = [
    pytest.mark.redis,
    pytest.mark.skipif(not REDIS_URL, reason="MHC_TEST_REDIS_URL is not set"),
]


@pytest.fixture
def app_config(fake_cb_config):
    return {
        **fake_cb_config,
        "REDIS_URL": REDIS_URL,
        "WORKER_HEARTBEAT_SECONDS": BEAT,
        "WORKER_DEAD_AFTER_SECONDS": DEAD_AFTER,
    }


@pytest.fixture
def workers(app, tmp_path):
    procs = WorkerProcesses(app, tmp_path)
    yield procs
    procs.stop_all()


@pytest.fixture
def owner(app, fake_cb, client, login_as, auth):
    """Cookies imported; the test client logged in as an admin (who holds manage_jobs); returns sync()."""
    secrets.store_cookies(db.session, "sessionid=fake-session; csrftoken=fake-csrf")
    login_as("admin")
    token = auth.csrf("/follow-lists/")

    def sync(direction: str = "following"):
        form = {"csrf_token": token, "direction": direction}
        return client.post("/follow-lists/sync", data=form, headers={"Accept": "application/json"})

    return sync


def test_a_killed_worker_no_longer_blocks_a_new_sync(app, fake_cb, client, owner, workers):
    first = owner()
    assert first.status_code == 200, first.json
    run_id = uuid.UUID(first.json["run_id"])
    worker = workers.start(BROWSER_PAGE_DELAY="60-60")  # after page 1 it waits a minute: we kill it there
    wait_for_run(run_id, lambda r: r.status == "running" and "page 1 of 2" in (r.progress_text or ""), 180)
    os.kill(worker.pid, signal.SIGKILL)
    worker.wait(10)

    refused = owner()  # within the bound the run may still be alive: refused, as before
    assert (refused.status_code, refused.json["run_id"]) == (409, str(run_id))

    last_beat = wait_for_run(run_id, lambda r: True).heartbeat_at
    time.sleep(max(0.0, (last_beat + timedelta(seconds=DEAD_AFTER + 0.5) - utcnow()).total_seconds()))
    accepted = owner()  # nothing restarted: the web notices the silent run itself
    assert accepted.status_code == 200, accepted.json
    dead = wait_for_run(run_id, lambda r: True)
    assert (dead.status, dead.error) == ("failed", recovery.ABANDONED)
    page = client.get("/jobs/").get_data(as_text=True)
    assert f'data-run="{run_id}" data-status="failed"' in page and ">Worker stopped</a>" in page

    second = workers.start(BROWSER_PAGE_DELAY="0-0")
    done = wait_for_run(uuid.UUID(accepted.json["run_id"]), lambda r: r.status not in ("queued", "running"), 180)
    assert (done.status, done.error) == ("finished", None), second.log_path.read_text()[-3000:]
    assert done.counts["added"] == 6


def test_a_long_silent_page_of_a_live_worker_is_not_abandoned(app, fake_cb, client, owner, workers):
    """Two pauses of DEAD_AFTER + 2 seconds between pages, no progress report in them: the run beats anyway."""
    started = owner()
    run_id = uuid.UUID(started.json["run_id"])
    workers.start(BROWSER_PAGE_DELAY=f"{DEAD_AFTER + 2}-{DEAD_AFTER + 2}")
    named_by_worker = refused = 0

    def ended_while_watched():
        nonlocal named_by_worker, refused
        run = wait_for_run(run_id, lambda r: True)
        if run.status not in ("queued", "running"):
            return run
        assert client.get("/jobs/").status_code == 200  # the Jobs page applies the rule on every visit
        if run.status == "running":
            refused += owner().status_code == 409
            rows = db.session.query(WorkerHeartbeat).filter(WorkerHeartbeat.run_id == run_id).count()
            named_by_worker += rows
        return None

    run = wait_until(ended_while_watched, 240, interval=1, message="the silent sync to end")
    assert (run.status, run.error, run.counts["added"], run.counts["pages"]) == ("finished", None, 6, 3)
    assert run.duration_seconds > 2 * DEAD_AFTER and refused > 0  # running (and refusing) well past the bound
    assert named_by_worker > 0
