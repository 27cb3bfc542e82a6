"""Every Users list page runs a fixed number of SQL statements, whatever its size: counts, one id query, one
row query (plus the Unfollowed insights), never one per row."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import event

from mhc.extensions import db
from mhc.models import utcnow
from mhc.services.follows import insights, unfollowers
from tests.factories import make_person
from tests.services.users.conftest import NOW

# The list's own statements: counts (PostgreSQL: EXPLAIN + one capped count; SQLite: one count), ids, rows,
# and the signed-in user's saved views (the views bar).
LIST_STATEMENTS = {"postgresql": 5, "sqlite": 4}

PAGES = [
    "/users/directory/",
    "/users/directory/?search=a",
    "/users/directory/?flt0_show_is=models&flt1_tag_is=feet",
    "/users/directory/?flt0_age_between=18-50&sort=2&desc=1",
    "/users/directory/?page=1&page_size=25",
    "/users/following/",
    "/users/followers/?flt0_show_is=viewers",
    "/users/unfollowed/",
    "/users/unfollowed/?flt0_window_last=30",
]


def _statements(run) -> list[str]:
    """The SQL `run()` sends, minus loading the logged-in system user."""
    statements = []

    def listener(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        run()
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    return [s for s in statements if "system_" not in s.split("WHERE")[0]]


def _page_statements(client, url: str) -> int:
    def get():
        assert client.get(url).status_code == 200

    return len(_statements(get))


def _insight_statements(url: str) -> int:
    """What the Unfollowed insights cost on their own (another service's; counted, not fixed, here)."""
    if "unfollowed" not in url:
        return 0
    window = 30 if "window_last=30" in url else None

    def run():
        insights.unfollow_insights(db.session, utcnow(), window)
        insights.unfollower_tokens(db.session, utcnow(), window)
        unfollowers.unfollowers(db.session, utcnow())  # unfollows vs persons, 7 and 30 days

    # And the page's follow periods, one statement for its rows (the Periods column).
    return len(_statements(run)) + 1


def _sync_button_statements(url: str) -> int:
    """The Following and Followers lists' sync button asks once whether cookies are imported (disabled if not)."""
    return 1 if url.startswith(("/users/following/", "/users/followers/")) else 0


def _grow(n: int, prefix: str) -> None:
    for i in range(n):
        make_person(
            f"{prefix}{i:03d}",
            ("MODEL", "VIEWER", "BOTH")[i % 3],
            age=20 + i % 30,
            last_seen_at=NOW - timedelta(minutes=i),
            profile={
                "tags": ["feet"] if i % 2 else ["asian"],
                "following": i % 4 == 0,
                "follower": i % 5 == 0,
                "follower_since": NOW - timedelta(days=60),
                "unfollower_at": NOW - timedelta(days=i % 40) if i % 7 == 0 else None,
            },
        )


@pytest.mark.parametrize("url", PAGES)
def test_list_pages_run_a_fixed_number_of_statements(client, login_as, cast, url):
    _grow(30, "early")  # so the second page of 25 has rows too
    login_as("admin")
    client.get(url)  # warm-up: identity, roles, templates
    expected = LIST_STATEMENTS[db.engine.dialect.name] + _insight_statements(url) + _sync_button_statements(url)
    assert _page_statements(client, url) == expected
    _grow(80, "later")
    assert _page_statements(client, url) == expected
