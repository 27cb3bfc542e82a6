"""In the browser: a follow sync that cannot reach the site fails; its run page says so in plain words, and
one click on Details shows the exception, the traceback and the page Chromium kept."""

from __future__ import annotations

import pytest

from mhc.extensions import db
from mhc.jobs.follow_jobs import run_follow_sync_here
from mhc.services import secrets
from tests.e2e.conftest import log_in

pytestmark = pytest.mark.e2e


@pytest.fixture
def app_config():
    # .invalid never resolves (RFC 2606): Chromium fails with its real net::ERR_NAME_NOT_RESOLVED.
    return {"CHATURBATE_BASE_URL": "http://chaturbate.invalid", "OWNER_USERNAME": "hudson"}


@pytest.fixture
def failed_run(app):
    """A real follow sync against an address that does not resolve (before the test's own browser starts:
    Playwright's sync API runs one at a time in a thread)."""
    secrets.store_cookies(db.session, "sessionid=fake-session; csrftoken=fake-csrf")
    run = run_follow_sync_here("following")
    assert run.status == "failed" and "net::ERR_NAME_NOT_RESOLVED" in run.error, run.error
    return run


def test_failed_run_page_says_what_happened_and_opens_details(failed_run, live_server, browser_page, make_user):
    run = failed_run
    user, password = make_user("admin")
    page = browser_page
    log_in(page, live_server, user.username, password)

    page.goto(f"{live_server}/jobs/")
    cell = page.locator(f'tr[data-run="{run.id}"] [data-testid="error"]')
    assert cell.inner_text() == "Site unreachable"
    cell.click()
    page.wait_for_url(f"{live_server}/jobs/{run.id}/")
    assert page.locator("h1").inner_text() == "Follow list sync failed"
    assert page.locator('[data-testid="failure-message"]').inner_text() == (
        "The site could not be reached: its name did not resolve or the connection was refused."
    )
    traceback = page.locator('[data-testid="traceback"]')
    assert not traceback.is_visible()  # one click away, not in the owner's face
    page.locator("details#details > summary").click()
    assert traceback.is_visible() and "net::ERR_NAME_NOT_RESOLVED" in traceback.inner_text()
    assert page.locator('[data-testid="artifacts"] a', has_text="html").is_visible()
