"""In Chromium: Account from the user menu, change the password; another session of the user ends, this one stays."""

from __future__ import annotations

import pytest

from tests.auth.test_sessions import Browser
from tests.e2e.conftest import log_in

pytestmark = pytest.mark.e2e


def test_change_own_password_from_the_user_menu(app, live_server, browser_page, make_user):
    user, password = make_user("viewer", username="vera")
    other = Browser(app)  # the same user logged in elsewhere
    assert other.login(user.username, password).status_code == 302
    page = browser_page
    log_in(page, live_server, user.username, password)
    page.click("[data-testid=account]")
    page.wait_for_url(f"{live_server}/account/")
    page.fill("input[name=current]", "not my password")
    page.fill("input[name=new]", "a brand new passphrase")
    page.fill("input[name=repeated]", "a brand new passphrase")
    page.click("[data-testid=change-password]")
    assert "Your current password is not right; nothing changed." in page.locator(".alert").first.inner_text()
    page.fill("input[name=current]", password)
    page.fill("input[name=new]", "a brand new passphrase")
    page.fill("input[name=repeated]", "a brand new passphrase")
    page.click("[data-testid=change-password]")
    page.wait_for_url(f"{live_server}/account/")
    assert "Your password is changed; 1 other session logged out." in page.locator(".alert").first.inner_text()
    page.goto(f"{live_server}/")
    assert page.locator("[data-testid=current-user]").inner_text().startswith("vera")  # still logged in here
    assert not other.is_logged_in()
    page.click("[data-testid=logout]")
    log_in(page, live_server, user.username, "a brand new passphrase")
    assert page.locator("[data-testid=current-user]").inner_text().startswith("vera")
