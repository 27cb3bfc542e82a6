"""Runs whose worker died (kill -9, crash, a lost machine) are marked failed so they can be retried.

A job's writes are one transaction, so a run cut off mid-way applied nothing; marking it failed
(with the reason) frees its lock key and offers Retry on the Jobs page.

The rule is the run's database heartbeat (mhc/jobs/heartbeat.py): a running run silent for longer than
WORKER_DEAD_AFTER_SECONDS is abandoned. Any process applies it with one conditional UPDATE, so two doing it
at once mark a run once: the web when a lock key is taken and when the Jobs page lists runs, the scheduler
tick, and every worker on each heartbeat. A worker starting on the same host also asks RQ, which tells at
once that a run's worker pid is gone (docs/reliability.md, "Jobs: dead workers are noticed").
"""

from __future__ import annotations

import logging
import os
import socket
from datetime import timedelta

import redis
from flask import current_app
from rq import Worker
from rq.exceptions import NoSuchJobError
from rq.job import Job
from sqlalchemy import func, select, update

from mhc.extensions import db
from mhc.jobs.queue import queues
from mhc.models import JobRun, utcnow

log = logging.getLogger(__name__)
ABANDONED = "abandoned: the worker running it stopped before it finished; nothing of it was applied"
QUEUED_GRACE = timedelta(seconds=60)
LOST = "lost: the job queue no longer holds this run (Redis was emptied or restarted); nothing was started"


def _pid_alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def live_workers(connection) -> set[str]:
    """Names of workers that are really alive: same-host ones by pid, others by a recent heartbeat."""
    return _worker_states(connection)[0]


def _worker_states(connection) -> tuple[set[str], set[str]]:
    """(alive, dead here): workers alive by pid or RQ heartbeat, and same-host workers whose pid is gone."""
    host, now = socket.gethostname(), utcnow()
    live, dead_here = set(), set()
    for worker in Worker.all(connection=connection):
        if worker.hostname == host:
            alive = _pid_alive(worker.pid)
            if not alive:
                dead_here.add(worker.name)
        else:
            beat = worker.last_heartbeat
            alive = beat is not None and now - beat.replace(tzinfo=now.tzinfo) < timedelta(seconds=worker.worker_ttl)
        if alive:
            live.add(worker.name)
    return live, dead_here


def dead_after() -> timedelta:
    """How long a running run may go without a heartbeat before it counts as abandoned."""
    return timedelta(seconds=int(current_app.config["WORKER_DEAD_AFTER_SECONDS"]))


def mark_stale_runs(lock_key: str | None = None, now=None) -> int:
    """Mark running runs whose heartbeat is older than the bound failed (abandoned); return how many."""
    now = now or utcnow()
    silent_since = func.coalesce(JobRun.heartbeat_at, JobRun.started_at, JobRun.created_at)
    stale = [JobRun.status == "running", silent_since < now - dead_after()]
    if lock_key:
        stale.append(JobRun.lock_key == lock_key)
    if db.session.scalar(select(JobRun.id).where(*stale).limit(1)) is None:
        return 0  # the usual answer: a read takes no write lock
    # The conditions are evaluated again under the row lock, so a run marked (or beating) meanwhile is left alone.
    stmt = update(JobRun).where(*stale).values(status="failed", error=ABANDONED, finished_at=now)
    marked = db.session.execute(stmt.execution_options(synchronize_session=False)).rowcount
    db.session.commit()
    if marked:
        log.warning("marked %d run(s) abandoned: no heartbeat for %s", marked, dead_after())
    return marked


def recover_abandoned() -> int:
    """Mark silent runs, runs whose worker died on this host and queued runs RQ lost as failed; return how many."""
    fixed = mark_stale_runs()
    qs = queues()
    try:
        live, dead_here = _worker_states(qs.connection)
        verdicts = []
        for run in db.session.scalars(select(JobRun).where(JobRun.status.in_(("running", "queued")))):
            reason = _why_dead(run, qs.connection, live, dead_here)
            if reason:
                verdicts.append((run.id, run.status, run.heartbeat_at is None, reason))
    except redis.RedisError:
        db.session.rollback()
        return fixed  # without Redis only the database heartbeat can judge, and it has
    fixed += sum(_fail_if_unchanged(*verdict) for verdict in verdicts)
    db.session.commit()
    return fixed


def _why_dead(run: JobRun, connection, live: set[str], dead_here: set[str]) -> str | None:
    try:
        job = Job.fetch(str(run.id), connection=connection)
    except NoSuchJobError:
        if run.status == "queued":
            # enqueue() commits the row just before it hands the job to RQ
            return None if utcnow() - run.created_at < QUEUED_GRACE else LOST
        # A run outside RQ (python worker.py events, a CLI sync) beats; one that never beat is a leftover.
        return ABANDONED if run.heartbeat_at is None else None
    if run.status == "running" and job.worker_name in dead_here:
        return ABANDONED  # its worker's pid is gone from this host: no need to wait for the heartbeat bound
    return None


def _fail_if_unchanged(run_id, status: str, never_beat: bool, reason: str) -> int:
    """Mark one run failed unless it moved on (finished, or started beating) since it was judged."""
    where = [JobRun.id == run_id, JobRun.status == status]
    if never_beat:
        where.append(JobRun.heartbeat_at.is_(None))
    stmt = update(JobRun).where(*where).values(status="failed", error=reason, finished_at=utcnow())
    return db.session.execute(stmt.execution_options(synchronize_session=False)).rowcount
