"""What the Jobs page does to runs: retry a failed one, cancel a queued one, list workers."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import redis
from rq import Worker
from rq.exceptions import InvalidJobOperation, NoSuchJobError
from rq.job import Job
from sqlalchemy import select

from mhc.extensions import db
from mhc.jobs.queue import JobsUnavailable, queues
from mhc.jobs.recovery import dead_after, live_workers
from mhc.jobs.runs import enqueue
from mhc.models import JobRun, WorkerHeartbeat, parse_uuid, utcnow
from mhc.services import audit

RETRYABLE = ("failed", "cancelled")
# Where a kind runs when RQ no longer remembers the original job's queue.
QUEUE_BY_KIND = {"profile_scrape": "scrape"}


class JobStateError(ValueError):
    """The run is not in a state that allows this operation; the message says why."""


@dataclass
class WorkerInfo:
    """One worker as the Jobs page lists it."""

    name: str
    state: str
    queues: list[str]
    current_job: str | None


def _run(run_id) -> JobRun:
    run = db.session.get(JobRun, parse_uuid(run_id))
    if run is None:
        raise JobStateError("no such run")
    return run


def _queue_of(run: JobRun) -> str:
    qs = queues()
    try:
        origin = Job.fetch(str(run.id), connection=qs.connection).origin
        return origin[len(qs.prefix) :] if origin.startswith(qs.prefix) else origin
    except (NoSuchJobError, redis.RedisError):
        return QUEUE_BY_KIND.get(run.kind, "default")


def retry(run_id, actor_id: uuid.UUID | None = None) -> JobRun:
    """Enqueue a new run with the same kind, arguments and lock key, linked to the failed one; `actor_id` starts it."""
    run = _run(run_id)
    if run.status not in RETRYABLE:
        raise JobStateError(f"only failed or cancelled runs can be retried; this one is {run.status}")
    return enqueue(
        run.kind,
        dict(run.args or {}),
        actor_id=actor_id,
        lock_key=run.lock_key,
        queue=_queue_of(run),
        retry_of=run.id,
    )


def cancel(run_id, actor_id: uuid.UUID | None = None) -> JobRun:
    """Cancel a queued run: drop it from RQ when reachable; the runner skips cancelled rows anyway. Audited
    in the same commit."""
    run = _run(run_id)
    if run.status != "queued":
        raise JobStateError(f"only queued runs can be cancelled; this one is {run.status}")
    try:
        Job.fetch(str(run.id), connection=queues().connection).cancel()
    except (NoSuchJobError, InvalidJobOperation, redis.RedisError):
        pass  # the row below is what the runner checks before starting
    run.status, run.finished_at, run.error = "cancelled", utcnow(), "cancelled before it started"
    audit.record_change(db.session, run, "cancel", actor_id=actor_id, changes={"status": ["queued", "cancelled"]})
    db.session.commit()
    return run


def workers() -> list[WorkerInfo]:
    """Live workers on our queues; raise JobsUnavailable when Redis does not answer."""
    qs = queues()
    try:
        live = live_workers(qs.connection)
        found = []
        for w in Worker.all(connection=qs.connection):
            if w.name not in live or not set(w.queue_names()) & set(qs.names):
                continue
            found.append(WorkerInfo(w.name, w.get_state(), w.queue_names(), w.get_current_job_id()))
        return found
    except redis.RedisError as exc:
        raise JobsUnavailable(f"the job queue is unavailable ({exc})") from exc


def worker_heartbeats() -> list[WorkerHeartbeat]:
    """Workers whose database heartbeat is within the bound (known even when Redis is down), newest first."""
    since = utcnow() - dead_after()
    stmt = select(WorkerHeartbeat).where(WorkerHeartbeat.beat_at >= since).order_by(WorkerHeartbeat.started_at.desc())
    return list(db.session.scalars(stmt))
