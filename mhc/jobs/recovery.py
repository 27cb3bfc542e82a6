"""Runs whose worker died (kill -9, crash) are marked failed so they can be retried.

A job's writes are one transaction, so a run cut off mid-way applied nothing; marking it failed
(with the reason) frees its lock key and offers Retry on the Jobs page.
"""

from __future__ import annotations

import os
import socket
from datetime import timedelta

import redis
from rq import Worker
from rq.exceptions import NoSuchJobError
from rq.job import Job
from sqlalchemy import select

from mhc.extensions import db
from mhc.jobs import queues
from mhc.models import JobRun, utcnow

ABANDONED = "abandoned: the worker running it stopped before it finished; nothing of it was applied"
QUEUED_GRACE = timedelta(seconds=60)
# Longer than the longest Events API longpoll (90 s) between two progress reports.
HEARTBEAT_GRACE = timedelta(minutes=5)
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
    host, now = socket.gethostname(), utcnow()
    live = set()
    for worker in Worker.all(connection=connection):
        if worker.hostname == host:
            alive = _pid_alive(worker.pid)
        else:
            beat = worker.last_heartbeat
            alive = beat is not None and now - beat.replace(tzinfo=now.tzinfo) < timedelta(seconds=worker.worker_ttl)
        if alive:
            live.add(worker.name)
    return live


def recover_abandoned() -> int:
    """Mark 'running' runs no live worker executes, and 'queued' runs RQ lost, as failed; return how many."""
    qs = queues()
    try:
        live = live_workers(qs.connection)
        fixed = 0
        for run in db.session.scalars(select(JobRun).where(JobRun.status.in_(("running", "queued")))):
            reason = _why_dead(run, qs.connection, live)
            if reason:
                run.status, run.error, run.finished_at = "failed", reason, utcnow()
                fixed += 1
    except redis.RedisError:
        db.session.rollback()
        return 0  # without Redis we cannot tell dead from alive: change nothing
    db.session.commit()
    return fixed


def _why_dead(run: JobRun, connection, live: set[str]) -> str | None:
    try:
        job = Job.fetch(str(run.id), connection=connection)
    except NoSuchJobError:
        if run.status == "queued" and utcnow() - run.created_at < QUEUED_GRACE:
            return None  # enqueue() commits the row just before it hands the job to RQ
        if run.status == "running" and run.heartbeat_at and utcnow() - run.heartbeat_at < HEARTBEAT_GRACE:
            return None  # a run outside RQ (python worker.py events) that is still reporting in
        return ABANDONED if run.status == "running" else LOST
    if run.status == "queued":
        return None
    if job.worker_name and job.worker_name in live and job.get_status() == "started":
        return None
    return ABANDONED
