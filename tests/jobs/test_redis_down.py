"""Redis stopped: every page still renders and says jobs are unavailable; starting one is a clear error."""

from __future__ import annotations

from datetime import timedelta

import pytest

from mhc.extensions import db
from mhc.jobs import recovery, scheduler
from mhc.models import JobRun, utcnow
from tests.jobs.helpers import add_run


@pytest.fixture
def app_config():
    return {"REDIS_URL": "redis://127.0.0.1:1/0", "AFFILIATE_WM": "wm1"}  # the poll is configured, the queue is down


def test_pages_render_and_enqueue_is_a_clear_error(app, client, login_as, auth):
    failed = add_run("selftest", status="failed", error="RuntimeError: boom")
    login_as("admin")
    assert client.get("/").status_code == 200
    page = client.get("/jobs/").get_data(as_text=True)
    assert 'data-testid="jobs-unavailable"' in page
    assert ">Unexpected error</a>" in page

    token = auth.csrf("/jobs/")
    response = client.post("/jobs/start/affiliate_poll", data={"csrf_token": token}, follow_redirects=True)
    assert response.status_code == 200
    assert "Not started: the job queue is unavailable" in response.get_data(as_text=True)
    response = client.post(f"/jobs/{failed.id}/retry", data={"csrf_token": token}, follow_redirects=True)
    assert "Not retried: the job queue is unavailable" in response.get_data(as_text=True)


def test_scheduler_tick_does_nothing_without_redis(app):
    assert scheduler.tick(app) == []


def test_dead_runs_are_noticed_without_redis(app, client, login_as, auth):
    """The database heartbeat is enough on its own: the tick and the Jobs page mark silent runs."""
    silent = utcnow() - timedelta(seconds=app.config["WORKER_DEAD_AFTER_SECONDS"] + 5)
    by_tick = add_run("affiliate_poll", status="running", lock_key="affiliate_poll", heartbeat_at=silent)
    assert scheduler.tick(app) == []
    db.session.expire_all()
    assert db.session.get(JobRun, by_tick.id).error == recovery.ABANDONED
    by_page = add_run("p2_scrape", status="running", lock_key="p2_scrape", heartbeat_at=silent)
    login_as("admin")
    page = client.get("/jobs/").get_data(as_text=True)
    assert f'data-run="{by_page.id}" data-status="failed"' in page
