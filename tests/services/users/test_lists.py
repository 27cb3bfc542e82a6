"""Each Users tab shows exactly the right persons, with the seed's columns in order, toggles and windows."""

from __future__ import annotations

import pytest
from sqlalchemy import event

from mhc.extensions import db
from tests.factories import make_person
from tests.services.users.conftest import NOW, read_table

VALUE = ["Tokens", "Tips", "Last Tip", "First in Room"]
DIRECTORY_COLUMNS = [
    "Username", "Image", "Age", "Role", "Tags", "Priority", "Followers", "Rank", "Events", "Snapshots",
    "Last Seen", *VALUE, "Actions",
]  # fmt: skip
FOLLOWING_COLUMNS = [
    "Username", "Image", "Age", "Role", "Tags", "Followers", "Rank", "Following Since", "Last Seen", *VALUE, "Actions",
]  # fmt: skip
FOLLOWERS_COLUMNS = ["Username", "Image", "Age", "Role", "Tags", "Following Since", "Last Seen", *VALUE, "Actions"]
UNFOLLOWED_COLUMNS = [
    "Username", "Image", "Age", "Role", "Followed On", "Unfollowed On", "Days Followed", "Periods", "Last Seen",
    *VALUE, "Actions",
]  # fmt: skip


def page(client, url: str):
    response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return read_table(response.get_data(as_text=True))


@pytest.mark.parametrize(
    ("url", "columns", "expected"),
    [
        # default order: last seen, newest first, never-seen last
        ("/users/directory/", DIRECTORY_COLUMNS, ["alice", "bob", "carol", "dave", "frank", "erin"]),
        ("/users/following/", FOLLOWING_COLUMNS, ["alice"]),
        # default order: following since, newest first
        ("/users/followers/", FOLLOWERS_COLUMNS, ["bob", "carol"]),
        # default order: unfollowed on, newest first
        ("/users/unfollowed/", UNFOLLOWED_COLUMNS, ["dave", "erin"]),
    ],
)
def test_tab_shows_exactly_its_persons_with_columns_in_order(client, login_as, cast, url, columns, expected):
    login_as("viewer")
    table = page(client, url)
    assert table.headers == columns
    assert table.usernames == expected


def test_directory_cells(client, login_as, cast):
    login_as("viewer")
    rows = {r["Username"]: r for r in page(client, "/users/directory/").rows}
    assert rows["alice"]["Age"] == "24"
    assert rows["alice"]["Role"] == "Model"
    assert rows["alice"]["Tags"] == "feet latina"
    assert rows["alice"]["Followers"] == "5,000"
    assert rows["alice"]["Rank"] == "3"
    assert rows["bob"]["Events"] == "7"
    assert rows["carol"]["Snapshots"] == "4"
    assert rows["carol"]["Role"] == "Both"
    assert rows["erin"]["Last Seen"] == ""
    assert rows["alice"]["Last Seen"] == (NOW.replace(second=0) - __import__("datetime").timedelta(hours=1)).strftime(
        "%Y-%m-%d %H:%M"
    )


@pytest.mark.parametrize(
    ("toggle", "expected"),
    [
        ("", ["alice", "bob", "carol", "dave", "frank", "erin"]),
        ("models", ["alice", "carol", "dave", "frank"]),
        ("viewers", ["bob", "carol", "erin"]),
    ],
)
def test_directory_role_toggle(client, login_as, cast, toggle, expected):
    login_as("viewer")
    url = "/users/directory/" + (f"?flt0_show_is={toggle}" if toggle else "")
    table = page(client, url)
    assert table.usernames == expected
    counts = {
        a["data-testid"]: a.select_one(".toggle-count").get_text(strip=True)
        for a in table.soup.select(".role-toggles a")
    }
    assert counts == {"toggle-all": "6", "toggle-models": "4", "toggle-viewers": "3"}
    active = table.soup.select_one(".role-toggles a.active")["data-testid"]
    assert active == f"toggle-{toggle or 'all'}"


def test_followers_toggle(client, login_as, cast):
    login_as("viewer")
    assert page(client, "/users/followers/?flt0_show_is=models").usernames == ["carol"]
    table = page(client, "/users/followers/?flt0_show_is=viewers")
    assert table.usernames == ["bob", "carol"]
    counts = [a.select_one(".toggle-count").get_text(strip=True) for a in table.soup.select(".role-toggles a")]
    assert counts == ["2", "1", "2"]


@pytest.mark.parametrize(
    ("window", "expected"),
    [("7", ["dave"]), ("30", ["dave"]), ("90", ["dave", "erin"]), ("", ["dave", "erin"])],
)
def test_unfollowed_window(client, login_as, cast, window, expected):
    login_as("viewer")
    url = "/users/unfollowed/" + (f"?flt0_window_last={window}" if window else "")
    table = page(client, url)
    assert table.usernames == expected
    labels = [a.get_text(strip=True) for a in table.soup.select(".window-toggles a")]
    assert labels == ["7d", "30d", "90d", "all"]


def test_unfollowed_days_followed(client, login_as, cast):
    login_as("viewer")
    rows = {r["Username"]: r for r in page(client, "/users/unfollowed/").rows}
    assert rows["dave"]["Days Followed"] == "17"
    assert rows["erin"]["Days Followed"] == "60"
    assert rows["dave"]["Followed On"] == (cast["dave"].profile.follower_since).strftime("%Y-%m-%d %H:%M")


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("search=ar", ["carol"]),
        ("search=%5Eda", ["dave"]),  # ^da: prefix
        ("search=%3Dbob", ["bob"]),  # =bob: exact
        ("search=A", ["alice", "carol", "dave", "frank"]),  # case-insensitive substring
        ("flt0_age_between=20-35", ["alice", "carol"]),
        ("flt0_age_between=35-", ["dave"]),
        ("flt0_tag_is=feet", ["alice", "carol"]),
        ("flt0_tag_is=%23Latina", ["alice"]),
        ("flt0_tag_is=feet&flt1_show_is=viewers", ["carol"]),
        ("sort=0", ["alice", "bob", "carol", "dave", "erin", "frank"]),  # username
        ("sort=0&desc=1", ["frank", "erin", "dave", "carol", "bob", "alice"]),
    ],
)
def test_directory_search_filters_and_sorts(client, login_as, cast, query, expected):
    login_as("viewer")
    assert page(client, f"/users/directory/?{query}").usernames == expected


def test_directory_excluded_filter(client, login_as, cast):
    """Admins review the noise accounts they flagged: Excluded is yes / no."""
    cast["bob"].is_excluded = True
    db.session.commit()
    login_as("viewer")
    assert page(client, "/users/directory/?flt0_excluded_is=yes").usernames == ["bob"]
    assert "bob" not in page(client, "/users/directory/?flt0_excluded_is=no").usernames
    assert len(page(client, "/users/directory/?flt0_excluded_is=no").usernames) == len(cast) - 1


@pytest.mark.parametrize(
    ("query", "known", "unknown"),
    [
        ("sort=2", ["frank", "alice", "carol", "dave"], {"bob", "erin"}),  # age ascending, unknown last
        ("sort=2&desc=1", ["dave", "carol", "alice", "frank"], {"bob", "erin"}),  # age descending, unknown last
        ("sort=6&desc=1", ["dave", "alice", "carol"], {"bob", "erin", "frank"}),  # followers
        ("sort=6", ["carol", "alice", "dave"], {"bob", "erin", "frank"}),
        ("sort=7", ["alice"], {"bob", "carol", "dave", "erin", "frank"}),  # rank
        ("sort=10", ["frank", "dave", "carol", "bob", "alice"], {"erin"}),  # last seen ascending
    ],
)
def test_directory_sorts_put_unknown_values_last(client, login_as, cast, query, known, unknown):
    login_as("viewer")
    names = page(client, f"/users/directory/?{query}").usernames
    assert names[: len(known)] == known
    assert set(names[len(known) :]) == unknown


def test_paging_keeps_order_and_count(client, login_as, cast):
    login_as("viewer")
    first = page(client, "/users/directory/?page_size=25")
    assert len(first.rows) == 6
    for i in range(60):
        make_person(f"zz{i:02d}", "VIEWER", last_seen_at=NOW - __import__("datetime").timedelta(days=60, minutes=i))
    p1 = page(client, "/users/directory/?page_size=25")
    p3 = page(client, "/users/directory/?page_size=25&page=2")
    assert p1.usernames[:5] == ["alice", "bob", "carol", "dave", "frank"]
    assert p3.usernames == [f"zz{i:02d}" for i in range(45, 60)] + ["erin"]
    assert p1.soup.select_one("[data-testid=list-count]").get_text(strip=True) == "66 persons"


def test_directory_issues_a_fixed_number_of_queries(client, login_as, cast):
    login_as("viewer")
    client.get("/users/directory/")  # warm caches (identity, roles)

    def count_queries(url):
        statements = []
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            assert client.get(url).status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        # the logged-in user reloads after a test-side commit: count only the page's own queries
        return len([s for s in statements if "system_" not in s.split("WHERE")[0]])

    small = count_queries("/users/directory/")
    for i in range(40):
        make_person(f"many{i}", "MODEL", age=20 + i % 10, profile={"tags": ["x"], "follower": True})
    assert count_queries("/users/directory/") == small
    assert count_queries("/users/followers/") == count_queries("/users/followers/?flt0_show_is=models")
