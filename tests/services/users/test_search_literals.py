"""Searching text that means something to SQL or to LIKE finds exactly the usernames containing that text."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

import pytest

from tests.factories import make_person
from tests.services.users.conftest import NOW, read_table

# Usernames are [a-z0-9_]: only "_" (a LIKE wildcard) can really appear in them; the other terms must find
# nothing rather than everything, an error or a 500.
NAMES = ["alpha_one", "_lead", "x_y", "plainx", "xy", "beta", "zz9"]
TERMS = [":x", "x :y", "%", "_", "'", '"', "\\", "%%", "x", "_o", "a%", "x\\_y", "%_%", "' or '1'='1", ":x:"]
TABS = ["directory", "following", "followers", "unfollowed"]


@pytest.fixture
def literal_cast(app):
    """Every name in every tab: following, follower and unfollowed once before."""
    for i, name in enumerate(NAMES):
        make_person(
            name,
            last_seen_at=NOW - timedelta(hours=i),
            profile={
                "following": True,
                "following_since": NOW - timedelta(days=10 + i),
                "follower": True,
                "follower_since": NOW - timedelta(days=20 + i),
                "unfollower_at": NOW - timedelta(days=2 + i),
            },
        )


def containing(term: str) -> list[str]:
    """The seeded usernames that contain the term as literal text (as the search box strips and lowercases)."""
    return sorted(n for n in NAMES if term.strip().lower() in n)


@pytest.mark.parametrize("tab", TABS)
@pytest.mark.parametrize("term", TERMS)
def test_search_box_matches_the_literal_text(client, login_as, literal_cast, tab, term):
    login_as("viewer")
    response = client.get(f"/users/{tab}/?" + urlencode({"search": term}))
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    table = read_table(response.get_data(as_text=True))
    assert sorted(table.usernames) == containing(term)
    counts = {
        a["data-testid"]: a.select_one(".toggle-count").get_text(strip=True)
        for a in table.soup.select(".role-toggles a")
    }
    if tab in ("directory", "followers"):  # the tabs with All | Models | Viewers counts
        assert counts["toggle-all"] == str(len(containing(term)))


def test_underscore_is_not_a_wildcard(client, login_as, literal_cast):
    login_as("viewer")
    table = read_table(client.get("/users/directory/?search=_").get_data(as_text=True))
    assert sorted(table.usernames) == ["_lead", "alpha_one", "x_y"]


@pytest.mark.parametrize(("term", "expected"), [("^_", ["_lead"]), ("^x_", ["x_y"]), ("=x_y", ["x_y"]), ("=%", [])])
def test_prefix_and_exact_searches_are_literal_too(client, login_as, literal_cast, term, expected):
    login_as("viewer")
    response = client.get("/users/directory/?" + urlencode({"search": term}))
    assert response.status_code == 200
    assert sorted(read_table(response.get_data(as_text=True)).usernames) == expected


@pytest.mark.parametrize("term", TERMS)
def test_profile_autocomplete_matches_the_literal_text(client, login_as, literal_cast, term):
    login_as("viewer")
    response = client.get("/profile/autocomplete.json?" + urlencode({"q": term}))
    assert response.status_code == 200
    assert sorted(response.get_json()) == containing(term)
