"""Times are sent in UTC and shown in the browser's local time, the UTC time on hover, on every page that
lists them (panel.js; docs/operator.md#the-panels-words)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from mhc.extensions import db
from mhc.models import JobRun
from mhc.scraping.browser import CHROMIUM_FLAGS
from tests.e2e.conftest import log_in

pytestmark = pytest.mark.e2e

CREATED = datetime(2026, 7, 4, 18, 30, 15, tzinfo=UTC)  # 14:30:15 in New York (EDT)


def test_jobs_and_audit_log_show_local_times_with_utc_on_hover(app, live_server, make_user):
    from playwright.sync_api import sync_playwright

    user, password = make_user("admin")
    db.session.add(JobRun(id=uuid.uuid4(), kind="artifact_cleanup", status="finished", created_at=CREATED))
    db.session.commit()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=app.config["CHROMIUM_PATH"], headless=True, args=CHROMIUM_FLAGS)
        try:
            page = browser.new_context(timezone_id="America/New_York").new_page()
            page.set_default_timeout(15000)
            log_in(page, live_server, user.username, password)
            page.goto(f"{live_server}/jobs/")
            shown = page.locator("[data-testid=runs] time[datetime]").first
            assert shown.inner_text() == "2026-07-04 14:30:15"
            assert shown.get_attribute("title") == "2026-07-04 18:30:15 UTC (shown in your local time)"
            page.goto(f"{live_server}/audit_log/?show=all")
            login_time = page.locator("td.col-at time").first
            assert "UTC" in login_time.get_attribute("title") and "UTC" not in login_time.inner_text()
        finally:
            browser.close()
