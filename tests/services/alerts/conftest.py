"""Alert test fixtures: local receivers, channels and rules built through the services, and a wait for the
embedded worker to send what was queued."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from mhc.extensions import db
from mhc.models import JobRun
from mhc.models.jobs import ACTIVE_STATUSES
from tests.services.alerts.receivers import SmtpReceiver, WebhookReceiver
from tests.waiting import wait_until


@pytest.fixture
def webhook():
    receiver = WebhookReceiver().start()
    yield receiver
    receiver.stop()


@pytest.fixture
def smtp():
    receiver = SmtpReceiver().start()
    yield receiver
    receiver.stop()


@pytest.fixture
def sent(app):
    """Wait until every alert delivery run queued so far has ended (the embedded worker sends them)."""

    def wait() -> None:
        def ended() -> bool:
            db.session.rollback()  # a fresh snapshot each time
            active = select(func.count()).where(JobRun.kind == "alert_delivery", JobRun.status.in_(ACTIVE_STATUSES))
            return db.session.scalar(active) == 0

        wait_until(ended, 60, message="the queued alert deliveries to be sent")
        assert app.extensions["mhc_jobs"].wait_idle(60), "the embedded worker was still busy after 60 s"
        db.session.expire_all()

    return wait
