"""The Profile page (header, follow state, timeline, chart data, autocomplete) and stored-XSS escaping everywhere."""

from __future__ import annotations

from datetime import timedelta

import pytest
from bs4 import BeautifulSoup

from mhc.extensions import db
from mhc.services import audit
from mhc.services.users import priorities
from tests.factories import (
    make_affiliate_snapshot,
    make_follow_event,
    make_interaction,
    make_person,
    make_snapshot,
)
from tests.services.users.conftest import NOW

SCRIPT = "<script>alert(1)</script>"
ATTR = '" onerror="alert(2)'


@pytest.fixture
def hostile(app):
    """A person on every tab whose scraped fields carry markup."""
    return make_person(
        "mallory",
        "BOTH",
        age=30,
        num_followers=10,
        image_url='https://thumb.live.mmcdn.com/ri/x.jpg" onerror="alert(3)',
        last_seen_at=NOW,
        profile={
            "tags": [SCRIPT, ATTR],
            "bio": f"hello {SCRIPT} {ATTR}",
            "room_subject": f"Goal {SCRIPT} #{ATTR}",
            "display_name": f"Mal {SCRIPT}",
            "following": True,
            "following_since": NOW - timedelta(days=3),
            "follower": True,
            "follower_since": NOW - timedelta(days=9),
            "unfollower_at": NOW - timedelta(days=1),
        },
    )


def assert_escaped(html: str) -> None:
    assert "<script>alert" not in html
    assert '" onerror="alert' not in html


@pytest.mark.parametrize(
    "url",
    ["/users/directory/", "/users/following/", "/users/followers/", "/users/unfollowed/", "/profile/mallory"],
)
def test_scraped_markup_is_escaped(client, login_as, hostile, url):
    login_as("admin")
    response = client.get(url)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "mallory" in html
    assert_escaped(html)
    soup = BeautifulSoup(html, "html.parser")
    assert soup.find("script", string=lambda s: s and "alert" in s) is None
    assert [tag for tag in soup.find_all(True) if "onerror" in tag.attrs] == []
    if url != "/users/unfollowed/":
        texts = [t.get_text() for t in soup.select(".tag, ul.tags li")]
        assert SCRIPT in texts and ATTR in texts  # shown as text


def test_profile_page_shows_header_and_both_follow_states(client, login_as, hostile):
    login_as("viewer")
    soup = BeautifulSoup(client.get("/profile/mallory").get_data(as_text=True), "html.parser")
    assert soup.select_one("[data-testid=profile-username]").get_text() == "mallory"
    assert soup.select_one("[data-testid=profile-role]").get_text() == "Both"
    assert soup.select_one("[data-testid=profile-followers]").get_text() == "10 followers"
    assert soup.select_one("[data-testid=profile-bio]").get_text() == f"hello {SCRIPT} {ATTR}"
    state = " ".join(soup.select_one("[data-testid=follow-state]").get_text().split())
    following_since = (NOW - timedelta(days=3)).strftime("%Y-%m-%d %H:%M")
    follower_since = (NOW - timedelta(days=9)).strftime("%Y-%m-%d %H:%M")
    assert f"You follow them since {following_since}." in state
    assert f"They follow you since {follower_since}." in state
    # a viewer gets no action buttons and no edit links
    assert soup.select(".profile-actions form") == [] and soup.select(".profile-actions a") == []


def test_profile_timeline_merges_every_source(client, login_as, cast):
    alice = cast["alice"]
    make_follow_event(alice, "following", "follow", NOW - timedelta(days=50))
    make_snapshot(alice, NOW - timedelta(days=4), follower_count=4900)
    make_affiliate_snapshot(
        alice, NOW - timedelta(days=2), num_followers=4950, current_show="public", room_subject="hi #feet"
    )
    make_interaction("tip", NOW - timedelta(days=1), person=alice, event_id="e1", room="hudson", amount=25)
    audit.record(db.session, action="update", object_type="persons", object_id=alice.id, username="boss",
                 changes={"role": ["VIEWER", "MODEL"]})  # fmt: skip
    db.session.commit()
    priorities.set_priority(db.session, [alice.id], 1)
    login_as("viewer")
    soup = BeautifulSoup(client.get("/profile/alice").get_data(as_text=True), "html.parser")
    items = soup.select("[data-testid=timeline] > li")
    kinds = [li["data-kind"] for li in items]
    assert sorted(kinds) == sorted(["follow", "snapshot", "snapshot", "interaction", "edit", "priority"])
    assert kinds[-1] == "follow"  # newest first; the follow is 50 days old
    edit = soup.select_one("[data-kind=edit]")
    assert "Update persons by boss" in edit.get_text(" ", strip=True)
    assert edit.select_one(".diff").get_text(" ", strip=True) == "role : VIEWER → MODEL"
    assert "25 tokens" in soup.select_one("[data-kind=interaction]").get_text()
    chart = client.get("/profile/alice/followers.json").get_json()
    assert [p[1] for p in chart["points"]] == [4900, 4950]
    assert soup.select_one("[data-testid=followers-chart]")["data-url"] == "/profile/alice/followers.json"


def test_profile_lookup_and_autocomplete(client, login_as, cast):
    login_as("viewer")
    response = client.get("/profile/?q=Carol")
    assert response.status_code == 302 and response.headers["Location"].endswith("/profile/carol")
    missing = BeautifulSoup(client.get("/profile/?q=nobody").get_data(as_text=True), "html.parser")
    assert missing.select_one("[data-testid=profile-not-found]") is not None
    assert client.get("/profile/autocomplete.json?q=a").get_json() == [
        "alice",
        "dave",
        "carol",
        "frank",
    ]  # prefix, then shortest
    assert client.get("/profile/autocomplete.json?q=ro").get_json() == ["carol"]
    assert client.get("/profile/nobody").status_code == 404


def test_unfollowed_insights_and_chart(client, login_as, cast):
    followed, unfollowed = NOW - timedelta(days=20), NOW - timedelta(days=3)
    make_follow_event(cast["dave"], "follower", "follow", followed)
    make_follow_event(cast["dave"], "follower", "unfollow", unfollowed, period_started_at=followed)
    login_as("viewer")
    soup = BeautifulSoup(client.get("/users/unfollowed/?flt0_window_last=30").get_data(as_text=True), "html.parser")
    assert soup.select_one("[data-testid=unfollows-7d]").get_text(strip=True) == "1"
    assert soup.select_one("[data-testid=unfollows-30d]").get_text(strip=True) == "1"
    assert soup.select_one("[data-testid=avg-follow-days]").get_text(strip=True) == "17.0 days"
    chart = soup.select_one("[data-testid=unfollows-chart]")
    points = client.get(chart["data-url"]).get_json()["points"]
    assert len(points) == 30 and sum(n for _, n in points) == 1
    everything = BeautifulSoup(client.get("/users/unfollowed/").get_data(as_text=True), "html.parser")
    assert "Unfollow rate (all time)" in everything.select_one("[data-testid=insights]").get_text(" ", strip=True)
    assert everything.select_one("[data-testid=avg-follow-days]").get_text(strip=True) == "17.0 days"
    all_points = client.get(everything.select_one("[data-testid=unfollows-chart]")["data-url"]).get_json()["points"]
    assert len(all_points) == 4 and sum(n for _, n in all_points) == 1  # from the first unfollow, 3 days ago
