"""Browser: a button that cannot succeed says why and links there; a sync that fails gives its button back
without a reload; usernames on the Events page (also rows added by the live refresh) open the Profile page."""

from __future__ import annotations

import socket

import pytest

from mhc.extensions import db
from mhc.jobs import enqueue
from mhc.models import Interaction, utcnow
from mhc.services import secrets
from tests.e2e.conftest import log_in
from tests.factories import make_person
from tests.jobs.helpers import add_run

pytestmark = pytest.mark.e2e


def _closed_port() -> int:
    """A local port nothing listens on (taken, then let go)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def app_config():
    # Nothing listens there: a sync fails fast with "connection refused", and nothing leaves this machine.
    return {"EVENTS_PAGE_REFRESH_SECONDS": 1, "CHATURBATE_BASE_URL": f"http://127.0.0.1:{_closed_port()}"}


def test_a_disabled_button_says_why_and_links_to_the_fix(app, live_server, browser_page, make_user):
    user, password = make_user("admin")
    page = browser_page
    log_in(page, live_server, user.username, password)
    page.goto(f"{live_server}/follow-lists/")
    button = page.locator("[data-testid=sync-followers]")
    assert button.is_disabled()
    assert button.get_attribute("title").startswith("Import cookies first")
    page.click("[data-testid=needs-link]")
    page.wait_for_url("**/follow-lists/#cookie-import")
    assert page.locator("#cookies").is_visible()  # the form that makes the button work


def test_a_failed_sync_gives_its_button_back_without_a_reload(app, live_server, browser_page, make_user):
    secrets.store_cookies(db.session, "sessionid=fake-session; csrftoken=fake-csrf")
    user, password = make_user("admin")
    page = browser_page
    log_in(page, live_server, user.username, password)
    page.goto(f"{live_server}/users/followers/")
    page.evaluate("window.stillTheSamePage = true")
    button = page.locator("[data-testid=sync-button]")
    button.click()
    page.wait_for_selector("[data-testid=sync-progress][data-status=failed]", timeout=90000)
    text = page.text_content("[data-testid=sync-progress] .job-text")
    assert text.startswith("failed") and "Site unreachable" in text, text
    assert "ERR_" not in text  # the failure in words, not the browser's error text
    assert button.is_enabled()
    assert page.evaluate("window.stillTheSamePage === true")  # no reload happened


def test_event_usernames_open_the_profile_page(app, live_server, browser_page, make_user):
    make_person("big_tipper", role="VIEWER", profile={})
    make_person("late_fan", role="VIEWER", profile={})
    db.session.add(
        Interaction(
            event_id="t1", type="tip", from_username="big_tipper", room="hudson", amount=50, occurred_at=utcnow()
        )
    )
    db.session.commit()
    user, password = make_user("viewer")
    page = browser_page
    log_in(page, live_server, user.username, password)
    page.goto(f"{live_server}/events/")
    db.session.add(Interaction(event_id="t2", type="chatMessage", from_username="late_fan", room="hudson", text="hi"))
    db.session.commit()
    page.wait_for_selector("#event-rows a[data-person-link]:text('late_fan')")  # a row the live refresh added
    assert page.get_attribute("#event-rows a:text('late_fan')", "href") == "/profile/late_fan"
    assert page.get_attribute("#event-rows tr:first-child a[data-person-link]", "href") == "/hudson/"  # the room
    page.click("#event-rows a[data-person-link]:text('big_tipper')")
    page.wait_for_url("**/profile/big_tipper")
    assert page.text_content("[data-testid=profile-username]") == "big_tipper"


def test_the_jobs_page_updates_a_failed_run_in_place(app, live_server, browser_page, make_user):
    user, password = make_user("admin")
    page = browser_page
    log_in(page, live_server, user.username, password)
    run = enqueue("selftest", {"fail": True, "seconds": 3})
    page.goto(f"{live_server}/jobs/")
    page.evaluate("window.stillTheSamePage = true")
    row = f"tr[data-run='{run.id}']"
    page.wait_for_selector(f"{row}[data-status=failed]", timeout=60000)
    assert page.text_content(f"{row} [data-badge]") == "failed"
    assert page.text_content(f"{row} [data-testid=error]") == "Unexpected error"  # the label, not the exception
    assert page.locator(f"{row} [data-testid=retry]").is_visible()
    assert page.evaluate("window.stillTheSamePage === true")


def test_the_follow_lists_page_shows_a_failed_sync_without_a_reload(app, live_server, browser_page, make_user):
    secrets.store_cookies(db.session, "sessionid=fake-session; csrftoken=fake-csrf")
    run = add_run("follow_sync", status="running", args={"direction": "following"}, progress_text="page 1")
    user, password = make_user("admin")
    page = browser_page
    log_in(page, live_server, user.username, password)
    page.goto(f"{live_server}/follow-lists/")
    page.evaluate("window.stillTheSamePage = true")
    row = page.locator(f"tr[data-run-id='{run.id}']")
    assert row.get_attribute("data-status") == "running"
    run.status, run.error = "failed", "FollowScrapeError: following page 1 failed to load: net::ERR_CONNECTION_REFUSED"
    db.session.commit()
    row.locator("[data-testid=failure]").wait_for(timeout=30000)
    assert row.get_attribute("data-status") == "failed"
    assert row.locator("[data-testid=run-status]").inner_text() == "failed"
    assert "Site unreachable" in row.locator("[data-testid=failure]").inner_text()
    assert "ERR_" not in row.inner_text()
    assert page.evaluate("window.stillTheSamePage === true")
