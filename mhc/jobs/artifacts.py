"""What a failed browser run keeps for diagnosis (stored in the database), and the job that expires it."""

from __future__ import annotations

import uuid
from datetime import timedelta

from flask import current_app
from sqlalchemy import update
from sqlalchemy.orm import Session

from mhc.extensions import db
from mhc.jobs.runs import enqueue
from mhc.models import JobRun, parse_uuid, utcnow
from mhc.services import job_artifacts

ARTIFACT_CLEANUP = "artifact_cleanup"
CONTENT_TYPES = {"screenshot": "image/png", "html": "text/html; charset=utf-8"}


def record(run_id, artifacts: dict) -> None:
    """Store the run's artifacts map, in its own transaction (the run's may be rolling back)."""
    with db.engine.begin() as conn:
        conn.execute(update(JobRun).where(JobRun.id == parse_uuid(run_id)).values(artifacts=artifacts))


def keep(run_id, kind: str, content: bytes) -> int:
    """Store one artifact of a run in its own session (the run's may be rolling back); return the bytes kept."""
    with Session(db.engine) as session:
        row = job_artifacts.store(
            session, parse_uuid(run_id), kind, content, CONTENT_TYPES[kind], current_app.config["ARTIFACT_MAX_BYTES"]
        )
        return row.size


def keep_page(run_id, page, **extra) -> None:
    """Save a screenshot and the HTML of the page a run stopped on; the run's map records their sizes and URL."""
    from playwright.sync_api import Error as PlaywrightError

    artifacts = {**extra, "url": page.url}
    try:  # best effort: the browser itself may be what failed; the run's own error is re-raised
        artifacts["screenshot"] = keep(run_id, "screenshot", page.screenshot())
    except PlaywrightError:
        pass
    try:
        artifacts["html"] = keep(run_id, "html", page.content().encode("utf-8"))
    except PlaywrightError:
        pass
    record(run_id, artifacts)


def artifact_cleanup(run_id) -> dict:
    """Delete artifacts older than ARTIFACT_RETENTION_DAYS."""
    days = int(current_app.config["ARTIFACT_RETENTION_DAYS"])
    deleted = job_artifacts.delete_older_than(db.session, utcnow() - timedelta(days=days))
    return {"deleted": deleted, "retention_days": days}


def enqueue_artifact_cleanup(actor_id: uuid.UUID | None = None) -> JobRun:
    """Enqueue the artifact cleanup unless one is queued or running."""
    return enqueue(ARTIFACT_CLEANUP, {}, actor_id=actor_id, lock_key=ARTIFACT_CLEANUP)
