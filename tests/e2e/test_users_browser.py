"""In Chromium: Users tabs and toggles, search → Add to Queue → live status, batch Add to P1, Profile page."""

from __future__ import annotations

from datetime import timedelta

import pytest

from mhc.extensions import db
from mhc.models import AffiliateSnapshot, FollowEvent, Person, PriorityLookup
from mhc.services.users import thumbnails
from tests.e2e.conftest import log_in
from tests.factories import make_person
from tests.services.users.conftest import NOW

pytestmark = pytest.mark.e2e


@pytest.fixture
def app_config(fake_cb_config):
    """Profile scrapes started from the panel go to the fake Chaturbate."""
    return fake_cb_config


def _usernames(page) -> list[str]:
    return [t.strip() for t in page.locator("table.model-list a.username").all_inner_texts()]


@pytest.fixture
def people(app):
    out = {
        "alice": make_person("alice", "MODEL", age=24, last_seen_at=NOW - timedelta(hours=1),
                            profile={"tags": ["feet"], "following": True, "following_since": NOW - timedelta(days=9)}),
        "bob": make_person("bob", "VIEWER", last_seen_at=NOW - timedelta(hours=2),
                          profile={"follower": True, "follower_since": NOW - timedelta(days=5)}),
        "carol": make_person("carol", "BOTH", age=31, last_seen_at=NOW - timedelta(hours=3),
                            profile={"follower": True, "follower_since": NOW - timedelta(days=2)}),
    }  # fmt: skip
    return out


def test_tabs_and_toggles(live_server, browser_page, make_user, people):
    user, password = make_user("viewer")
    page = browser_page
    log_in(page, live_server, user.username, password)
    page.goto(f"{live_server}/users/directory/")
    assert _usernames(page) == ["alice", "bob", "carol"]
    page.click("[data-testid=toggle-models]")
    page.wait_for_url("**flt0_show_is=models**")
    assert _usernames(page) == ["alice", "carol"]
    assert page.locator("[data-testid=toggle-models] .toggle-count").inner_text() == "2"
    page.click("[data-testid=toggle-viewers]")
    page.wait_for_url("**flt0_show_is=viewers**")
    assert _usernames(page) == ["bob", "carol"]
    page.click("[data-testid=tab-followers]")
    page.wait_for_url(f"{live_server}/users/followers/")
    assert _usernames(page) == ["carol", "bob"]
    page.click("[data-testid=tab-following]")
    page.wait_for_url(f"{live_server}/users/following/")
    assert _usernames(page) == ["alice"]
    page.click("[data-testid=tab-unfollowed]")
    page.click("[data-testid=window-7d]")
    page.wait_for_url("**flt0_window_last=7**")
    assert _usernames(page) == []


def test_search_add_to_queue_then_live_status(app, live_server, browser_page, make_user, people):
    """Add to Queue enqueues the first profile scrape; the embedded worker runs it in Chromium against the
    fake Chaturbate and the Priority cell follows the lookup without a reload."""
    user, password = make_user("admin")
    page = browser_page
    log_in(page, live_server, user.username, password)
    page.goto(f"{live_server}/users/directory/")
    page.fill("input[name=search]", "Newbie_9")
    page.keyboard.press("Enter")
    page.wait_for_selector("[data-testid=no-results]")
    page.click("[data-testid=add-to-queue]")
    page.wait_for_url("**search=%3Dnewbie_9**")
    assert _usernames(page) == ["newbie_9"]
    cell = page.locator("table.model-list .priority-cell")
    assert cell.inner_text().strip() in ("P2 Queued", "P2 Processing")
    page.wait_for_function(
        "() => document.querySelector('table.model-list .priority-cell').textContent.includes('Complete')",
        timeout=60000,
    )
    assert cell.inner_text().strip() == "P2 Complete"


def test_select_rows_then_add_to_p1(live_server, browser_page, make_user, people):
    user, password = make_user("admin")
    page = browser_page
    log_in(page, live_server, user.username, password)
    page.goto(f"{live_server}/users/directory/")
    for name in ("alice", "carol"):
        page.locator("table.model-list tr", has=page.locator("a.username", has_text=name)).locator(
            "input.action-checkbox"
        ).check()
    page.click("text=With selected")
    page.click(".dropdown-menu >> text=Add to P1")
    page.wait_for_selector(".alert-success")
    cells = {
        name: page.locator("table.model-list tr", has=page.locator("a.username", has_text=name))
        .locator("td.col-priority")
        .inner_text()
        .strip()
        for name in ("alice", "bob", "carol")
    }
    # AFFILIATE_WM is unset here, so the P1 lookups say at the spot that they wait for the (off) poll
    assert cells == {"alice": "P1 Waits: poll is off", "bob": "", "carol": "P1 Waits: poll is off"}


def test_select_all_matching_then_add_to_p1(app, live_server, browser_page, make_user):
    """Page 1 of 2 checked → the banner offers all N matching the filter → the confirmation shows N → every
    matching person (on both pages, and only those) is added to P1."""
    for i in range(30):
        make_person(f"model_{i:02d}", "MODEL", last_seen_at=NOW - timedelta(minutes=i))
    for i in range(5):
        make_person(f"viewer_{i}", "VIEWER", last_seen_at=NOW - timedelta(minutes=i))
    user, password = make_user("admin")
    page = browser_page
    log_in(page, live_server, user.username, password)
    page.goto(f"{live_server}/users/directory/?flt0_show_is=models&page_size=25")
    banner = page.locator("[data-testid=select-all-banner]")
    assert not banner.is_visible()
    page.check("input.action-rowtoggle")
    assert banner.is_visible()
    assert banner.inner_text().strip() == "All 25 on this page are selected. Select all 30 matching this filter"
    page.click(".select-all-link")
    assert banner.inner_text().strip() == "All 30 matching this filter are selected. Clear selection"
    page.click("text=With selected")
    page.click(".dropdown-menu >> text=Add to P1")
    page.wait_for_selector("[data-testid=confirm-all]")
    assert page.locator("[data-testid=confirm-count]").inner_text() == "30 persons match this filter."
    page.click("[data-testid=confirm-all-submit]")
    page.wait_for_selector(".alert-success")
    assert "flt0_show_is=models" in page.url
    lookups = db.session.execute(
        db.select(Person.username, PriorityLookup.priority).join(PriorityLookup, PriorityLookup.person_id == Person.id)
    ).all()
    assert sorted(lookups) == [(f"model_{i:02d}", 1) for i in range(30)]


def test_profile_page_timeline_and_chart(app, live_server, browser_page, make_user, people):
    alice = people["alice"]
    db.session.add_all(
        [
            AffiliateSnapshot(
                person_id=alice.id, username="alice", observed_at=NOW - timedelta(days=d), num_followers=n
            )
            for d, n in ((3, 11_430), (2, 11_460), (1, 11_490))
        ]
        + [
            FollowEvent(
                person_id=alice.id,
                direction="following",
                action="follow",
                source="manual_import",
                observed_at=NOW - timedelta(days=9),
            )
        ]  # fmt: skip
    )
    db.session.commit()
    user, password = make_user("viewer")
    page = browser_page
    log_in(page, live_server, user.username, password)
    page.goto(f"{live_server}/profile/")
    page.fill("input[name=q]", "alice")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server}/profile/alice")
    assert page.locator("[data-testid=timeline] > li").count() == 4
    assert page.locator("[data-testid=timeline] > li[data-kind=follow]").count() == 1
    page.wait_for_selector("[data-testid=followers-chart][data-chart-state=drawn]")
    assert page.locator("[data-testid=followers-chart] svg circle.mhc-point").count() == 3
    # Y labels as precise as their step: 11,420 ... 11,500, never "11.4k" twice.
    labels = page.locator("[data-testid=followers-chart] svg text.mhc-ytick").all_text_contents()
    assert labels == ["11,420", "11,440", "11,460", "11,480", "11,500"]


def test_stored_thumbnails_show_and_a_lost_one_becomes_the_no_photo_box(app, live_server, browser_page, make_user):
    """The panel shows its own stored thumbnail (a real PNG, drawn by Chromium); one that cannot load (its
    row is gone) is swapped for the grey "no photo" box, never left as a broken image."""
    from tests.fake_chaturbate.affiliate import photo_png

    has_photo = make_person("has_photo", "MODEL", last_seen_at=NOW - timedelta(hours=1))
    digest = thumbnails.store(
        db.session, has_photo.id, "https://thumb.live.mmcdn.com/ri/has_photo.jpg", photo_png("p"), NOW
    )
    make_person("lost_photo", "MODEL", last_seen_at=NOW, thumbnail_sha256="0" * 64)  # no stored row: 404
    db.session.commit()
    user, password = make_user("viewer")
    page = browser_page
    log_in(page, live_server, user.username, password)
    page.goto(f"{live_server}/users/directory/")
    assert _usernames(page) == ["lost_photo", "has_photo"]
    rows = page.locator("table.model-list tbody tr")
    rows.nth(0).locator("span.thumb-empty").wait_for()
    assert rows.nth(0).locator("img").count() == 0
    page.wait_for_function("() => (document.querySelector('img.thumb') || {}).naturalWidth === 40")
    assert rows.nth(1).locator("img.thumb").get_attribute("src").endswith(f"{has_photo.id}?v={digest[:16]}")
