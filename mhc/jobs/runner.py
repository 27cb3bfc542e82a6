"""The one function RQ runs: load the JobRun, call the job's function, record the outcome."""

from __future__ import annotations

import logging
import traceback

from flask import current_app
from sqlalchemy import update
from sqlalchemy.orm import Session

from mhc.extensions import db
from mhc.jobs.heartbeat import run_heartbeat
from mhc.jobs.kinds import job_function
from mhc.logs import run_context
from mhc.models import JobRun, parse_uuid, utcnow
from mhc.services.alerts import firing as alert_firing
from mhc.services.alerts import outbox as alert_outbox

log = logging.getLogger(__name__)


def set_progress(run_id, progress: int | None = None, text: str | None = None) -> None:
    """Record progress in its own short transaction, so the panel sees it while the job works."""
    values = {"heartbeat_at": utcnow()}
    if progress is not None:
        values["progress"] = max(0, min(100, int(progress)))
    if text is not None:
        values["progress_text"] = text
    with db.engine.begin() as conn:
        conn.execute(update(JobRun).where(JobRun.id == parse_uuid(run_id)).values(**values))


def execute(run_id: str) -> dict | None:
    """RQ entry point: run the JobRun's function and store status, counts and errors."""
    with run_context(run_id):  # every log line of the run, here or in its heartbeat thread, names it
        return _execute(run_id)


def _execute(run_id: str) -> dict | None:
    run = db.session.get(JobRun, parse_uuid(run_id))
    if run is None or run.status == "cancelled":
        db.session.remove()
        return None
    kind, fn = run.kind, job_function(run.kind)
    args = dict(run.args or {})
    now = utcnow()
    _mark(run_id, status="running", started_at=now, heartbeat_at=now, error=None, traceback=None)
    db.session.remove()
    log.info("%s started", kind)
    try:
        # The run beats on its own clock, not on progress reports: a long browser page is not a death.
        with run_heartbeat(parse_uuid(run_id), current_app.config["WORKER_HEARTBEAT_SECONDS"]):
            counts = fn(run_id, **args)
    except Exception as exc:
        db.session.rollback()
        error = _one_line(exc)
        _end(
            run_id,
            kind,
            args,
            error,
            status="failed",
            finished_at=utcnow(),
            error=error,
            traceback=traceback.format_exc(),
        )
        db.session.remove()
        log.warning("%s failed after %.1f s: %s", kind, _seconds_since(now), _one_line(exc))
        raise
    final = "held" if isinstance(counts, dict) and counts.get("held") else "finished"
    reason = counts.get("reason") if final == "held" else None
    _end(run_id, kind, args, reason, status=final, finished_at=utcnow(), progress=100, counts=counts)
    db.session.remove()
    log.info("%s %s after %.1f s: %s", kind, final, _seconds_since(now), counts)
    return counts


def _seconds_since(start) -> float:
    return (utcnow() - start).total_seconds()


def _end(run_id, kind: str, args: dict, reason: str | None, **values) -> None:
    """Record a run's outcome and, in the same transaction, the alerts it fires (docs/alerts.md); then queue them."""
    with Session(db.engine) as session:
        session.execute(update(JobRun).where(JobRun.id == parse_uuid(run_id)).values(**values))
        fired = alert_firing.on_run_outcome(session, kind, run_id, values["status"], reason, args)
        session.commit()
    if fired:
        alert_outbox.dispatch()


def _mark(run_id, **values) -> None:
    with db.engine.begin() as conn:
        conn.execute(update(JobRun).where(JobRun.id == parse_uuid(run_id)).values(**values))


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip() or exc.__class__.__name__
    return f"{exc.__class__.__name__}: {text}" if not text.startswith(exc.__class__.__name__) else text
