"""In the browser: the theme follows the device until the user picks light or dark on the account page; then
every page is drawn in that swatch whatever the device says (docs/operator.md#light-and-dark-theme)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from mhc.extensions import db
from mhc.models import SystemUser, utcnow
from mhc.services.access import preferences
from tests.e2e.conftest import log_in
from tests.factories import make_owner_stats

pytestmark = pytest.mark.e2e

WHITE, DARKLY = "rgb(255, 255, 255)", "rgb(34, 34, 34)"  # the body's background in each swatch
BACKGROUND = "() => getComputedStyle(document.body).backgroundColor"


def active_swatches(page) -> list[str]:
    """The data-theme of each swatch link whose media matches this device."""
    return page.evaluate(
        """() => [...document.querySelectorAll('link[data-theme]')]
                 .filter((l) => !l.media || matchMedia(l.media).matches).map((l) => l.dataset.theme)"""
    )


def test_the_device_decides_until_the_user_chooses(live_server, browser_page, make_user):
    user, password = make_user("viewer")
    page = browser_page
    page.emulate_media(color_scheme="dark")
    page.goto(f"{live_server}/login")
    assert active_swatches(page) == ["dark"] and page.evaluate(BACKGROUND) == DARKLY
    log_in(page, live_server, user.username, password)
    assert page.locator("link[data-theme]").count() == 2
    assert active_swatches(page) == ["dark"] and page.evaluate(BACKGROUND) == DARKLY
    page.emulate_media(color_scheme="light")
    assert active_swatches(page) == ["light"] and page.evaluate(BACKGROUND) == WHITE

    page.goto(f"{live_server}/account/")
    page.get_by_label("Dark").check()
    page.get_by_test_id("save-theme").click()
    page.wait_for_url(f"{live_server}/account/")
    assert "Theme saved: Dark." in page.inner_text("body")
    db.session.expire_all()
    assert db.session.get(SystemUser, user.id).theme == "dark"
    for path in ("/", "/events/", "/account/"):
        page.goto(f"{live_server}{path}")
        assert [page.locator("link[data-theme]").get_attribute("data-theme")] == ["dark"], path
        assert page.evaluate(BACKGROUND) == DARKLY, path  # on a device set to light

    page.get_by_label("Follow this device's setting").check()
    page.get_by_test_id("save-theme").click()
    page.wait_for_url(f"{live_server}/account/")
    assert active_swatches(page) == ["light"] and page.evaluate(BACKGROUND) == WHITE


def test_charts_take_the_theme_colours_and_redraw_at_a_new_width(live_server, browser_page, make_user):
    user, password = make_user("admin")
    now = utcnow()
    for days in (1, 2, 3):
        make_owner_stats(now - timedelta(days=days), num_followers=4000 + 10 * days)
    page = browser_page
    log_in(page, live_server, user.username, password)
    line = "[data-testid=chart-followers] path.mhc-line"
    colours = {}
    for theme in ("light", "dark"):
        preferences.set_theme(db.session, user.id, theme)
        page.goto(f"{live_server}/hudson/")
        page.wait_for_selector("[data-testid=chart-followers][data-chart-state=drawn]")
        style = "(el) => [getComputedStyle(el).stroke, getComputedStyle(el.closest('svg').querySelector('text')).fill]"
        colours[theme] = page.eval_on_selector(line, style)
    assert colours == {
        "light": ["rgb(44, 123, 229)", "rgb(95, 107, 118)"],
        "dark": ["rgb(93, 173, 226)", "rgb(196, 201, 206)"],
    }

    view_box = "(el) => [el.getAttribute('viewBox').split(' ')[2], el.parentElement.clientWidth]"
    wide, box = page.eval_on_selector("[data-testid=chart-followers] svg", view_box)
    assert int(wide) == box
    page.set_viewport_size({"width": 390, "height": 844})
    page.wait_for_function(
        "() => { const s = document.querySelector('[data-testid=chart-followers] svg');"
        " return Number(s.getAttribute('viewBox').split(' ')[2]) === s.parentElement.clientWidth; }"
    )
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 390
