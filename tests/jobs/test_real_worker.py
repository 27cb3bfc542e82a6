"""A real `python worker.py` on real Redis runs an affiliate poll; a worker killed mid-run (kill -9)
leaves a run that the next worker marks failed (nothing applied) and that can be retried."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from mhc.extensions import db
from mhc.jobs import control, recovery
from mhc.jobs.affiliate_jobs import enqueue_poll
from mhc.models import AffiliateSnapshot
from tests.waiting import wait_for_run

REDIS_URL = os.environ.get("MHC_TEST_REDIS_URL")
ROOT = Path(__file__).resolve().parents[2]
pytestmark = [
    pytest.mark.redis,
    pytest.mark.skipif(not REDIS_URL, reason="MHC_TEST_REDIS_URL is not set"),
]


@pytest.fixture
def app_config(fake_cb_config):
    return {**fake_cb_config, "REDIS_URL": REDIS_URL, "AFFILIATE_WM": "wm1"}


@pytest.fixture
def start_worker(app, tmp_path):
    procs, logs = [], []

    def start() -> subprocess.Popen:
        cfg = app.config
        env = {
            **os.environ,
            "DATABASE_URL": cfg["SQLALCHEMY_DATABASE_URI"],
            "REDIS_URL": REDIS_URL,
            "MHC_QUEUE_PREFIX": cfg["QUEUE_PREFIX"],
            "AFFILIATE_API_URL": cfg["AFFILIATE_API_URL"],
            "AFFILIATE_WM": "wm1",
            "MHC_SCHEDULER": "0",
            "MHC_INSTANCE_DIR": str(tmp_path),
            "MHC_SECRETS_KEY": ",".join(cfg["SECRETS_KEYS"]),
        }
        log = open(tmp_path / f"worker{len(procs)}.log", "w")  # noqa: SIM115 (closed at teardown)
        logs.append(log)
        proc = subprocess.Popen([sys.executable, "worker.py"], cwd=ROOT, env=env, stdout=log, stderr=log)
        procs.append(proc)
        return proc

    yield start
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    for log in logs:
        log.close()


def test_worker_process_runs_a_poll(app, fake_cb, start_worker):
    run = enqueue_poll()
    start_worker()
    done = wait_for_run(run.id, timeout=30)
    assert (done.status, done.error) == ("finished", None)
    assert done.counts["rooms"] == 3 and done.counts["snapshots"] == 3
    assert db.session.scalar(select(func.count()).select_from(AffiliateSnapshot)) == 3


def test_killed_worker_leaves_a_retryable_failed_run(app, fake_cb, start_worker):
    fake_cb.state.update(affiliate_fault="slow", affiliate_delay=20.0)
    run = enqueue_poll()
    worker = start_worker()
    wait_for_run(run.id, lambda r: r.status == "running", 30)
    os.kill(worker.pid, signal.SIGKILL)
    worker.wait(10)

    fake_cb.state.update(affiliate_fault=None, affiliate_delay=0.0)
    start_worker()  # recovery runs at start-up, before the new worker takes jobs
    dead = wait_for_run(run.id, lambda r: r.status == "failed", 30)
    assert dead.error == recovery.ABANDONED
    assert db.session.scalar(select(func.count()).select_from(AffiliateSnapshot)) == 0

    again = control.retry(run.id)
    done = wait_for_run(again.id, timeout=30)
    assert (done.status, done.retry_of_id, done.counts["snapshots"]) == ("finished", run.id, 3)
