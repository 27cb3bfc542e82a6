"""Browser: the Events page (tabs, counts, live refresh) and the owner dashboard's charts."""

from __future__ import annotations

from datetime import timedelta

import pytest

from mhc.extensions import db
from mhc.models.owner import OwnerStatsSample
from tests.e2e.conftest import log_in
from tests.services.sources.events.feed import OWNER, T0, ev, ingest, msg

pytestmark = pytest.mark.e2e


@pytest.fixture
def app_config():
    return {"EVENTS_PAGE_REFRESH_SECONDS": 1}


def _ingest(batch, minutes, cursor):
    ingest(batch, cursor, T0 + timedelta(minutes=minutes), OWNER)


def test_events_page_tabs_counts_and_live_refresh(app, live_server, browser_page, make_user):
    _ingest(
        [
            ev("c1", "chatMessage", user="fan", message=msg("<b>hi</b>")),
            ev("t1", "tip", user="fan", tip={"tokens": 5, "isAnon": False, "message": ""}),
            ev("t2", "tip", user="fan", tip={"tokens": 5, "isAnon": False, "message": ""}),
            ev("f1", "follow", user="fan"),
        ],
        0,
        "http://x/?i=1",
    )
    user, password = make_user("viewer")
    page = browser_page
    log_in(page, live_server, user.username, password)
    page.goto(f"{live_server}/events/")
    counts = {k: page.text_content(f"[data-count='{k}']") for k in ("all", "chat", "tips", "follows", "direct")}
    assert counts == {"all": "4", "chat": "1", "tips": "2", "follows": "1", "direct": "0"}
    assert page.locator("#event-rows tr[data-event-id]").count() == 4
    assert page.locator("#event-rows td", has_text="<b>hi</b>").count() == 1  # shown as text, not markup
    page.click("[data-tab='tips']")
    page.wait_for_url("**/events/?tab=tips**")
    assert page.locator("#event-rows tr[data-event-id]").count() == 2
    _ingest([ev("t3", "tip", user="pal", tip={"tokens": 9, "isAnon": False, "message": ""})], 1, "http://x/?i=2")
    page.wait_for_function("() => document.querySelectorAll('#event-rows tr[data-event-id]').length === 3")
    assert page.text_content("#event-rows tr:first-child td:last-child") == "9"
    page.wait_for_function("() => document.querySelector(\"[data-count='tips']\").textContent === '3'")


def test_hudson_charts_render_for_admin_and_viewer_is_refused(app, live_server, browser_page, make_user):
    for minutes, followers in ((0, 300), (60, 304), (120, 310)):
        db.session.add(
            OwnerStatsSample(observed_at=T0 + timedelta(minutes=minutes), username=OWNER, num_followers=followers)
        )
    db.session.commit()
    page = browser_page
    admin, password = make_user("admin")
    log_in(page, live_server, admin.username, password)
    page.goto(f"{live_server}/hudson/")
    chart = page.locator("[data-testid='chart-followers']")
    page.wait_for_selector("[data-testid='chart-followers'][data-chart-state='drawn']")
    assert chart.get_attribute("data-points") == "3"
    assert chart.locator("svg path.mhc-line").count() == 1
    assert chart.locator("svg circle.mhc-point").count() == 3
    page.wait_for_selector("[data-testid='chart-net-follows'][data-chart-state='drawn']")
    assert page.locator("[data-testid='chart-net-follows'] svg").count() == 1
    # Counts get whole-number ticks only, never "0.2 follows".
    ticks = page.locator("[data-testid='chart-net-follows'] svg text.mhc-ytick").all_text_contents()
    assert ticks == ["0", "1"]
    page.click("[data-testid='logout']")
    viewer, password = make_user("viewer")
    log_in(page, live_server, viewer.username, password)
    response = page.goto(f"{live_server}/hudson/")
    assert response.status == 403
