"""Alerts through a real `python worker.py` on real Redis: a list apply's grouped message is sent by the
worker process, and a worker killed while it sends leaves a delivery that is not sent again on its own
(docs/alerts.md#never-twice)."""

from __future__ import annotations

import os
import signal
from datetime import timedelta

import pytest

from mhc.extensions import db
from mhc.jobs import alert_jobs, recovery
from mhc.models import AlertDelivery, JobRun, utcnow
from mhc.services import alerts
from mhc.services.alerts import outbox
from mhc.services.follows.follow_ledger import apply_follow_list
from tests.jobs.helpers import WorkerProcesses
from tests.services.alerts.helpers import add_channel, add_rule
from tests.services.alerts.receivers import WebhookReceiver
from tests.waiting import wait_for_run, wait_until

REDIS_URL = os.environ.get("MHC_TEST_REDIS_URL")
pytestmark = [pytest.mark.redis, pytest.mark.skipif(not REDIS_URL, reason="MHC_TEST_REDIS_URL is not set")]


@pytest.fixture
def app_config():
    return {"REDIS_URL": REDIS_URL}


@pytest.fixture
def workers(app, tmp_path):
    procs = WorkerProcesses(app, tmp_path)
    yield procs
    procs.stop_all()


def _delivery() -> AlertDelivery:
    db.session.expire_all()
    return db.session.query(AlertDelivery).one()


def test_the_worker_process_sends_a_list_applys_message(app, workers, webhook):
    add_rule("everyone", "any_unfollow", add_channel("phone", webhook.url))
    now = utcnow()
    apply_follow_list(
        db.session, "follower", ["alice_x", "bob_x", "carol_x"], now - timedelta(hours=1), "manual_import"
    )
    apply_follow_list(db.session, "follower", ["carol_x"], now, "manual_import", confirm_mass_removal=True)
    run = db.session.query(JobRun).filter_by(kind="alert_delivery").one()  # queued in Redis by the apply
    workers.start()
    assert wait_for_run(run.id, timeout=60).status == "finished"
    assert webhook.titles() == ["2 followers unfollowed you"]
    assert (_delivery().status, _delivery().attempts) == ("sent", 1)


def test_a_worker_killed_while_sending_does_not_send_again(app, workers):
    receiver = WebhookReceiver(delay=60).start()  # takes the message, then holds the answer
    try:
        delivery_id = alerts.send_test(db.session, add_channel("slow", receiver.url).id, None).id  # queued in Redis
        worker = workers.start()
        wait_until(lambda: receiver.messages, 60, message="the worker to call the channel")
        assert _delivery().status == "sending"
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(10)
        wait_until(recovery.recover_abandoned, 30, message="the dead worker's run to be marked failed")
        assert alert_jobs.recover_interrupted() == 1
        row = db.session.get(AlertDelivery, delivery_id)
        assert (row.status, row.last_error, row.next_try_at) == ("failed", outbox.INTERRUPTED, None)
        assert alert_jobs.enqueue_due(utcnow() + timedelta(days=1)) == 0
        assert len(receiver.messages) == 1
    finally:
        receiver.stop()
