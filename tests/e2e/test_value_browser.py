"""In Chromium: the fan value on the Users lists (docs/domain.md#fan-value): sort Unfollowed by tokens, the
"tokens from fans who left" insight, the Followers "Paying fans only" switch."""

from __future__ import annotations

from datetime import timedelta

import pytest

from mhc.extensions import db
from mhc.services.users import value
from tests.e2e.conftest import log_in
from tests.factories import make_interaction, make_person
from tests.services.users.conftest import NOW

pytestmark = pytest.mark.e2e
OWNER = "hudson"


def _usernames(page) -> list[str]:
    return [t.strip() for t in page.locator("table.model-list a.username").all_inner_texts()]


def _left(name: str, unfollowed_days_ago: int, tokens: list[int], *, follower: bool = False):
    profile = (
        {"follower": True, "follower_since": NOW - timedelta(days=60)}
        if follower
        else {"follower_since": NOW - timedelta(days=60), "unfollower_at": NOW - timedelta(days=unfollowed_days_ago)}
    )
    person = make_person(name, "VIEWER", last_seen_at=NOW - timedelta(days=1), profile=profile)
    for i, amount in enumerate(tokens):
        make_interaction(
            "tip", NOW - timedelta(days=50 - i), person=person, room=OWNER, from_username=name, amount=amount
        )
    return person


@pytest.fixture
def fans(app):
    _left("ann", 1, [])
    _left("ben", 2, [1000, 250])
    _left("cat", 3, [40])
    _left("dan", 20, [5])
    _left("eve", 0, [77], follower=True)
    _left("fay", 0, [], follower=True)
    value.recompute(db.session, OWNER)
    db.session.commit()


def test_sort_unfollowed_by_tokens(live_server, browser_page, make_user, fans):
    user, password = make_user("viewer")
    page = browser_page
    log_in(page, live_server, user.username, password)
    page.goto(f"{live_server}/users/unfollowed/")
    assert _usernames(page) == ["ann", "ben", "cat", "dan"]  # newest unfollow first
    assert page.locator("[data-testid=tokens-lost]").inner_text() == "1,295"
    page.click("th.col-tipped_tokens a")
    page.wait_for_url("**sort=**")
    page.click("th.col-tipped_tokens a")  # the first click sorts ascending, the second largest first
    page.wait_for_url("**desc=1**")
    assert _usernames(page) == ["ben", "cat", "dan", "ann"]
    cells = page.locator("table.model-list td.col-tipped_tokens").all_inner_texts()
    assert [c.strip() for c in cells] == ["1,250", "40", "5", "—"]
    page.click("[data-testid=window-7d]")
    page.wait_for_url("**flt0_window_last=7**")
    assert _usernames(page) == ["ben", "cat", "ann"]  # the sort stays with the window
    assert page.locator("[data-testid=tokens-lost]").inner_text() == "1,290"


def test_followers_paying_fans_only(live_server, browser_page, make_user, fans):
    user, password = make_user("viewer")
    page = browser_page
    log_in(page, live_server, user.username, password)
    page.goto(f"{live_server}/users/followers/")
    assert sorted(_usernames(page)) == ["eve", "fay"]
    page.click("[data-testid=paying-fans]")
    page.wait_for_url("**paying_fans_only=yes**")
    assert _usernames(page) == ["eve"]
    page.click("[data-testid=paying-fans]")
    page.wait_for_function("() => !location.search.includes('paying_fans_only')")
    page.wait_for_load_state()
    assert sorted(_usernames(page)) == ["eve", "fay"]
