"""Runs whose worker died (kill -9, crash) are marked failed so they can be retried."""

from __future__ import annotations

from rq import Worker
from rq.exceptions import NoSuchJobError
from rq.job import Job
from sqlalchemy import select

from mhc.extensions import db
from mhc.jobs import queues
from mhc.models import JobRun, utcnow

ABANDONED = "abandoned: the worker running it stopped before it finished; nothing of it was applied"


def recover_abandoned() -> int:
    """Mark 'running' runs that no live worker is executing as failed; return how many."""
    qs = queues()
    live = {w.name for w in Worker.all(connection=qs.connection)}
    fixed = 0
    for run in db.session.scalars(select(JobRun).where(JobRun.status == "running")):
        try:
            job = Job.fetch(str(run.id), connection=qs.connection)
            worker_name = job.worker_name
        except NoSuchJobError:
            worker_name = None
        if worker_name and worker_name in live and job.get_status() == "started":
            continue
        run.status, run.error, run.finished_at = "failed", ABANDONED, utcnow()
        fixed += 1
    db.session.commit()
    return fixed
