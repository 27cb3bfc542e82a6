"""Artifacts in the database: size cap, the daily cleanup job, the Jobs page showing what was kept."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from mhc.extensions import db
from mhc.jobs import JobAlreadyRunning, artifacts, scheduler
from mhc.models import JobArtifact, utcnow
from mhc.services import job_artifacts
from tests.jobs.helpers import add_run, run_job


@pytest.fixture
def app_config():
    return {"ARTIFACT_MAX_BYTES": 200}


def test_content_over_the_cap_is_truncated_with_a_note(app, client, login_as):
    run = add_run("profile_scrape", status="failed")
    assert artifacts.keep(run.id, "html", b"<p>" + b"x" * 997) == 200
    assert artifacts.keep(run.id, "screenshot", b"\x89PNG" + b"\0" * 296) == 200
    html = job_artifacts.fetch(db.session, run.id, "html")
    note = b"\n<!-- truncated by MHC Control Panel: the first 200 of 1000 bytes were kept -->\n"
    assert (html.size, html.original_size, html.content) == (200, 1000, b"<p>" + b"x" * (197 - len(note)) + note)
    shot = job_artifacts.fetch(db.session, run.id, "screenshot")
    assert (shot.size, shot.original_size, shot.content) == (200, 300, b"\x89PNG" + b"\0" * 196)
    login_as("admin")
    page = client.get(f"/jobs/{run.id}/").get_data(as_text=True)
    assert "truncated: the first 200 of 300 bytes (ARTIFACT_MAX_BYTES)" in page
    assert "truncated: the first 200 of 1000 bytes (ARTIFACT_MAX_BYTES)" in page


def test_content_under_the_cap_is_kept_whole_and_replaced_by_a_newer_one(app):
    run = add_run("profile_scrape", status="failed")
    artifacts.keep(run.id, "html", b"first")
    artifacts.keep(run.id, "html", b"second")
    rows = db.session.execute(select(JobArtifact.content, JobArtifact.size, JobArtifact.original_size)).all()
    assert rows == [(b"second", 6, None)]


def test_cleanup_deletes_only_artifacts_older_than_the_retention(app):
    old, recent = add_run("profile_scrape", status="failed").id, add_run("follow_sync", status="failed").id
    for run_id in (old, recent):
        artifacts.keep(run_id, "html", b"<html></html>")
    month_ago = utcnow() - timedelta(days=30, minutes=1)
    db.session.execute(update(JobArtifact).where(JobArtifact.run_id == old).values(created_at=month_ago))
    db.session.commit()
    cleanup = run_job("artifact_cleanup")
    assert (cleanup.status, cleanup.counts) == ("finished", {"deleted": 1, "retention_days": 30})
    assert db.session.scalars(select(JobArtifact.run_id)).all() == [recent]


def test_cleanup_is_scheduled_daily_and_never_overlaps(app):
    status = {s.kind: s for s in scheduler.status(app.config)}
    assert (status["artifact_cleanup"].interval_seconds, status["artifact_cleanup"].disabled) == (86400, None)
    queued = add_run("artifact_cleanup", lock_key="artifact_cleanup")
    with pytest.raises(JobAlreadyRunning) as refused:
        artifacts.enqueue_artifact_cleanup()
    assert refused.value.run.id == queued.id
    app.config["ARTIFACT_CLEANUP_SECONDS"] = 0
    assert "artifact_cleanup" not in scheduler.due(app.config, utcnow() + timedelta(days=2))


def test_artifact_settings_come_from_the_environment(tmp_path):
    from config import Config, ConfigError

    env = {"MHC_INSTANCE_DIR": str(tmp_path), "ARTIFACT_RETENTION_DAYS": "7", "ARTIFACT_CLEANUP_SECONDS": "0"}
    cfg = Config.from_env(env)
    assert (cfg.ARTIFACT_MAX_BYTES, cfg.ARTIFACT_RETENTION_DAYS, cfg.ARTIFACT_CLEANUP_SECONDS) == (5242880, 7, 0)
    assert not hasattr(cfg, "ARTIFACTS_DIR")
    with pytest.raises(ConfigError, match="ARTIFACT_MAX_BYTES must be a positive integer, got 0"):
        Config.from_env({**env, "ARTIFACT_MAX_BYTES": "0"})
