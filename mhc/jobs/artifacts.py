"""Files kept with a job run for diagnosis (ARTIFACTS_DIR/<run id>/), and their paths on `job_runs.artifacts`."""

from __future__ import annotations

import uuid
from pathlib import Path

from flask import current_app
from sqlalchemy import update

from mhc.extensions import db
from mhc.models import JobRun


def folder(run_id) -> Path:
    """The run's artifacts folder, created if needed."""
    path = Path(current_app.config["ARTIFACTS_DIR"]) / str(run_id)
    path.mkdir(parents=True, exist_ok=True)
    return path


def record(run_id, artifacts: dict) -> None:
    """Store the run's artifacts map, in its own transaction (the run's may be rolling back)."""
    with db.engine.begin() as conn:
        conn.execute(update(JobRun).where(JobRun.id == uuid.UUID(str(run_id))).values(artifacts=artifacts))


def keep_page(run_id, page, **extra) -> None:
    """Save a screenshot and the HTML of the page a run stopped on, and record their paths with its URL."""
    from playwright.sync_api import Error as PlaywrightError

    where = folder(run_id)
    artifacts = {**extra, "url": page.url}
    try:  # best effort: the browser itself may be what failed; the run's own error is re-raised
        page.screenshot(path=str(where / "screenshot.png"))
        artifacts["screenshot"] = str(where / "screenshot.png")
    except PlaywrightError:
        pass
    try:
        (where / "page.html").write_text(page.content(), encoding="utf-8")
        artifacts["html"] = str(where / "page.html")
    except PlaywrightError:
        pass
    record(run_id, artifacts)
