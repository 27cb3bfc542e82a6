"""Delivery never sends twice on its own: a retried job finds the row sent, a row a dead run left 'sending'
becomes failed (it may have arrived) and waits for the owner's Retry, and a dead receiver leaves a failed
row with its reason and a next try that succeeds once the receiver is back (docs/alerts.md#never-twice)."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from mhc.extensions import db
from mhc.jobs import alert_jobs
from mhc.models import AlertDelivery, JobRun, utcnow
from mhc.services import alerts
from mhc.services.alerts import outbox
from tests.jobs.helpers import add_run, run_job
from tests.services.alerts.helpers import add_channel
from tests.services.alerts.receivers import WebhookReceiver


def test_a_retried_job_sends_nothing_twice(app, webhook, sent):
    delivery_id = alerts.send_test(db.session, add_channel("phone", webhook.url).id, None).id
    sent()
    assert len(webhook.messages) == 1 and webhook.titles() == ["MHC test alert"]
    again = run_job("alert_delivery", delivery_id=delivery_id)
    assert (again.status, again.counts["status"]) == ("finished", "skipped")
    assert alert_jobs.enqueue_due() == 0
    sent()
    assert len(webhook.messages) == 1
    row = db.session.get(AlertDelivery, delivery_id)
    assert (row.status, row.attempts, row.last_error, row.next_try_at) == ("sent", 1, None, None)


def test_a_row_left_sending_by_a_dead_run_is_not_sent_again(app, webhook, sent):
    channel = add_channel("phone", webhook.url)
    outbox.set_dispatcher(None)  # keep the row away from the worker until the "crash" is staged
    try:
        delivery = alerts.send_test(db.session, channel.id, None)
    finally:
        outbox.set_dispatcher(alert_jobs.enqueue_due)
    # The run claimed the row, then its worker died: the row says 'sending', the run was marked abandoned.
    db.session.execute(
        AlertDelivery.__table__.update().where(AlertDelivery.id == delivery.id).values(status="sending", attempts=1)
    )
    db.session.commit()
    add_run("alert_delivery", status="failed", lock_key=alert_jobs.lock_key(delivery.id), error="abandoned")

    assert alert_jobs.scheduled_alerts() == {"written": 0, "interrupted": 1, "queued": 0}
    assert alert_jobs.scheduled_alerts()["interrupted"] == 0
    sent()
    row = db.session.get(AlertDelivery, delivery.id)
    assert (row.status, row.last_error, row.next_try_at) == ("failed", outbox.INTERRUPTED, None)
    assert webhook.messages == []

    alerts.retry_delivery(db.session, delivery.id, None)
    sent()
    assert webhook.titles() == ["MHC test alert"]
    row = db.session.get(AlertDelivery, delivery.id)
    assert (row.status, row.attempts) == ("sent", 2)


def test_a_row_claimed_by_a_running_run_is_left_alone(app, webhook):
    channel = add_channel("phone", webhook.url)
    outbox.set_dispatcher(None)
    try:
        delivery = alerts.send_test(db.session, channel.id, None)
    finally:
        outbox.set_dispatcher(alert_jobs.enqueue_due)
    db.session.execute(AlertDelivery.__table__.update().values(status="sending"))
    db.session.commit()
    add_run("alert_delivery", status="running", lock_key=alert_jobs.lock_key(delivery.id), heartbeat_at=utcnow())
    assert alert_jobs.recover_interrupted() == 0
    assert db.session.get(AlertDelivery, delivery.id).status == "sending"


def test_a_dead_receiver_leaves_a_failed_delivery_with_reason_and_next_try(app, sent):
    receiver = WebhookReceiver()  # its port is closed until start()
    channel = add_channel("phone", receiver.url)
    delivery = alerts.send_test(db.session, channel.id, None)
    sent()
    row = db.session.get(AlertDelivery, delivery.id)
    assert (row.status, row.attempts) == ("failed", 1)
    assert row.last_error.startswith("the channel did not take the message: ")
    assert "Connection error" in row.last_error and "s3cr3t-token-value" not in row.last_error
    assert timedelta(seconds=50) < row.next_try_at - row.created_at < timedelta(seconds=70)
    run = db.session.query(JobRun).filter_by(kind="alert_delivery").one()
    assert run.status == "failed" and "s3cr3t-token-value" not in (run.error + run.traceback)

    assert alert_jobs.enqueue_due() == 0  # not due yet
    receiver.start()
    try:
        assert alert_jobs.scheduled_alerts(row.next_try_at + timedelta(seconds=1))["queued"] == 1
        sent()
        # the claim compares with the real clock: the row is due only once its next try has come
        assert db.session.get(AlertDelivery, delivery.id).status == "failed"
        alerts.retry_delivery(db.session, delivery.id, None)
        sent()
        assert receiver.titles() == ["MHC test alert"]
        row = db.session.get(AlertDelivery, delivery.id)
        assert (row.status, row.attempts, row.last_error) == ("sent", 2, None)
    finally:
        receiver.stop()


def test_backoff_doubles_and_gives_up_after_the_last_attempt(app):
    receiver = WebhookReceiver()
    channel = add_channel("phone", receiver.url)
    outbox.set_dispatcher(None)
    try:
        delivery = alerts.send_test(db.session, channel.id, None)
        waits = []
        for _ in range(outbox.MAX_ATTEMPTS):
            db.session.execute(AlertDelivery.__table__.update().values(next_try_at=utcnow()))
            db.session.commit()
            assert outbox.deliver(db.session, delivery.id) == "failed"
            row = db.session.get(AlertDelivery, delivery.id)
            waits.append(round((row.next_try_at - utcnow()).total_seconds() / 60) if row.next_try_at else None)
    finally:
        outbox.set_dispatcher(alert_jobs.enqueue_due)
    assert waits == [1, 2, 4, 8, None]
    assert row.last_error.endswith("gave up after 5 attempts: use Retry to send again")
    assert outbox.due_ids(db.session, utcnow() + timedelta(days=365)) == []


def test_retry_refuses_a_delivery_that_did_not_fail(app, webhook, sent):
    delivery = alerts.send_test(db.session, add_channel("phone", webhook.url).id, None)
    sent()
    with pytest.raises(alerts.AlertError, match="only a failed delivery can be retried; this one is sent"):
        alerts.retry_delivery(db.session, delivery.id, None)
    with pytest.raises(alerts.AlertError, match="no such delivery"):
        alerts.retry_delivery(db.session, str(uuid.uuid4()), None)
