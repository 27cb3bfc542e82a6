"""A job enqueued through RQ completes: in embedded mode, and on real Redis with a real worker.py."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from mhc.extensions import db
from mhc.jobs import JobAlreadyRunning, enqueue
from mhc.models import JobRun
from tests.waiting import wait_for_run

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("MHC_TEST_REDIS_URL")


def test_embedded_job_completes(app):
    assert app.extensions["mhc_jobs"].embedded
    run = enqueue("selftest", {"value": 21})
    done = wait_for_run(run.id, timeout=30)
    assert (done.status, done.counts, done.progress) == ("finished", {"value": 42}, 100)
    assert done.started_at <= done.finished_at


def test_embedded_job_failure_is_recorded(app):
    run = enqueue("selftest", {"fail": True})
    done = wait_for_run(run.id, timeout=30)
    assert done.status == "failed"
    assert done.error == "RuntimeError: selftest asked to fail"
    assert "Traceback" in done.traceback


def test_duplicate_in_flight_run_is_refused(app):
    first = JobRun(kind="selftest", status="running", lock_key="selftest:only")
    db.session.add(first)
    db.session.commit()
    with pytest.raises(JobAlreadyRunning) as err:
        enqueue("selftest", {}, lock_key="selftest:only")
    assert err.value.run.id == first.id
    assert db.session.query(JobRun).count() == 1


@pytest.fixture
def redis_app_config():
    if not REDIS_URL:
        pytest.skip("MHC_TEST_REDIS_URL not set (the README test command sets it)")
    return {"REDIS_URL": REDIS_URL}


@pytest.fixture
def app_config(request):
    if "redis" in request.keywords:
        return request.getfixturevalue("redis_app_config")
    return {}


@pytest.mark.redis
def test_real_redis_and_worker_process(app, tmp_path):
    qs = app.extensions["mhc_jobs"]
    assert not qs.embedded and qs.ping()
    run = enqueue("selftest", {"value": 5})
    env = {
        **os.environ,
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "REDIS_URL": REDIS_URL,
        "MHC_QUEUE_PREFIX": qs.prefix,
        "MHC_INSTANCE_DIR": str(tmp_path),
    }
    worker = subprocess.Popen(
        [sys.executable, "worker.py"], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        done = wait_for_run(run.id, timeout=60)
    finally:
        worker.terminate()
        output, _ = worker.communicate(timeout=30)
    assert done.status == "finished", output
    assert done.counts == {"value": 10}
