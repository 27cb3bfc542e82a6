"""Background jobs: enqueue() writes the JobRun row and hands its id to RQ; init_jobs wires the queues.

Imports inside mhc/jobs run one way (docs/architecture.md, "Jobs"): queue <- recovery <- runs <- job modules
<- scheduler <- embedded <- this package. Modules inside mhc/jobs import from those modules, never from here;
code outside imports the public names below.
"""

from __future__ import annotations

from flask import Flask

from mhc.jobs.embedded import EmbeddedWorker
from mhc.jobs.queue import JobQueues, JobsUnavailable, queues
from mhc.jobs.runs import JobAlreadyRunning, enqueue, insert_run

__all__ = ["JobAlreadyRunning", "JobsUnavailable", "enqueue", "init_jobs", "insert_run", "queues"]


def init_jobs(app: Flask) -> None:
    """Attach the queues (real Redis or embedded) to the app."""
    app.extensions["mhc_jobs"] = qs = JobQueues(app)
    if qs.embedded:
        qs.background = EmbeddedWorker(app, qs)
    # Embedded mode schedules from the web process, started by the first request (not by CLI commands).
    app.before_request(qs.ensure_scheduler)
