"""/healthz: is the database reachable, is the job queue reachable (no login; reveals no data)."""

from __future__ import annotations

from flask import Flask, current_app

from mhc.database import DatabaseUnavailable, check_database


def init_health(app: Flask) -> None:
    """Register the health endpoint."""
    app.add_url_rule("/healthz", "healthz", healthz)


def healthz():
    """200 when the database answers, 503 otherwise; says whether jobs can run."""
    try:
        check_database()
        database = "ok"
    except DatabaseUnavailable:
        database = "unavailable"
    jobs = "ok" if current_app.extensions["mhc_jobs"].ping() else "unavailable"
    return {"database": database, "jobs": jobs}, 200 if database == "ok" else 503
