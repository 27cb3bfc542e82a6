"""Follow-list parsers on pages built from the captured header markup (tests/fake_chaturbate/follow_pages.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from mhc.scraping.follow_completeness import check_total, count_tolerance
from mhc.scraping.parsers.follow_lists import parse_followed_cams_page, parse_followers_page
from tests.fake_chaturbate import follow_pages

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "chaturbate"
# Rooms in the captured header dropdown (followed online and "Recommended For You"): never list entries.
DROPDOWN_ROOMS = {"nick_howlenxx", "ghostdaddy9", "youandi___"}


def page(kind: str, names: list[str], number: int = 1, last: int = 1, **state) -> str:
    return follow_pages.render_list_page({**follow_pages.defaults(), **state}, kind, names, number, last)


def test_followed_page_reads_main_list_only():
    html = page("online", ["alice", "bob", "Carol_9"], number=2, last=3, follow_total=1346)
    assert DROPDOWN_ROOMS <= set(_all_data_rooms(html))  # the trap is really there
    got = parse_followed_cams_page(html, "hudson", "https://chaturbate.com/followed-cams/?page=2")
    assert got.ok, got.reason
    assert got.usernames == ["alice", "bob", "carol_9"]
    assert (got.page, got.last_page, got.has_next) == (2, 3, True)
    assert (got.online_count, got.following_total, got.logged_in_as) == (4, 1346, "hudson")


def test_followed_last_page_and_empty_page():
    got = parse_followed_cams_page(page("offline", ["zed"], number=3, last=3), "HUDSON")
    assert (got.ok, got.usernames, got.page, got.last_page, got.has_next) == (True, ["zed"], 3, 3, False)
    empty = parse_followed_cams_page(
        page("offline", [], number=1, last=1, follow_online=[], follow_offline=[]), "hudson"
    )
    assert (empty.ok, empty.usernames, empty.following_total) == (True, [], 0)


def test_followers_page():
    html = page("followers", ["viewer_1", "v2"], number=1, last=2)
    got = parse_followers_page(html, "hudson", "http://127.0.0.1:1/accounts/followers/?page=1")
    assert got.ok, got.reason
    assert got.usernames == ["viewer_1", "v2"]
    assert (got.page, got.last_page, got.has_next) == (1, 2, True)
    single = parse_followers_page(page("followers", ["only_one"]), "hudson")
    assert (single.usernames, single.page, single.last_page, single.has_next) == (["only_one"], 1, 1, False)


@pytest.mark.parametrize(
    ("html", "url", "reason"),
    [
        (follow_pages.LOGIN_PAGE, "https://chaturbate.com/auth/login/?next=/followed-cams/", "login page"),
        (follow_pages.HOME_PAGE, "https://chaturbate.com/?next=/followed-cams/", "home page"),
        (follow_pages.HOME_PAGE, None, "not logged in"),
        (follow_pages.CHALLENGE_PAGE, "https://chaturbate.com/followed-cams/", "Cloudflare"),
        (page("online", ["a"], follow_logged_in_as="someone_else"), None, "logged in as 'someone_else'"),
    ],
)
def test_not_the_owners_page(html, url, reason):
    for parse in (parse_followed_cams_page, parse_followers_page):
        got = parse(html, "hudson", url)
        assert not got.ok
        assert reason in got.reason
        assert got.usernames == []


def test_captured_room_page_has_no_main_list():
    """A logged-in room page: dozens of [data-room] cards in the header, hidden room lists, no followed list."""
    html = (FIXTURES / "cb-followed-online.html").read_text(encoding="utf-8")
    got = parse_followed_cams_page(html, "hudson_cage", "https://chaturbate.com/ghostdaddy9/")
    assert (got.ok, got.usernames, got.logged_in_as) == (False, [], "hudson_cage")
    assert got.reason == "no main room list on the page (not a followed-cams page?)"
    assert got.following_total == 1346
    followers = parse_followers_page(html, "hudson_cage")
    assert (followers.ok, followers.usernames) == (False, [])


def test_check_total():
    assert count_tolerance(1346, 2) == 13
    assert count_tolerance(50, 2) == 2
    assert check_total(1340, 1346, 13) is None
    assert check_total(1400, 1346, 13) is None
    assert check_total(1300, 1346, 13) == "found 1300 but expected 1346 (tolerance 13): the list is partial"
    assert check_total(0, None, 2) is None


def _all_data_rooms(html: str) -> list[str]:
    from selectolax.lexbor import LexborHTMLParser

    return [n.attributes["data-room"] for n in LexborHTMLParser(html).css("[data-room]")]
