"""The delivery log as an outbox: rows are written in the transaction that saw the event, then sent by a job
that claims each row before it calls the channel, so nothing is sent twice (docs/alerts.md#never-twice).

Services cannot import the job layer; mhc/jobs/alert_jobs.py registers the function that enqueues due rows
(`set_dispatcher`), and services call `dispatch()` after their commit. Rows it misses (no queue, Redis down,
a caller that commits later) wait for the scheduler's next tick."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from mhc import sqlcompat
from mhc.models import AlertChannel, AlertDelivery, utcnow
from mhc.services import audit
from mhc.services.alerts.channels import get_channel, reveal_url
from mhc.services.alerts.kinds import AlertError
from mhc.services.alerts.sending import send

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 5
FIRST_RETRY = timedelta(minutes=1)  # then 2, 4, 8 minutes
INTERRUPTED = "interrupted while sending: it may have arrived; use Retry to send again"
GAVE_UP = "; gave up after {n} attempts: use Retry to send again"
DISABLED = "the channel is turned off: turn it on, then use Retry"

_dispatcher: Callable[[], object] | None = None


def set_dispatcher(fn: Callable[[], object] | None) -> None:
    """Install the function that enqueues due deliveries (the job layer's; None in processes without one)."""
    global _dispatcher
    _dispatcher = fn


def dispatch() -> None:
    """Hand due deliveries to the job queue now (call after commit); a no-op without a dispatcher."""
    if _dispatcher is not None:
        _dispatcher()


def add_delivery(
    session: Session, *, key: str, channel_id: int, title: str, body: str, rule_id=None, event_count: int = 1, now=None
) -> int:
    """Write one pending delivery unless its idempotency key exists (caller's transaction); 1 if written, else 0."""
    row = {
        "rule_id": rule_id,
        "channel_id": channel_id,
        "idempotency_key": key[:200],
        "title": title[:200],
        "body": body,
        "status": "pending",
        "attempts": 0,
        "next_try_at": now or utcnow(),
        "event_count": event_count,
        "created_at": now or utcnow(),
    }
    table = AlertDelivery.__table__
    return session.execute(sqlcompat.insert_or_ignore(session, table, ["idempotency_key"]).values(**row)).rowcount


def send_test(session: Session, channel_id: int, actor_id: uuid.UUID | None) -> AlertDelivery:
    """Queue a test message to a channel (a pending row, then its job); commits."""
    channel = get_channel(session, channel_id)
    now = utcnow()
    key = f"test:{channel.id}:{uuid.uuid4().hex}"
    body = f"A test alert from the MHC Control Panel to channel {channel.name!r}, {now:%Y-%m-%d %H:%M} UTC."
    add_delivery(session, key=key, channel_id=channel.id, title="MHC test alert", body=body, now=now)
    delivery = session.scalar(select(AlertDelivery).where(AlertDelivery.idempotency_key == key))
    audit.record_change(session, channel, "send_test", actor_id=actor_id)
    session.commit()
    dispatch()
    return delivery


def retry_delivery(session: Session, delivery_id: int, actor_id: uuid.UUID | None) -> AlertDelivery:
    """Send a failed delivery again, now (the owner's decision, also for one interrupted mid-send); commits."""
    delivery = get_delivery(session, delivery_id)
    if delivery.status != "failed":
        raise AlertError(f"only a failed delivery can be retried; this one is {delivery.status}")
    now = utcnow()
    moved = session.execute(
        update(AlertDelivery)
        .where(AlertDelivery.id == delivery.id, AlertDelivery.status == "failed")
        .values(status="pending", next_try_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not moved:
        session.rollback()
        raise AlertError("the delivery changed meanwhile: reload the page")
    audit.record_change(session, delivery, "retry", actor_id=actor_id)
    session.commit()
    session.refresh(delivery)
    dispatch()
    return delivery


def recent_deliveries(session: Session, limit: int = 50) -> list[AlertDelivery]:
    """The newest deliveries first."""
    stmt = select(AlertDelivery).order_by(AlertDelivery.created_at.desc(), AlertDelivery.id.desc()).limit(limit)
    return list(session.scalars(stmt))


def get_delivery(session: Session, delivery_id) -> AlertDelivery:
    """One delivery by id; AlertError when there is none."""
    try:
        delivery = session.get(AlertDelivery, int(delivery_id))
    except (TypeError, ValueError):
        delivery = None
    if delivery is None:
        raise AlertError("no such delivery")
    return delivery


def due_ids(session: Session, now: datetime | None = None, limit: int = 100) -> list[int]:
    """Deliveries a job should take now: pending ones, and failed ones whose next try has come."""
    stmt = (
        select(AlertDelivery.id)
        .where(AlertDelivery.status.in_(("pending", "failed")), AlertDelivery.next_try_at <= (now or utcnow()))
        .order_by(AlertDelivery.next_try_at, AlertDelivery.id)
        .limit(limit)
    )
    return list(session.scalars(stmt))


def deliver(session: Session, delivery_id: int, now: datetime | None = None) -> str:
    """Claim one due delivery (committed as 'sending'), call its channel, record the outcome; return the
    status ('sent', 'failed', or 'skipped' when it was not due or another run holds it)."""
    if not _claim(session, delivery_id, now or utcnow()):
        return "skipped"
    delivery = session.get(AlertDelivery, delivery_id)
    channel = session.get(AlertChannel, delivery.channel_id)
    error = DISABLED if not channel.enabled else send(reveal_url(channel), delivery.title, delivery.body)
    _finish(session, delivery, error)
    return "failed" if error else "sent"


def _claim(session: Session, delivery_id: int, now: datetime) -> bool:
    """'sending', committed, before the channel is called: a second run (or a retried job) finds it taken."""
    stmt = (
        update(AlertDelivery)
        .where(
            AlertDelivery.id == delivery_id,
            AlertDelivery.status.in_(("pending", "failed")),
            AlertDelivery.next_try_at <= now,
        )
        .values(status="sending", attempts=AlertDelivery.attempts + 1, next_try_at=None)
        .execution_options(synchronize_session=False)
    )
    claimed = session.execute(stmt).rowcount == 1
    session.commit()
    return claimed


def _finish(session: Session, delivery: AlertDelivery, error: str | None) -> None:
    now = utcnow()
    session.refresh(delivery)
    if error is None:
        delivery.status, delivery.sent_at, delivery.last_error, delivery.next_try_at = "sent", now, None, None
    elif error == DISABLED:
        delivery.status, delivery.last_error, delivery.next_try_at = "failed", error, None
    elif delivery.attempts >= MAX_ATTEMPTS:
        delivery.status, delivery.next_try_at = "failed", None
        delivery.last_error = error + GAVE_UP.format(n=delivery.attempts)
    else:
        delivery.status, delivery.last_error = "failed", error
        delivery.next_try_at = now + FIRST_RETRY * 2 ** (delivery.attempts - 1)
    session.commit()
    if error:
        log.warning("alert delivery %s failed (attempt %s): %s", delivery.id, delivery.attempts, error)


def mark_interrupted(session: Session, delivery_ids: list[int]) -> int:
    """Rows left 'sending' by a run that died: failed, with no next try (it may have arrived); commits."""
    if not delivery_ids:
        return 0
    stmt = (
        update(AlertDelivery)
        .where(AlertDelivery.id.in_(delivery_ids), AlertDelivery.status == "sending")
        .values(status="failed", last_error=INTERRUPTED, next_try_at=None)
        .execution_options(synchronize_session=False)
    )
    marked = session.execute(stmt).rowcount
    session.commit()
    return marked


def sending_ids(session: Session) -> list[int]:
    """Deliveries claimed by a run that has not finished them."""
    return list(session.scalars(select(AlertDelivery.id).where(AlertDelivery.status == "sending")))


def pending_count(session: Session) -> int:
    """Deliveries waiting for their first try."""
    return session.scalar(select(sa.func.count()).where(AlertDelivery.status == "pending")) or 0
