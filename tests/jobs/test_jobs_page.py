"""The Jobs page: failures with their error and traceback, retry, cancel, progress, artifacts, Redis down."""

from __future__ import annotations

from sqlalchemy import select

from mhc.extensions import db
from mhc.jobs import queues
from mhc.models import JobRun
from mhc.services import job_artifacts
from tests.jobs.helpers import add_run, run_job


def test_failed_run_shows_error_and_can_be_retried(app, client, login_as, auth):
    failed = run_job("selftest", value=3, fail=True)
    assert failed.status == "failed"
    admin = login_as("admin")
    page = client.get("/jobs/").get_data(as_text=True)
    assert 'data-cause="unexpected"' in page and ">Unexpected error</a>" in page  # the label only
    assert "RuntimeError: selftest asked to fail" not in page
    assert 'data-testid="retry"' in page
    detail = client.get(f"/jobs/{failed.id}/").get_data(as_text=True)
    assert "Something unexpected went wrong; nothing half-done was kept." in detail
    assert "RuntimeError: selftest asked to fail" in detail
    assert "Traceback (most recent call last)" in detail
    assert "raise RuntimeError(&#34;selftest asked to fail&#34;)" in detail or "selftest asked to fail" in detail

    response = client.post(f"/jobs/{failed.id}/retry", data={"csrf_token": auth.csrf("/jobs/")})
    assert response.status_code == 302
    retry = db.session.scalar(select(JobRun).where(JobRun.retry_of_id == failed.id))
    assert (retry.kind, retry.args, retry.started_by_id) == ("selftest", {"value": 3, "fail": True}, admin.id)


def test_only_failed_runs_are_retried(app, client, login_as, auth):
    done = add_run("selftest", status="finished")
    login_as("admin")
    client.post(f"/jobs/{done.id}/retry", data={"csrf_token": auth.csrf("/jobs/")})
    page = client.get("/jobs/").get_data(as_text=True)
    assert "Not retried: only failed or cancelled runs can be retried; this one is finished" in page
    assert db.session.scalar(select(db.func.count()).select_from(JobRun)) == 1


def test_cancel_a_queued_run(app, client, login_as, auth):
    run = add_run("selftest", args={"value": 1})
    job = queues().queue("default").enqueue("mhc.jobs.runner.execute", str(run.id), job_id=str(run.id))
    login_as("admin")
    response = client.post(f"/jobs/{run.id}/cancel", data={"csrf_token": auth.csrf("/jobs/")})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(JobRun, run.id).status == "cancelled"
    assert job.get_status(refresh=True) == "canceled"


def test_progress_json(app, client, login_as):
    run = add_run("affiliate_poll", status="running", progress=40, progress_text="feed page 8: 4000 rooms")
    login_as("admin")
    data = client.get(f"/jobs/progress.json?ids={run.id},not-a-uuid").get_json()
    assert list(data) == [str(run.id)]
    shown = data[str(run.id)]
    assert (shown["status"], shown["progress"], shown["text"]) == ("running", 40, "feed page 8: 4000 rooms")
    assert (shown["status_label"], shown["failure"]) == ("running", None)


def test_artifacts_are_served_from_the_database(app, client, login_as, instance_dir):
    """Saved HTML comes back as a plain-text download; a legacy path on disk is never read."""
    run = add_run("profile_scrape", status="failed", artifacts={"url": "https://example.test/erin/"})
    job_artifacts.store(db.session, run.id, "html", b"<script>alert(1)</script>", "text/html", 1024)
    legacy = instance_dir / "legacy.html"
    legacy.write_text("nope")
    other = add_run("profile_scrape", status="failed", artifacts={"html": str(legacy)})
    login_as("admin")
    ok = client.get(f"/jobs/{run.id}/artifact/html")
    assert (ok.status_code, ok.mimetype, ok.get_data(as_text=True)) == (200, "text/plain", "<script>alert(1)</script>")
    assert ok.headers["Content-Disposition"].startswith("attachment")
    ok.close()
    assert client.get(f"/jobs/{other.id}/artifact/html").status_code == 404
    assert client.get(f"/jobs/{run.id}/artifact/screenshot").status_code == 404
    assert client.get(f"/jobs/{run.id}/artifact/traceback").status_code == 404
    detail = client.get(f"/jobs/{run.id}/").get_data(as_text=True)
    assert f'<a href="/jobs/{run.id}/artifact/html">html</a>' in detail
    assert "25 bytes" in detail and "screenshot of the failure" not in detail


def test_viewer_cannot_see_jobs(app, client, login_as):
    login_as("viewer")
    assert client.get("/jobs/").status_code == 403
