"""In Chromium: admins see every nav entry; viewers see no Admin menu and no edit or action controls."""

from __future__ import annotations

import pytest

from mhc.auth import permissions as perms
from tests.e2e.conftest import log_in

pytestmark = pytest.mark.e2e

WRITE_CONTROLS = 'a[href*="/new/"], a[href*="/edit/"], form[action*="/delete/"], form[action*="/action/"], #action-form'


def _visible_nav(app) -> list[str]:
    """Top-level nav names an all-permissions user should see (hidden views left out)."""
    names = []
    for item in app.extensions["mhc_admin"].menu():
        if item.is_category():
            if any(child.is_visible() for child in item._children):
                names.append(item.name)
        elif item.is_visible():
            names.append(item.name)
    return names


def _nav_texts(page) -> list[str]:
    return [t.strip() for t in page.locator("#admin-navbar-collapse ul.navbar-nav > li > a").all_inner_texts()]


def test_admin_sees_every_nav_entry_and_the_admin_section(app, live_server, browser_page, make_user):
    user, password = make_user("admin", username="root")
    page = browser_page
    log_in(page, live_server, user.username, password)
    expected = _visible_nav(app)
    assert {"Users", "Profile", "Hudson", "Events", "Admin"} <= set(expected)
    assert _nav_texts(page) == expected
    page.click("#admin-navbar-collapse >> text=Admin")
    for entry in ("System Users", "Roles & Permissions", "Audit Log"):
        assert page.locator(f"#admin-navbar-collapse .dropdown-menu >> text={entry}").is_visible()
    page.click("#admin-navbar-collapse .dropdown-menu >> text=System Users")
    page.wait_for_url(f"{live_server}/system_users/")
    assert page.locator("td", has_text="root@example.test").count() == 1
    assert "argon2" not in page.content()


def test_viewer_sees_no_admin_menu_and_no_write_controls(app, live_server, browser_page, make_user):
    make_user("admin", username="root")
    user, password = make_user("viewer", username="vic")
    page = browser_page
    log_in(page, live_server, user.username, password)
    assert "Admin" not in _nav_texts(page)
    assert page.locator("text=System Users").count() == 0
    viewer_grants = set(perms.DEFAULT_GRANTS["viewer"])
    readable = [
        view for view in app.extensions["mhc_admin"]._views if getattr(view, "permission", None) in viewer_grants
    ]
    for view in readable:
        page.goto(f"{live_server}{view.url}/")
        assert page.locator(WRITE_CONTROLS).count() == 0, view.endpoint
        assert page.locator("text=With selected").count() == 0, view.endpoint
    page.goto(f"{live_server}/system_users/")
    assert "Your account is not allowed to open this page." in page.content()


def test_log_out(app, live_server, browser_page, make_user):
    user, password = make_user("subscriber")
    page = browser_page
    log_in(page, live_server, user.username, password)
    assert page.locator("[data-testid=current-user]").inner_text() == f"{user.username} (subscriber)"
    page.click("[data-testid=logout]")
    page.wait_for_url(f"{live_server}/login")
    assert "You are logged out." in page.content()
    page.goto(f"{live_server}/")
    assert page.url.startswith(f"{live_server}/login?next=")


def test_log_out_everywhere_ends_a_copied_session(app, live_server, browser_page, make_user):
    """A second browser holding the same cookie is let in, then sent to the login page after "Log out everywhere"."""
    user, password = make_user("viewer")
    page = browser_page
    log_in(page, live_server, user.username, password)
    other = page.context.browser.new_context()
    try:
        other.add_cookies(page.context.cookies())
        second = other.new_page()
        second.goto(f"{live_server}/")
        assert second.locator("[data-testid=current-user]").inner_text() == f"{user.username} (viewer)"
        page.click("[data-testid=logout-everywhere]")
        page.wait_for_url(f"{live_server}/login")
        assert "You are logged out everywhere." in page.content()
        second.goto(f"{live_server}/")
        assert second.url.startswith(f"{live_server}/login?next=")
        assert second.locator("input[name=password]").is_visible()
    finally:
        other.close()
