"""In Chromium: set up two-factor login from the user menu by reading the key off the page, then log out and
log back in with a code computed from it."""

from __future__ import annotations

import time

import pyotp
import pytest

from tests.e2e.conftest import log_in

pytestmark = pytest.mark.e2e


def test_enrol_then_log_in_with_a_code(app, live_server, browser_page, make_user):
    user, password = make_user("subscriber")
    page = browser_page
    log_in(page, live_server, user.username, password)
    page.click("[data-testid=account-two-factor]")
    page.wait_for_url(f"{live_server}/account/two-factor/")
    page.click("[data-testid=two-factor-setup]")
    assert page.locator("[data-testid=totp-qr] svg").count() == 1
    totp = pyotp.TOTP(page.locator("[data-testid=totp-secret]").inner_text().strip())
    page.fill("[data-testid=confirm-form] input[name=code]", totp.now())
    page.click("[data-testid=confirm-form] button[type=submit]")
    assert page.locator("[data-testid=recovery-code]").count() == 10
    assert "Two-factor login is on" in page.content()

    page.click("[data-testid=logout]")
    page.wait_for_url(f"{live_server}/login")
    page.fill("input[name=login]", user.username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server}/login/two-factor")
    page.fill("input[name=code]", totp.at(time.time(), counter_offset=1))  # a later step than the one just used
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server}/")
    assert page.locator("[data-testid=current-user]").inner_text() == f"{user.username} (subscriber)"
