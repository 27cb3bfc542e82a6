"""In Chromium: no page of the panel does anything its Content-Security-Policy refuses.

Every violation is caught twice: the page's `securitypolicyviolation` events (recorded by a script Playwright
adds before any page script runs) and Chromium's console messages about the policy.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import url_for

from tests.e2e.conftest import log_in
from tests.factories import make_person
from tests.services.users.conftest import NOW

pytestmark = pytest.mark.e2e

RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  var where = e.sourceFile + ":" + e.lineNumber;
  window.__cspViolations.push(e.violatedDirective + " " + (e.blockedURI || "inline") + " " + where);
});
"""


class Watch:
    """Collects CSP violations and dialogs of one page, across navigations."""

    def __init__(self, page):
        self.page, self.console, self.events, self.dialogs = page, [], [], []
        page.add_init_script(RECORD_VIOLATIONS)
        page.on("console", self._console)
        page.on("dialog", self._dialog)

    def _console(self, message):
        text = message.text
        if "Content Security Policy" in text or "Refused to" in text:
            self.console.append(f"{self.page.url}: {text}")

    def _dialog(self, dialog):
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def visit(self, url: str) -> None:
        """Open a page, let its scripts run, and keep what it violated."""
        response = self.page.goto(url)
        assert response.status == 200, url
        self.page.wait_for_load_state("networkidle")
        self.collect()

    def collect(self) -> None:
        """Keep the current document's violation events (they are lost with the next navigation)."""
        self.events += [f"{self.page.url}: {v}" for v in self.page.evaluate("window.__cspViolations || []")]
        self.page.evaluate("window.__cspViolations = []")


@pytest.fixture
def people(app):
    make_person("alice", "MODEL", age=24, last_seen_at=NOW - timedelta(hours=1), profile={"following": True})
    make_person("bob", "VIEWER", last_seen_at=NOW - timedelta(hours=2), profile={"follower": True})


def _panel_urls(app) -> list[str]:
    """Every page in the admin's menu (categories' children included), as an admin sees it, and Home (the brand)."""
    admin = app.extensions["mhc_admin"]
    with app.test_request_context():
        views = [view for view in admin._views if view.is_visible() or view is admin.index_view]
        return sorted({url_for(f"{view.endpoint}.{view._default_view}") for view in views})


def test_no_page_violates_the_content_security_policy(app, live_server, browser_page, make_user, people):
    user, password = make_user("admin", username="root")
    watch = Watch(browser_page)
    watch.visit(f"{live_server}/login")
    log_in(browser_page, live_server, user.username, password)
    watch.collect()
    urls = _panel_urls(app)
    assert {"/", "/users/directory/", "/system_users/", "/audit_log/", "/jobs/", "/events/"} <= set(urls)
    for url in urls + ["/system_users/new/", "/profile/?username=alice"]:
        watch.visit(f"{live_server}{url}")
    assert watch.events == []
    assert watch.console == []


def test_action_and_filter_menus_work_without_inline_handlers(app, live_server, browser_page, make_user):
    """The former onclick= handlers now run from static/panel.js: an action asks for a selection, filters open."""
    user, password = make_user("admin", username="root")
    watch = Watch(browser_page)
    page = browser_page
    log_in(page, live_server, user.username, password)
    watch.visit(f"{live_server}/system_users/")
    page.click("text=With selected")
    page.click(".dropdown-menu >> text=Deactivate")
    assert watch.dialogs == ["Please select at least one record."]
    page.click("text=Add Filter")
    page.click(".field-filters a.filter >> nth=0")
    page.wait_for_selector("table.filters tr")
    assert page.url == f"{live_server}/system_users/"  # the javascript: link did not navigate
    page.check(f"input.action-checkbox[value='{user.id}']")
    page.click("text=With selected")
    page.click(".dropdown-menu >> text=Log out everywhere")
    assert watch.dialogs[-1] == "End every session of the selected system users?"  # dismissed: nothing happens
    watch.collect()
    assert watch.events == []
    assert watch.console == []
