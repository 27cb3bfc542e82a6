"""In Chromium: choose columns on a Users list, save the list as a view, open it from the bar, delete it.

With MHC_SCREENSHOT_DIR set, the bar's two menus are photographed open at 1440x900 there."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mhc.extensions import db
from mhc.models import SavedView
from tests.e2e.conftest import log_in
from tests.factories import make_person

pytestmark = pytest.mark.e2e


def _headers(page) -> list[str]:
    return [t.strip() for t in page.locator("table.model-list thead th.column-header").all_inner_texts()]


def _shot(page, name: str) -> None:
    folder = os.environ.get("MHC_SCREENSHOT_DIR")
    if folder:
        page.screenshot(path=str(Path(folder) / name))


def test_choose_columns_save_open_and_delete_a_view(app, live_server, browser_page, make_user):
    for i, (name, tokens) in enumerate((("alice", 50), ("bob", 900), ("carol", 7))):
        make_person(name, "MODEL" if i != 1 else "VIEWER", age=20 + i, tipped_tokens=tokens, tips_count=i + 1)
    user, password = make_user("viewer")
    page = browser_page
    page.set_viewport_size({"width": 1440, "height": 900})
    log_in(page, live_server, user.username, password)
    page.goto(f"{live_server}/users/directory/")
    assert _headers(page)[:4] == ["Username", "Image", "Age", "Role"]

    # Columns: keep Role and Tokens, Tokens moved before Role
    page.click("[data-testid=columns-menu] > summary")
    keep = {"username", "role", "tipped_tokens"}
    for box in page.locator(".columns-list label input[type=checkbox]:not([disabled])").all():
        if box.get_attribute("value") not in keep:
            box.uncheck()
    tokens = page.locator(".columns-list label", has=page.locator("input[value=tipped_tokens]"))
    while page.locator(".columns-list label input").nth(2).get_attribute("value") != "tipped_tokens":
        tokens.locator(".col-up").click()
    _shot(page, "users-columns-chooser-open.png")
    page.click("[data-testid=columns-apply]")
    page.wait_for_url("**cols=username%2Ctipped_tokens%2Crole")
    assert _headers(page) == ["Username", "Tokens", "Role", "Actions"]
    _shot(page, "users-columns-chosen.png")

    # sorting keeps the choice
    page.click("th.col-tipped_tokens a")
    page.wait_for_url("**sort=11**")
    assert _headers(page) == ["Username", "Tokens", "Role", "Actions"]
    page.click("th.col-tipped_tokens a")  # second click: most tokens first
    page.wait_for_url("**desc=1**")
    assert page.locator("table.model-list tbody tr").first.locator("td.col-username").inner_text().startswith("bob")

    # save it under a name, go elsewhere, open it from the bar
    page.click("[data-testid=views-menu] > summary")
    page.fill("[data-testid=view-name]", "Big <b>tippers</b>")
    page.click("[data-testid=save-view]")
    page.wait_for_selector("text=View “Big <b>tippers</b>” saved.")
    view = db.session.query(SavedView).one()
    assert view.query == "sort=11&desc=1&cols=username%2Ctipped_tokens%2Crole"
    page.goto(f"{live_server}/users/following/")
    assert "Tokens" in _headers(page) and "Image" in _headers(page)
    page.click("[data-testid=views-menu] > summary")
    _shot(page, "users-views-menu-open.png")
    page.click("[data-testid=open-view] >> text=Big <b>tippers</b>")
    page.wait_for_url(f"{live_server}/users/directory/?sort=11&desc=1&cols=username%2Ctipped_tokens%2Crole")
    assert _headers(page) == ["Username", "Tokens", "Role", "Actions"]
    assert page.locator("[data-testid=current-view]").inner_text() == "Big <b>tippers</b>"
    assert page.locator("[data-testid=list-link]").input_value() == page.url

    # delete it from the bar
    page.click("[data-testid=views-menu] > summary")
    page.click("[data-testid=view-item] [data-testid=delete-view]")
    page.wait_for_selector("text=View “Big <b>tippers</b>” deleted.")
    page.click("[data-testid=views-menu] > summary")
    assert page.locator("[data-testid=no-views]").is_visible()
    db.session.expire_all()
    assert db.session.query(SavedView).count() == 0
