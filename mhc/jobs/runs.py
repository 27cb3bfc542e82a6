"""Starting a run: enqueue() writes the JobRun row and hands its id to RQ; one run per lock key."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import redis
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from mhc.extensions import db
from mhc.jobs.kinds import KINDS
from mhc.jobs.queue import JobsUnavailable, queues
from mhc.jobs.recovery import mark_stale_runs
from mhc.models import JobRun, utcnow
from mhc.models.jobs import ACTIVE_STATUSES
from mhc.services import audit

JOB_TIMEOUT_SECONDS = 3600
# The function RQ calls for every run (stored in Redis with each queued job: keep this path working).
RUNNER = "mhc.jobs.runner.execute"


@dataclass
class JobAlreadyRunning(Exception):
    """A run with the same lock key is queued or running."""

    run: JobRun

    def __str__(self) -> str:
        return f"a {self.run.kind} run is already {self.run.status} (started {self.run.created_at:%Y-%m-%d %H:%M} UTC)"


def active_run(lock_key: str) -> JobRun | None:
    """The queued or running run holding this lock key, if any; one whose worker died no longer holds it."""
    stmt = select(JobRun).where(JobRun.lock_key == lock_key, JobRun.status.in_(ACTIVE_STATUSES)).limit(1)
    run = db.session.scalars(stmt).first()
    if run is not None and run.status == "running" and mark_stale_runs(lock_key=lock_key):
        run = db.session.scalars(stmt).first()
    return run


def insert_run(run: JobRun) -> JobRun:
    """Insert and commit a new run (audited when a person starts it); JobAlreadyRunning (naming the holder)
    when its lock key is taken.

    The unique index on active lock keys decides (docs/production.md, "One run per lock"): the check first
    only gives the usual answer without a failed insert and frees a key whose holder's worker died.
    """
    if run.lock_key and (holder := active_run(run.lock_key)):
        raise JobAlreadyRunning(holder)
    run.id = run.id or uuid.uuid4()
    for attempt in range(2):
        _audit_start(run)
        db.session.add(run)
        try:
            db.session.commit()
            return run
        except IntegrityError:
            db.session.rollback()
            holder = active_run(run.lock_key) if run.lock_key else None
            if holder is not None:
                raise JobAlreadyRunning(holder) from None
            if attempt:  # not the lock (or its holder ended twice in a row): a real error
                raise
    raise AssertionError("unreachable")


def _audit_start(run: JobRun) -> None:
    """A run a person starts is audited in the commit that inserts it ("retry" when it retries another)."""
    if run.started_by_id is None:
        return
    retry = run.retry_of_id is not None
    changes = {"retry_of": [None, str(run.retry_of_id)]} if retry else None
    audit.record_change(db.session, run, "retry" if retry else "start", actor_id=run.started_by_id, changes=changes)


def enqueue(
    kind: str,
    args: dict | None = None,
    *,
    actor_id: uuid.UUID | None = None,
    lock_key: str | None = None,
    queue: str = "default",
    retry_of: uuid.UUID | None = None,
) -> JobRun:
    """Record a JobRun started by `actor_id` (None: the system) and enqueue it; refuse a duplicate in-flight run."""
    if kind not in KINDS:
        raise ValueError(f"unknown job kind {kind!r}")
    qs = queues()
    run = JobRun(
        id=uuid.uuid4(),
        kind=kind,
        args=args or {},
        lock_key=lock_key,
        status="queued",
        started_by_id=actor_id,
        retry_of_id=retry_of,
        created_at=utcnow(),
    )
    insert_run(run)
    try:
        qs.queue(queue).enqueue(
            RUNNER,
            str(run.id),
            job_id=str(run.id),
            job_timeout=JOB_TIMEOUT_SECONDS,
            result_ttl=86400,
            failure_ttl=7 * 86400,
        )
    except redis.RedisError as exc:
        run.status, run.error, run.finished_at = "failed", f"job queue unavailable: {exc}", utcnow()
        db.session.commit()
        raise JobsUnavailable(f"the job queue is unavailable ({exc}); nothing was started") from exc
    qs.ensure_embedded_worker()
    return run
