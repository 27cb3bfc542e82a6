"""In the browser: an admin adds a staff note on a Profile page and sees it as text with its author; the
page shows the person's follow periods both ways, the Unfollowed tab opens the same periods, and on a 390 px
phone the Profile page does not scroll sideways. Screenshots go to MHC_SHOTS_DIR when it is set."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest

from mhc.models import utcnow
from tests.e2e.conftest import log_in
from tests.factories import make_follow_event, make_person

pytestmark = pytest.mark.e2e
NOW = utcnow()
NOTE = "Tips big on Fridays <script>alert(1)</script>"
SIDEWAYS = "document.documentElement.scrollWidth > window.innerWidth + 1"


def days_ago(n: int):
    return NOW - timedelta(days=n)


@pytest.fixture
def refollower(app):
    ann = make_person(
        "ann",
        "BOTH",
        age=27,
        num_followers=1200,
        profile={
            "follower": False,
            "follower_since": days_ago(20),
            "unfollower_at": days_ago(2),
            "following": True,
            "following_since": days_ago(30),
            "tags": ["feet", "asmr", "a-rather-long-tag-name-to-wrap"],
            "bio": "Hello there, " * 30,
        },
        lookup={
            "priority": 2,
            "status": "failed",
            "failure_reason": "Page.goto: net::ERR_NAME_NOT_RESOLVED at https://chaturbate.com/ann/\nCall log: - nav",
        },
    )
    make_follow_event(ann, "follower", "follow", days_ago(20))
    make_follow_event(ann, "follower", "unfollow", days_ago(12), period_started_at=days_ago(20))
    make_follow_event(ann, "follower", "follow", days_ago(10))
    make_follow_event(ann, "follower", "unfollow", days_ago(2), period_started_at=days_ago(10))
    make_follow_event(ann, "following", "follow", days_ago(30))
    return ann


def _shot(page, name: str) -> None:
    folder = os.environ.get("MHC_SHOTS_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def test_add_a_note_and_see_the_periods(refollower, live_server, browser_page, make_user):
    user, password = make_user("admin")
    page = browser_page
    page.set_viewport_size({"width": 1440, "height": 900})
    log_in(page, live_server, user.username, password)

    page.goto(f"{live_server}/profile/ann")
    assert page.locator('[data-testid="lookup-label"]').inner_text() == "Site unreachable"  # not the raw error
    assert "net::" not in page.locator('[data-testid="profile-header"]').inner_text()
    page.fill('[data-testid="note-body"]', NOTE)
    page.click('[data-testid="note-add"]')
    page.wait_for_url(f"{live_server}/profile/ann#staff-notes")
    note = page.locator('[data-testid="staff-note"]')
    assert note.locator(".note-body").inner_text() == NOTE  # shown as text, not run
    assert user.username in note.inner_text()
    shown = note.locator("time[data-local]")
    assert "UTC" not in shown.inner_text() and "UTC" in shown.get_attribute("title")  # local time, UTC on hover

    follower = page.locator('[data-testid="periods-follower"]')
    assert follower.get_attribute("data-count") == "2"
    assert "2 periods, 2 unfollows" in follower.inner_text()
    assert f"back {days_ago(10):%Y-%m-%d} → left {days_ago(2):%Y-%m-%d}" in follower.inner_text()
    assert "still following" in page.locator('[data-testid="periods-following"]').inner_text()
    _shot(page, "profile-1440")

    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    assert not page.evaluate(SIDEWAYS), "the Profile page scrolls sideways at 390 px"
    _shot(page, "profile-390")

    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto(f"{live_server}/users/unfollowed/")
    cell = page.locator('[data-testid="follow-periods"]')
    assert cell.locator("summary").inner_text() == "2 periods"
    cell.locator("summary").click()
    assert f"back {days_ago(10):%Y-%m-%d} → left {days_ago(2):%Y-%m-%d}" in cell.inner_text()
    assert page.locator('[data-testid="unfollowers-30d"]').inner_text().strip() == "by 1 person"
    _shot(page, "unfollowed-1440")
