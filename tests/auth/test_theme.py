"""Each system user's theme: follow the device by default, light or dark when chosen on the account page (CSRF,
audited), and every panel page links the chosen Bootstrap swatch (docs/operator.md#light-and-dark-theme)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from mhc.extensions import db
from mhc.models import AuditLog, SystemUser
from mhc.services.access import preferences
from tests.auth.test_sessions import Browser

LIGHT = "bootstrap4/swatch/default/bootstrap.min.css"
DARK = "/theme/darkly.css"  # Darkly without its Google Fonts import (mhc/admin/theme_css.py)
PAGES = ["/", "/account/", "/hudson/", "/events/", "/jobs/", "/audit_log/", "/users/directory/"]


@pytest.fixture
def browser(app, make_user):
    user, password = make_user("admin")
    here = Browser(app)
    assert here.login(user.username, password).status_code == 302
    return user, here


def swatch_links(html: str) -> list[tuple[str, str | None]]:
    """(swatch file, media) of each <link data-theme> of a page."""
    links = re.findall(r"<link [^>]*data-theme=[^>]*>", html)
    found = []
    for link in links:
        href = re.search(r'href="([^"]+)"', link).group(1)
        media = re.search(r'media="([^"]+)"', link)
        found.append((DARK if DARK in href else LIGHT if LIGHT in href else href, media and media.group(1)))
    return found


def checked(html: str) -> list[str]:
    """The values of the account page's checked theme choices."""
    return re.findall(r'<input checked [^>]*name="theme" type="radio" value="(\w+)"', html)


def choose(browser: Browser, theme: str, csrf: bool = True):
    return browser.post("/account/theme", {"theme": theme}, csrf_from="/account/" if csrf else None)


def theme_rows(user) -> list[AuditLog]:
    db.session.expire_all()
    stmt = select(AuditLog).where(AuditLog.object_id == str(user.id), AuditLog.action == "theme_change")
    return list(db.session.scalars(stmt))


def test_a_new_user_follows_the_device(browser):
    user, here = browser
    assert db.session.get(SystemUser, user.id).theme == "system"
    for path in PAGES:
        html = here.get(path).get_data(as_text=True)
        assert swatch_links(html) == [
            (LIGHT, "(prefers-color-scheme: light)"),
            (DARK, "(prefers-color-scheme: dark)"),
        ], path
    assert checked(here.get("/account/").get_data(as_text=True)) == ["system"]


@pytest.mark.parametrize(("theme", "swatch"), [("dark", DARK), ("light", LIGHT)])
def test_the_chosen_theme_is_stored_audited_and_on_every_page(browser, theme, swatch):
    user, here = browser
    response = choose(here, theme)
    assert response.status_code == 302 and response.headers["Location"] == "/account/"
    db.session.expire_all()
    assert db.session.get(SystemUser, user.id).theme == theme
    for path in PAGES:
        assert swatch_links(here.get(path).get_data(as_text=True)) == [(swatch, None)], path
    assert checked(here.get("/account/").get_data(as_text=True)) == [theme]
    (row,) = theme_rows(user)
    assert row.user_id == user.id and row.diff == {"theme": ["system", theme]}
    assert choose(here, theme).status_code == 302  # the same choice again: nothing to record
    assert len(theme_rows(user)) == 1


def test_no_csrf_token_no_change(browser):
    user, here = browser
    assert choose(here, "dark", csrf=False).status_code == 400
    db.session.expire_all()
    assert db.session.get(SystemUser, user.id).theme == "system"
    assert theme_rows(user) == []


def test_an_unknown_theme_changes_nothing(browser):
    user, here = browser
    response = choose(here, "neon")
    assert response.status_code == 400
    assert "nothing changed" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(SystemUser, user.id).theme == "system"
    assert theme_rows(user) == []


def test_the_login_page_follows_the_device(app):
    html = Browser(app).get("/login").get_data(as_text=True)
    assert swatch_links(html) == [(LIGHT, "(prefers-color-scheme: light)"), (DARK, "(prefers-color-scheme: dark)")]


def test_set_theme_refuses_unknown_values(app, make_user):
    user, _ = make_user("viewer")
    assert preferences.set_theme(db.session, user.id, "sepia") is False
    assert preferences.set_theme(db.session, user.id, "dark") is True
    assert preferences.theme_of(db.session.get(SystemUser, user.id)) == "dark"
    assert preferences.theme_of(None) == "system"


def test_the_dark_swatch_is_served_without_its_remote_font_import(client):
    """Darkly as shipped imports Lato from Google Fonts; the panel's copy asks nothing of another site."""
    response = client.get("/theme/darkly.css?v=1")
    css = response.get_data(as_text=True)
    assert response.status_code == 200 and response.mimetype == "text/css"
    assert "googleapis" not in css and "@import" not in css
    assert ".btn-primary" in css and len(css) > 100_000  # the whole swatch otherwise
    assert response.cache_control.public and response.cache_control.max_age > 0
