"""Browser fixtures: the panel served on a real port, and a Playwright page on Debian Chromium.

    def test_x(live_server, browser_page, make_user):
        user, password = make_user("admin")
        log_in(browser_page, live_server, user.username, password)

`live_server` is the base URL (http://127.0.0.1:PORT) of the test's `app` (same session database,
emptied after the test), served by werkzeug in a thread.
"""

from __future__ import annotations

import threading

import pytest
from werkzeug.serving import make_server

from mhc.scraping.browser import CHROMIUM_FLAGS


@pytest.fixture
def live_server(app):
    """Serve the test's app on 127.0.0.1 (a free port) for the length of the test; yields the base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


@pytest.fixture
def browser_page(app):
    """A fresh Playwright page in headless Debian Chromium (closed after the test)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=app.config["CHROMIUM_PATH"], headless=True, args=CHROMIUM_FLAGS)
        try:
            context = browser.new_context(viewport={"width": 1366, "height": 900})
            page = context.new_page()
            page.set_default_timeout(15000)
            yield page
        finally:
            browser.close()


def log_in(page, base_url: str, username: str, password: str) -> None:
    """Log in through the real form and wait for the panel's index."""
    page.goto(f"{base_url}/login")
    page.fill("input[name=login]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base_url}/")
