"""In Chromium: an import preview names who would be unfollowed; search and paging are links; Apply applies it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from mhc.extensions import db
from mhc.services.follows.follow_ledger import apply_follow_list
from tests.e2e.conftest import log_in
from tests.services.follows.test_admin import followers

pytestmark = pytest.mark.e2e


def test_preview_names_search_page_then_apply(live_server, browser_page, make_user):
    apply_follow_list(db.session, "follower", [f"fan_{i:03d}" for i in range(60)], datetime(2026, 1, 1, tzinfo=UTC),
                      "manual_import")  # fmt: skip
    user, password = make_user("admin")
    page = browser_page
    log_in(page, live_server, user.username, password)
    page.goto(f"{live_server}/follow-lists/")
    page.select_option("#direction", "followers")
    page.fill("#usernames", "fan_000\nnew_fan")
    page.click("[data-testid=preview]")
    removed = page.locator("[data-testid=group-removed] [data-testid=name]")
    assert removed.count() == 50 and removed.first.inner_text() == "fan_001"
    assert page.locator("[data-testid=group-removed] a", has_text="fan_001").get_attribute("href") == "/profile/fan_001"
    assert page.locator("[data-testid=group-created]").inner_text().count("new_fan") == 1
    page.click("[data-testid=next-removed]")
    assert [n.strip() for n in removed.all_inner_texts()] == [f"fan_{i:03d}" for i in range(51, 60)]
    page.fill("[data-testid=names-search]", "FAN_05")
    page.press("[data-testid=names-search]", "Enter")
    page.wait_for_url("**q=FAN_05*")
    assert [n.strip() for n in removed.all_inner_texts()] == [f"fan_{i:03d}" for i in range(50, 60)]
    assert followers() == [f"fan_{i:03d}" for i in range(60)]  # looking changed nothing
    page.check("#confirm_mass_removal")
    page.click("[data-testid=apply]")
    assert "Applied: added 1, removed 59, unchanged 1." in page.locator(".alert").first.inner_text()
    assert followers() == ["fan_000", "new_fan"]
