"""In Chromium: the Users lists are dense and fit (1440x900: no table wider than its box, no cell content wider
than its cell, dates on one line in local time), become cards on a phone (390x844: no sideways scroll), act from
the row menu (with CSRF), and say at the spot when P1 waits for the Affiliate API poll, which is off."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from mhc.extensions import db
from mhc.models import Person, PriorityLookup
from tests.e2e.conftest import log_in
from tests.factories import make_person
from tests.services.users.conftest import NOW

pytestmark = pytest.mark.e2e

TABS = ("directory", "following", "followers", "unfollowed")
RAW_ERROR = (
    "profile page failed: Page.goto: net::ERR_NAME_NOT_RESOLVED at https://chaturbate.com/averyveryverylongname/\n"
    'Call log:\n  - navigating to "https://chaturbate.com/averyveryverylongname/", waiting until "load"'
)
TAGS = ["bigboobs", "lovense", "squirt", "anal", "teen", "asian", "ebony", "feet"]


@pytest.fixture
def crowd(app):
    """Persons filling every column of every tab: long names, eight tags, fan value, follow dates, lookups."""
    out = {}
    for i in range(12):
        name = f"averyveryverylongname_{i:02d}" if i % 3 == 0 else f"person{i}"
        out[name] = make_person(
            name,
            "BOTH",
            age=20 + i,
            num_followers=123_456 * (i + 1),
            rank=10_000 + i,
            last_seen_at=NOW - timedelta(hours=i),
            tipped_tokens=1_234_567 * i,
            tips_count=3_456 * i,
            last_tip_at=NOW - timedelta(days=i),
            first_seen_in_room_at=NOW - timedelta(days=300 + i),
            profile={
                "tags": TAGS,
                "following": i % 2 == 0,
                "following_since": NOW - timedelta(days=40 + i),
                "follower": i % 2 == 1,
                "follower_since": NOW - timedelta(days=50 + i),
                "unfollower_at": NOW - timedelta(days=i) if i % 4 == 0 else None,
            },
            lookup=(
                {"priority": 1, "status": "failed", "failure_reason": RAW_ERROR}
                if i == 0
                else {"priority": 1 + i % 2, "status": "queued"}
                if i < 6
                else None
            ),
        )
    return out


OVERFLOW = """() => {
  const out = [];
  for (const box of document.querySelectorAll('.users-table-box')) {
    if (box.scrollWidth > box.clientWidth) out.push(['table', box.scrollWidth, box.clientWidth]);
  }
  for (const td of document.querySelectorAll('table.users-list td')) {
    if (td.scrollWidth > td.clientWidth + 1) out.push([td.className, td.textContent.slice(0, 40), td.scrollWidth]);
  }
  for (const t of document.querySelectorAll('table.users-list time')) {
    if (t.getClientRects().length !== 1) out.push(['time wraps', t.textContent]);
  }
  return out;
}"""


def test_wide_lists_fit_their_box_and_cells(live_server, browser_page, make_user, crowd):
    user, password = make_user("admin")
    page = browser_page
    page.set_viewport_size({"width": 1440, "height": 900})
    log_in(page, live_server, user.username, password)
    for tab in TABS:
        page.goto(f"{live_server}/users/{tab}/")
        assert page.locator("table.users-list tbody tr").count() > 0, tab
        assert page.evaluate(OVERFLOW) == [], tab
        assert page.evaluate("document.scrollingElement.scrollWidth <= innerWidth"), tab
    page.goto(f"{live_server}/users/directory/")
    # the failed lookup: a short label in the cell, the explanation (not the raw error) in its title
    failed = page.locator(".priority-cell[data-status=failed]")
    assert failed.inner_text().strip() == "P1 Site unreachable"
    assert "could not be reached" in failed.get_attribute("title")
    assert "Call log" not in failed.get_attribute("title")
    # tags sit on one wrapping line of chips, not one per line
    tags = page.locator("td.col-tags ul.tags").first
    assert tags.evaluate("ul => getComputedStyle(ul).display") == "flex"
    # dates: the exact UTC time on hover
    assert (
        page.locator("td.col-last_seen_at time").first.get_attribute("title").endswith("UTC (shown in your local time)")
    )


def test_dates_show_in_the_browser_local_time(app, live_server, browser_page, make_user):
    make_person("tokyo_fan", "VIEWER", last_seen_at=NOW.replace(hour=22, minute=5, second=0, microsecond=0))
    user, password = make_user("viewer")
    browser = browser_page.context.browser
    page = browser.new_context(timezone_id="Asia/Tokyo", viewport={"width": 1440, "height": 900}).new_page()
    log_in(page, live_server, user.username, password)
    page.goto(f"{live_server}/users/directory/")
    shown = page.locator("td.col-last_seen_at time").first
    tokyo = NOW.replace(hour=22, minute=5) + timedelta(hours=9)  # UTC+9, no daylight saving
    assert shown.inner_text() == tokyo.strftime("%Y-%m-%d %H:%M")
    assert shown.get_attribute("title") == NOW.strftime("%Y-%m-%d") + " 22:05 UTC (shown in your local time)"


def test_phone_lists_are_cards_and_never_scroll_sideways(live_server, browser_page, make_user, crowd):
    user, password = make_user("admin")
    page = browser_page
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, live_server, user.username, password)
    for tab in TABS:
        page.goto(f"{live_server}/users/{tab}/")
        assert page.evaluate("document.scrollingElement.scrollWidth <= innerWidth"), tab
        row = page.locator("table.users-list tbody tr").first
        assert row.evaluate("tr => getComputedStyle(tr).display") == "grid", tab  # a card
        assert page.locator("table.users-list thead").evaluate("t => getComputedStyle(t).display") == "none"
        label = page.locator("table.users-list tbody tr td.col-username").first.get_attribute("data-label")
        assert label == "Username", tab


def test_add_to_p1_from_the_row_menu(live_server, browser_page, make_user, crowd):
    user, password = make_user("admin")
    page = browser_page
    page.set_viewport_size({"width": 1440, "height": 900})
    log_in(page, live_server, user.username, password)
    page.goto(f"{live_server}/users/directory/")
    row = page.locator("table.users-list tbody tr", has=page.locator("a.username", has_text="person7"))
    profile = row.locator("td.col-actions a")
    assert profile.inner_text() == "Profile" and profile.get_attribute("href") == "/profile/person7"
    assert profile.evaluate("a => getComputedStyle(a).opacity") == "1"
    menu = page.locator("#row-menu")
    assert not menu.is_visible()
    row.locator(".row-menu-toggle").click()
    assert menu.is_visible()
    assert menu.locator(".row-menu-name").inner_text() == "person7"
    item = menu.locator("button[data-action=add_p1]")
    assert "Affiliate API poll" in item.get_attribute("title")
    item.click()  # submits the page's one row form (with its CSRF token) for this row
    page.wait_for_selector(".alert-success")
    db.session.expire_all()
    lookup = db.session.scalar(
        select(PriorityLookup).join(Person, Person.id == PriorityLookup.person_id).where(Person.username == "person7")
    )
    assert (lookup.priority, lookup.status) == (1, "queued")
    # Escape closes the menu again
    row = page.locator("table.users-list tbody tr", has=page.locator("a.username", has_text="person8"))
    row.locator(".row-menu-toggle").click()
    assert page.locator("#row-menu").is_visible()
    page.keyboard.press("Escape")
    assert not page.locator("#row-menu").is_visible()


def test_p1_waiting_for_the_off_poll_is_said_at_the_spot(live_server, browser_page, make_user, crowd):
    """AFFILIATE_WM is unset in tests: the queued P1 cells say so, and a notice above the list says what to set."""
    user, password = make_user("viewer")
    page = browser_page
    log_in(page, live_server, user.username, password)
    page.goto(f"{live_server}/users/directory/")
    notice = page.locator("[data-testid=priority-blocked]")
    assert notice.is_visible()
    assert "P1 waits for the Affiliate API poll, which is off: set AFFILIATE_WM." in notice.inner_text()
    cell = page.locator(".priority-cell .status-blocked").first
    assert cell.inner_text() == "Waits: poll is off"
    assert "set AFFILIATE_WM" in page.locator(".priority-cell:has(.status-blocked)").first.get_attribute("title")
    page.click("[data-testid=users-legend] summary")
    assert page.locator("[data-testid=users-legend]").inner_text().count("P1") >= 2
