"""Run jobs synchronously through the real runner, for tests that assert on the JobRun row."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select

from mhc.extensions import db
from mhc.models import JobRun, utcnow


def add_run(kind: str, status: str = "queued", **fields) -> JobRun:
    """Insert a JobRun row directly (no queue involved)."""
    run = JobRun(
        id=uuid.uuid4(),
        kind=kind,
        args=fields.pop("args", {}),
        status=status,
        created_at=fields.pop("created_at", utcnow()),
        **fields,
    )
    db.session.add(run)
    db.session.commit()
    return run


def run_job(kind: str, **args) -> JobRun:
    """Create a JobRun and execute it in this thread through the runner; return the reloaded row."""
    from mhc.jobs.runner import execute

    run_id = add_run(kind, args=args).id
    try:
        execute(str(run_id))
    except Exception:  # noqa: S110  (the runner stored the error on the row; tests read it there)
        pass
    db.session.expire_all()
    return db.session.get(JobRun, run_id)


def count(model) -> int:
    """Rows in a model's table."""
    return db.session.scalar(select(func.count()).select_from(model))
