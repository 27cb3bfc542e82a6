"""Every page of the panel, on a laptop and on a phone, in light and in dark: screenshots, and no overflow.

With the demo data the README's run command loads (plus the runs, sessions and audit rows a working panel
has), an admin opens each page at 1440x900 and 390x844 in both themes. The test fails when a page scrolls
sideways, when a table cell's content is wider than its cell, or (at 1440) when a table is wider than the
box it sits in. Screenshots go to pytest's tmp_path and, when MHC_SHOTS_DIR is set, there too
(docs/operator.md#light-and-dark-theme).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from flask import url_for
from sqlalchemy import select

from mhc.extensions import db
from mhc.models import HeldFollowList, JobRun, Person, SystemUser
from mhc.services import demo, demo_scene
from mhc.services.access import preferences
from tests.e2e.conftest import log_in

pytestmark = pytest.mark.e2e

VIEWPORTS = {"wide": {"width": 1440, "height": 900}, "phone": {"width": 390, "height": 844}}
THEMES = ("light", "dark")

# What a page must not do, measured in the page: a sideways-scrolling page; a cell whose content is wider
# than the cell (unless the cell is a scroll box on purpose: overflow auto/scroll); at 1440 px, a table wider
# than its box (its nearest ancestor that scrolls or clips, else the page).
OVERFLOW_JS = """(wide) => {
  const problems = [];
  const name = (el) => {
    const row = el.closest('tr');
    const text = (row ? row.innerText : el.innerText || '').replace(/\\s+/g, ' ').trim().slice(0, 60);
    const testid = el.closest('[data-testid]');
    return (testid ? '[' + testid.getAttribute('data-testid') + '] ' : '') + '"' + text + '"';
  };
  const scrolls = (el) => /(auto|scroll|hidden)/.test(getComputedStyle(el).overflowX);
  const page = document.scrollingElement;
  if (page.scrollWidth > window.innerWidth + 1) {
    problems.push('page scrolls sideways: ' + page.scrollWidth + ' px wide in ' + window.innerWidth);
  }
  for (const cell of document.querySelectorAll('td, th')) {
    if (cell.offsetParent === null || scrolls(cell)) { continue; }
    if (cell.scrollWidth > cell.clientWidth + 1) {
      problems.push('cell content ' + cell.scrollWidth + ' px in a ' + cell.clientWidth + ' px cell: ' + name(cell));
    }
  }
  if (wide) {
    for (const table of document.querySelectorAll('table')) {
      if (table.offsetParent === null) { continue; }
      let box = table.parentElement;
      while (box && box !== document.body && !scrolls(box)) { box = box.parentElement; }
      const room = box && box !== document.body ? box.clientWidth : window.innerWidth;
      if (table.offsetWidth > room + 1) {
        problems.push('table ' + table.offsetWidth + ' px in a ' + room + ' px box: ' + name(table));
      }
    }
  }
  return problems;
}"""


@pytest.fixture
def app_config():
    return {"OWNER_USERNAME": "hudson"}


@pytest.fixture
def panel_data(app):
    """The demo the README's run command loads (`flask demo-data`: persons, then the owner's scene with
    broadcasts, Stats samples, sample runs with a failed one, a held sync and alerts), smaller."""
    demo.load(db.session, n_persons=150, seed=1, owner="hudson", snapshots_per_model=6)
    demo_scene.load(db.session, owner="hudson", seed=1)
    failed = db.session.scalars(select(JobRun).where(JobRun.status == "failed").order_by(JobRun.created_at)).first()
    held = db.session.scalars(select(HeldFollowList)).first()
    person = db.session.scalars(select(Person).order_by(Person.snapshots_count.desc(), Person.username)).first()
    assert failed is not None and held is not None and person is not None
    return {"run": failed, "held": held, "person": person}


def _pages(app, data, user) -> list[tuple[str, str]]:
    """Every page of the navigation (and the pages it leads to), as (name, path)."""
    endpoints = [
        ("home", "admin.index", {}),
        ("users-directory", "users_directory.index_view", {}),
        ("users-following", "users_following.index_view", {}),
        ("users-followers", "users_followers.index_view", {}),
        ("users-unfollowed", "users_unfollowed.index_view", {}),
        ("profile", "profile.person", {"username": data["person"].username}),
        ("hudson", "hudson.index", {}),
        ("events", "events.index", {}),
        ("jobs", "jobs.index", {}),
        ("job", "jobs.detail", {"run_id": data["run"].id}),
        ("follow-lists", "follows.index", {}),
        ("held-sync", "follows.held", {"held_id": data["held"].id}),
        ("alerts", "alerts.index", {}),
        ("audit-log", "audit_log.index_view", {}),
        ("system-users", "system_users.index_view", {}),
        ("system-user-edit", "system_users.edit_view", {"id": user.id}),
        ("system-roles", "system_roles.index", {}),
        ("system-two-factor", "two_factor_admin.index", {}),
        ("events-api", "events_api.index", {}),
        ("feed-quarantine", "feed_quarantine.index", {}),
        ("account", "account.index", {}),
    ]
    with app.test_request_context():
        return [(name, url_for(endpoint, **args)) for name, endpoint, args in endpoints]


def _settle(page) -> None:
    """Wait until the page's charts have drawn (or said why not) and web fonts are in."""
    page.wait_for_function("() => !document.querySelector('[data-chart-state=loading]')")
    page.evaluate("() => document.fonts.ready.then(() => true)")


def test_every_page_fits_on_a_laptop_and_a_phone_in_light_and_dark(
    app, panel_data, live_server, browser_page, make_user, tmp_path
):
    user, password = make_user("admin")
    page = browser_page
    shots_dir = Path(os.environ["MHC_SHOTS_DIR"]) if os.environ.get("MHC_SHOTS_DIR") else None
    failures: list[str] = []
    elsewhere: list[str] = []  # the panel's pages ask nothing of another site (fonts, scripts, images)
    page.on("request", lambda r: None if r.url.startswith((live_server, "data:")) else elsewhere.append(r.url))

    def shoot(name: str, size: str, theme: str) -> None:
        shot = tmp_path / f"{name}-{size}-{theme}.png"
        page.screenshot(path=str(shot), full_page=True)
        if shots_dir is not None:
            shots_dir.mkdir(parents=True, exist_ok=True)
            shutil.copy(shot, shots_dir / shot.name)
        problems = page.evaluate(OVERFLOW_JS, size == "wide")
        more = [f"... and {len(problems) - 5} more"] if len(problems) > 5 else []
        failures.extend(f"{name} {size} {theme}: {p}" for p in problems[:5] + more)

    # The login page follows the device's colour scheme (nobody is logged in to have chosen one).
    for theme in THEMES:
        page.emulate_media(color_scheme=theme)
        for size, viewport in VIEWPORTS.items():
            page.set_viewport_size(viewport)
            page.goto(f"{live_server}/login")
            shoot("login", size, theme)
    page.emulate_media(color_scheme="light")
    log_in(page, live_server, user.username, password)
    pages = _pages(app, panel_data, user)
    for theme in THEMES:
        preferences.set_theme(db.session, user.id, theme)
        for size, viewport in VIEWPORTS.items():
            page.set_viewport_size(viewport)
            for name, path in pages:
                response = page.goto(f"{live_server}{path}")
                assert response is not None and response.status == 200, (
                    f"{name} ({path}): {response and response.status}"
                )
                _settle(page)
                link = page.locator("link[data-theme]")
                assert [link.nth(i).get_attribute("data-theme") for i in range(link.count())] == [theme], name
                shoot(name, size, theme)
    assert db.session.get(SystemUser, user.id).theme == "dark"
    assert not failures, f"{len(failures)} layout problems:\n" + "\n".join(failures)
    assert not elsewhere, f"pages requested other sites: {sorted(set(elsewhere))[:5]}"
