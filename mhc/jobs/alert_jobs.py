"""alert_delivery: send one delivery of the alerts outbox; and the scheduler's alert work (due retries, the
stale-sync check, the daily digest, deliveries interrupted mid-send). Rules: docs/alerts.md."""

from __future__ import annotations

import logging
import uuid
from datetime import datetime

from flask import current_app, has_app_context
from sqlalchemy import select

from mhc.extensions import db
from mhc.jobs.queue import JobsUnavailable
from mhc.jobs.runs import JobAlreadyRunning, enqueue
from mhc.models import AlertDelivery, JobRun, utcnow
from mhc.models.jobs import ACTIVE_STATUSES
from mhc.services.alerts import firing, outbox, scheduled

log = logging.getLogger(__name__)
ALERT_DELIVERY = "alert_delivery"


class AlertDeliveryFailed(RuntimeError):
    """The channel did not take the message; the delivery row holds the reason and its next try."""


def lock_key(delivery_id: int) -> str:
    """One run per delivery at a time."""
    return f"{ALERT_DELIVERY}:{int(delivery_id)}"


def alert_delivery(run_id, delivery_id: int) -> dict:
    """Claim and send one delivery; a delivery already sent, claimed or not due is left alone."""
    status = outbox.deliver(db.session, int(delivery_id))
    delivery = db.session.get(AlertDelivery, int(delivery_id))
    if status == "failed":
        raise AlertDeliveryFailed(delivery.last_error)
    return {"delivery_id": int(delivery_id), "status": status, "attempts": delivery.attempts if delivery else None}


def enqueue_delivery(delivery_id: int, actor_id: uuid.UUID | None = None) -> JobRun:
    """Queue the run that sends one delivery (JobAlreadyRunning when one is queued or running)."""
    return enqueue(ALERT_DELIVERY, {"delivery_id": int(delivery_id)}, actor_id=actor_id, lock_key=lock_key(delivery_id))


def enqueue_due(now: datetime | None = None) -> int:
    """Queue a run for every due delivery that has none; return how many were queued. With the queue down the
    rows stay due and the scheduler tries again on its next tick."""
    if not has_app_context():  # a service used outside the app (a script): the scheduler sends them later
        return 0
    queued = 0
    for delivery_id in outbox.due_ids(db.session, now):
        try:
            enqueue_delivery(delivery_id)
            queued += 1
        except JobAlreadyRunning:
            continue
        except JobsUnavailable as exc:
            log.warning("alerts: %s", exc)
            break
    return queued


def recover_interrupted() -> int:
    """Deliveries left 'sending' whose run is no longer queued or running (its worker died mid-send) become
    failed with no next try: they may have arrived, so only the owner's Retry sends them again."""
    sending = outbox.sending_ids(db.session)
    if not sending:
        return 0
    active = set(
        db.session.scalars(
            select(JobRun.lock_key).where(JobRun.kind == ALERT_DELIVERY, JobRun.status.in_(ACTIVE_STATUSES))
        )
    )
    return outbox.mark_interrupted(db.session, [d for d in sending if lock_key(d) not in active])


def scheduled_alerts(now: datetime | None = None) -> dict:
    """The scheduler's share: stale-sync and digest deliveries when due, interrupted sends, then due rows queued."""
    now = now or utcnow()
    written = scheduled.fire_scheduled(db.session, now, current_app.config["OWNER_TIMEZONE"])
    interrupted = recover_interrupted()
    return {"written": written, "interrupted": interrupted, "queued": enqueue_due(now)}


def _settings() -> firing.AlertSettings | None:
    return firing.AlertSettings(current_app.config["OWNER_USERNAME"]) if has_app_context() else None


# Services cannot import jobs or read the configuration: they call outbox.dispatch() after their commit and
# firing.current_settings() while they fire, which land here (docs/alerts.md#when-rules-fire).
outbox.set_dispatcher(enqueue_due)
firing.set_settings_source(_settings)
