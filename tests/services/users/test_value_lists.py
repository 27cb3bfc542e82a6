"""Fan value on the Users lists and the Profile header: cells, sorts on every tab, the paying-fans filter,
the Unfollowed tab's "tokens from fans who left" (docs/domain.md#fan-value)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from bs4 import BeautifulSoup

from mhc.extensions import db
from mhc.models import utcnow
from mhc.services.follows import insights
from mhc.services.users import value
from tests.factories import make_interaction, make_person
from tests.services.users.conftest import NOW, read_table
from tests.services.users.test_actions import post_action

OWNER = "hudson"
VALUE_HEADERS = ("Tokens", "Tips", "Last Tip", "First in Room")


def tip(person, tokens: int, days_ago: float, room: str = OWNER, **columns):
    return make_interaction(
        "tip",
        NOW - timedelta(days=days_ago),
        person=person,
        room=room,
        from_username=columns.pop("from_username", person.username),
        amount=tokens,
        **columns,
    )


@pytest.fixture
def valued(cast):
    """The cast with a history in the room: dave 5,000 in 2 tips, bob 1,500 in 3, carol 20 in 1; erin only
    chatted; frank's only "tip" is the owner's in frank's room; gina follows and never tipped; hank, excluded,
    unfollowed with 300. Values written by the one recomputation."""
    tip(cast["dave"], 4000, 30)
    tip(cast["dave"], 1000, 4)
    for days in (10, 6, 2):
        tip(cast["bob"], 500, days)
    tip(cast["carol"], 20, 1)
    make_interaction("chatMessage", NOW - timedelta(days=50), person=cast["erin"], room=OWNER, from_username="erin")
    tip(cast["frank"], 900, 1, room="frank", from_username=OWNER)
    cast["gina"] = make_person(
        "gina", "VIEWER", last_seen_at=NOW, profile={"follower": True, "follower_since": NOW - timedelta(days=1)}
    )
    cast["hank"] = make_person(
        "hank",
        "VIEWER",
        is_excluded=True,
        profile={"follower_since": NOW - timedelta(days=30), "unfollower_at": NOW - timedelta(days=2)},
    )
    tip(cast["hank"], 300, 20)
    value.recompute(db.session, OWNER)
    db.session.commit()
    return cast


def page(client, url: str):
    response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return read_table(response.get_data(as_text=True))


def sort_index(client, tab: str, header: str) -> int:
    """Flask-Admin's sort number of a column: its position among the list's columns."""
    return page(client, f"/users/{tab}/").headers.index(header)


def test_cells(client, login_as, valued):
    login_as("viewer")
    rows = {r["Username"].split()[0]: r for r in page(client, "/users/directory/").rows}
    assert [rows["dave"][h] for h in VALUE_HEADERS] == [
        "5,000",
        "2",
        (NOW - timedelta(days=4)).strftime("%Y-%m-%d"),
        (NOW - timedelta(days=30)).strftime("%Y-%m-%d"),
    ]
    assert [rows["erin"][h] for h in VALUE_HEADERS] == ["—", "—", "—", (NOW - timedelta(days=50)).strftime("%Y-%m-%d")]
    assert [rows["frank"][h] for h in VALUE_HEADERS] == ["—", "—", "—", "—"]


@pytest.mark.parametrize(
    ("tab", "header", "desc", "known", "rest"),
    [
        ("directory", "Tokens", True, ["dave", "bob", "hank", "carol"], {"alice", "erin", "frank", "gina"}),
        ("directory", "Tokens", False, [], None),
        ("directory", "Tips", True, ["bob", "dave"], None),
        ("directory", "Last Tip", True, ["carol", "bob", "dave", "hank"], {"alice", "erin", "frank", "gina"}),
        ("directory", "Last Tip", False, ["hank", "dave", "bob", "carol"], {"alice", "erin", "frank", "gina"}),
        ("directory", "First in Room", False, ["erin", "dave", "hank", "bob", "carol"], {"alice", "frank", "gina"}),
        ("following", "Tokens", True, ["alice"], set()),
        ("followers", "Tokens", True, ["bob", "carol", "gina"], set()),
        ("followers", "Tokens", False, ["gina", "carol", "bob"], set()),
        ("followers", "Last Tip", True, ["carol", "bob"], {"gina"}),
        ("unfollowed", "Tokens", True, ["dave", "hank", "erin"], set()),
        ("unfollowed", "Tokens", False, ["erin", "hank", "dave"], set()),
        ("unfollowed", "First in Room", True, ["hank", "dave", "erin"], set()),
    ],
)
def test_every_tab_sorts_by_value(client, login_as, valued, tab, header, desc, known, rest):
    login_as("viewer")
    url = f"/users/{tab}/?sort={sort_index(client, tab, header)}" + ("&desc=1" if desc else "")
    names = page(client, url).usernames
    if not known:  # ascending tokens: the zeros first, then the fans from the smallest
        assert names[-4:] == ["carol", "hank", "bob", "dave"]
        return
    assert names[: len(known)] == known
    if rest is not None:
        assert set(names[len(known) :]) == rest


def test_paying_fans_filter_composes_with_search_sort_toggle_and_paging(client, login_as, valued):
    login_as("viewer")
    assert page(client, "/users/followers/").usernames == ["gina", "bob", "carol"]
    table = page(client, "/users/followers/?flt0_paying_fans_only=yes")
    assert table.usernames == ["bob", "carol"]
    assert table.soup.select_one("[data-testid=paying-fans]")["aria-pressed"] == "true"
    counts = [a.select_one(".toggle-count").get_text(strip=True) for a in table.soup.select(".role-toggles a")]
    assert counts == ["2", "1", "2"]
    tokens = sort_index(client, "followers", "Tokens")
    assert page(client, f"/users/followers/?flt0_paying_fans_only=yes&sort={tokens}").usernames == ["carol", "bob"]
    assert page(client, "/users/followers/?flt0_paying_fans_only=yes&search=car").usernames == ["carol"]
    assert page(client, "/users/followers/?flt0_paying_fans_only=yes&flt1_show_is=models").usernames == ["carol"]
    for i in range(26):  # values written directly: only the order matters here
        profile = {"follower": True, "follower_since": NOW - timedelta(days=3)}
        make_person(f"pay{i:02d}", "VIEWER", tipped_tokens=100 + i, tips_count=1, profile=profile)
    paged = page(client, f"/users/followers/?flt0_paying_fans_only=yes&sort={tokens}&desc=1&page_size=25&page=1")
    assert paged.usernames == ["pay01", "pay00", "carol"]


def test_paying_fans_switch_links_keep_the_other_filters(client, login_as, valued):
    login_as("viewer")
    soup = page(client, "/users/followers/?search=o&flt0_show_is=viewers").soup
    link = soup.select_one("[data-testid=paying-fans]")
    assert link["aria-pressed"] == "false"
    href = link["href"]
    assert "paying_fans_only=yes" in href and "search=o" in href and "show_is=viewers" in href
    assert page(client, href).usernames == ["bob", "carol"]
    off = page(client, href).soup.select_one("[data-testid=paying-fans]")["href"]
    assert "paying_fans_only" not in off and "search=o" in off


def test_paying_fans_batch_action_reaches_all_matching(client, auth, login_as, valued):
    login_as("admin")
    confirm = post_action(client, auth, "followers", "add_p2", select_all="1", list_args="flt0_paying_fans_only=yes")
    soup = BeautifulSoup(confirm.get_data(as_text=True), "html.parser")
    assert soup.select_one("[data-testid=confirm-count]").get_text(" ", strip=True) == "2 persons match this filter."


@pytest.mark.parametrize(("window", "expected"), [(7, 5000), (30, 5000), (90, 5000), (None, 5000)])
def test_tokens_from_fans_who_left(valued, window, expected):
    """dave (5,000) and erin (none) left; hank's 300 is left out: excluded persons count in no aggregate."""
    assert insights.unfollower_tokens(db.session, utcnow(), window) == expected


def test_tokens_from_fans_who_left_follows_the_window(valued):
    valued["dave"].profile.unfollower_at = NOW - timedelta(days=40)
    db.session.commit()
    assert insights.unfollower_tokens(db.session, utcnow(), 30) == 0
    assert insights.unfollower_tokens(db.session, utcnow(), 90) == 5000
    with pytest.raises(ValueError):
        insights.unfollower_tokens(db.session, utcnow(), 14)


@pytest.mark.parametrize(("query", "expected"), [("", "5,000"), ("?flt0_window_last=7", "5,000")])
def test_unfollowed_insight_is_shown(client, login_as, valued, query, expected):
    login_as("viewer")
    soup = page(client, f"/users/unfollowed/{query}").soup
    assert soup.select_one("[data-testid=tokens-lost]").get_text(strip=True) == expected


def test_profile_header_shows_value(client, login_as, valued):
    valued["bob"].profile.display_name = "<b>Bob</b>"
    db.session.commit()
    login_as("viewer")
    html = client.get("/profile/bob").get_data(as_text=True)
    assert "<b>Bob</b>" not in html
    last = (NOW - timedelta(days=2)).strftime("%Y-%m-%d %H:%M")
    first = (NOW - timedelta(days=10)).strftime("%Y-%m-%d %H:%M")
    assert _fan_value(html) == f"Tipped 1,500 tokens in 3 tips, last on {last}. First seen in your room: {first}."
    frank = client.get("/profile/frank").get_data(as_text=True)
    assert _fan_value(frank) == "No tips in your room yet. First seen in your room: –."


def _fan_value(html: str) -> str:
    """The Profile header's fan-value line as read on screen (white space collapsed)."""
    box = BeautifulSoup(html, "html.parser").select_one("[data-testid=fan-value]")
    return " ".join(box.get_text("", strip=False).split())
