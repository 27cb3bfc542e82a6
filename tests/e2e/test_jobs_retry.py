"""In the browser: a failed job shows its error on the Jobs page and is retried with one click."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from mhc.extensions import db
from mhc.models import JobRun
from tests.e2e.conftest import log_in
from tests.jobs.helpers import run_job

pytestmark = pytest.mark.e2e


def test_failed_job_can_be_retried_from_the_jobs_page(app, live_server, browser_page, make_user):
    failed = run_job("selftest", value=5, fail=True)
    user, password = make_user("admin")
    page = browser_page
    log_in(page, live_server, user.username, password)
    page.goto(f"{live_server}/jobs/")
    row = page.locator(f'tr[data-run="{failed.id}"]')
    assert row.locator('[data-testid="error"]').inner_text() == "Unexpected error"
    row.locator('[data-testid="retry"]').click()
    page.wait_for_url(f"{live_server}/jobs/")
    assert "Retry started as run" in page.locator(".alert").first.inner_text()
    db.session.expire_all()
    retry = db.session.scalar(select(JobRun).where(JobRun.retry_of_id == failed.id))
    assert (retry.kind, retry.args, retry.started_by_id) == ("selftest", {"value": 5, "fail": True}, user.id)
    assert page.locator(f'tr[data-run="{retry.id}"]').count() == 1
