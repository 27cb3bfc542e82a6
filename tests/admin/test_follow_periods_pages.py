"""Follow periods and "unfollows by persons" where they show: the Profile page, the Unfollowed tab, Hudson;
and the Profile header's lookup state in words (mhc/services/users/lookup_state.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from bs4 import BeautifulSoup

from mhc.extensions import db
from mhc.models import utcnow
from mhc.services.follows.unfollowers import unfollowers
from mhc.services.users import lookup_state
from tests.factories import make_follow_event, make_person

NOW = utcnow()


def days_ago(n: float):
    return NOW - timedelta(days=n)


def soup_of(client, url: str) -> BeautifulSoup:
    response = client.get(url)
    assert response.status_code == 200, url
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


@pytest.fixture
def refollower(app):
    """ann followed, left, came back and left again; ben left once; cal left and follows again; eve is
    excluded (counts nowhere)."""
    ann = make_person(
        "ann", "VIEWER", profile={"follower": False, "follower_since": days_ago(20), "unfollower_at": days_ago(2)}
    )
    make_follow_event(ann, "follower", "follow", days_ago(20))
    make_follow_event(ann, "follower", "unfollow", days_ago(12), period_started_at=days_ago(20))
    make_follow_event(ann, "follower", "follow", days_ago(10))
    make_follow_event(ann, "follower", "unfollow", days_ago(2), period_started_at=days_ago(10))
    make_follow_event(ann, "following", "follow", days_ago(30))
    ben = make_person("ben", "VIEWER", profile={"follower": False, "unfollower_at": days_ago(3)})
    make_follow_event(ben, "follower", "unfollow", days_ago(3))
    cal = make_person("cal", "VIEWER", profile={"follower": True, "follower_since": days_ago(40)})
    make_follow_event(cal, "follower", "follow", days_ago(40))
    make_follow_event(cal, "follower", "unfollow", days_ago(5), period_started_at=days_ago(40))
    make_follow_event(cal, "follower", "follow", days_ago(1))
    eve = make_person("eve", "VIEWER", is_excluded=True)
    make_follow_event(eve, "follower", "unfollow", days_ago(1))
    return ann


def test_unfollowers_count_persons_and_who_came_back(refollower):
    got = unfollowers(db.session, NOW)
    assert (got[30].unfollows, got[30].persons, got[30].back) == (4, 3, 1)
    assert (got[7].unfollows, got[7].persons, got[7].back) == (3, 3, 1)
    assert got[30].repeat == 1


def test_profile_page_shows_both_directions_periods(client, login_as, refollower):
    login_as("viewer")
    soup = soup_of(client, "/profile/ann")
    follower = soup.select_one("[data-testid=periods-follower]")
    assert follower["data-count"] == "2"
    text = " ".join(follower.get_text(" ", strip=True).split())
    assert "They follow you · 2 periods, 2 unfollows" in text
    assert f"followed {days_ago(20):%Y-%m-%d} → left {days_ago(12):%Y-%m-%d} (8 days)" in text
    assert f"back {days_ago(10):%Y-%m-%d} → left {days_ago(2):%Y-%m-%d} (8 days)" in text
    assert follower.select("time[datetime]")
    following = " ".join(soup.select_one("[data-testid=periods-following]").get_text(" ", strip=True).split())
    assert f"followed {days_ago(30):%Y-%m-%d} → still following (30 days)" in following
    state = " ".join(soup.select_one("[data-testid=follow-state]").get_text().split())
    assert "18 days from the first follow), 2 periods, 2 unfollows: see below" in state


def test_profile_page_says_when_a_follower_came_back(client, login_as, refollower):
    login_as("viewer")
    state = " ".join(soup_of(client, "/profile/cal").select_one("[data-testid=follow-state]").get_text().split())
    assert (
        f"They follow you since {days_ago(40):%Y-%m-%d %H:%M}. They came back on {days_ago(1):%Y-%m-%d %H:%M}" in state
    )
    ben = soup_of(client, "/profile/ben").select_one("[data-testid=periods-follower]")
    assert "before the history → left" in " ".join(ben.get_text(" ", strip=True).split())


def test_unfollowed_tab_shows_periods_and_persons(client, login_as, refollower):
    login_as("viewer")
    soup = soup_of(client, "/users/unfollowed/")
    cell = soup.select_one("[data-testid=follow-periods]")
    assert cell.select_one("summary").get_text() == "2 periods"
    assert f"back {days_ago(10):%Y-%m-%d} → left {days_ago(2):%Y-%m-%d}" in " ".join(cell.get_text(" ").split())
    assert soup.select_one("[data-testid=unfollows-30d]").get_text(strip=True) == "4"
    who = " ".join(soup.select_one("[data-testid=unfollowers-30d]").get_text().split())
    assert who == "by 3 persons, 1 of them follows you again"


def test_hudson_labels_unfollows_by_persons(client, login_as, refollower):
    login_as("admin")
    soup = soup_of(client, "/hudson/")
    assert soup.select_one("[data-testid=unfollowers-30]").get_text(strip=True) == "(by 3 persons)"
    assert "4 unfollows" in soup.select_one("[data-testid=growth-30]").get_text(" ", strip=True)
    assert "in 7 days by 3 persons" in " ".join(soup.select_one("[data-testid=insights]").get_text().split())


@pytest.mark.parametrize(
    ("status", "reason", "wm", "label"),
    [
        (
            "failed",
            "Page.goto: net::ERR_NAME_NOT_RESOLVED at https://x/\nCall log:\n - navigating",
            "",
            "Site unreachable",
        ),
        ("failed", "profile page did not load", "", "Read failed"),
        ("queued", None, "", "Waits: poll is off"),
        ("queued", None, "campaign", None),
    ],
)
def test_profile_header_explains_the_lookup(client, login_as, app, status, reason, wm, label):
    make_person("dan", lookup={"priority": 1, "status": status, "failure_reason": reason})
    app.config["AFFILIATE_WM"] = wm
    login_as("admin")
    soup = soup_of(client, "/profile/dan")
    shown = soup.select_one("[data-testid=lookup-label]")
    assert (shown.get_text() if shown else None) == label
    if label:
        explained = soup.select_one("[data-testid=lookup-explained]").get_text(" ", strip=True)
        assert "Call log" not in explained and "net::" not in explained
    if label == "Waits: poll is off":
        assert "P1 waits for the Affiliate API poll, which is off" in explained
    if label == "Site unreachable":
        assert soup.select_one("[data-testid=lookup-explained] a")["href"] == "/jobs/"


def test_lookup_state_is_quiet_when_the_status_says_enough():
    assert lookup_state.explain(2, "queued", None, {}) is None
    assert lookup_state.explain(1, "complete", None, {}) is None
    assert lookup_state.explain(1, "queued", None, {"AFFILIATE_WM": "x"}) is None
