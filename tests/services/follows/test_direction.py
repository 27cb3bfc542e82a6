"""Direction: parsed once at the edge; everything that differs by direction read from it."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup

from mhc.services.follows.direction import Direction

SPELLINGS = [("following", Direction.FOLLOWING), ("followers", Direction.FOLLOWER), ("follower", Direction.FOLLOWER)]


@pytest.mark.parametrize(("value", "direction"), SPELLINGS)
def test_parse_accepts_the_screen_and_the_stored_spellings(value, direction):
    assert Direction.parse(value) is direction
    assert Direction.parse(direction) is direction


@pytest.mark.parametrize("value", ["", None, "Following", " followers", "follows", "FOLLOWER"])
def test_parse_refuses_anything_else(value):
    with pytest.raises(ValueError) as raised:
        Direction.parse(value)
    assert str(raised.value) == f"direction must be following or followers, not {value!r}"


def test_what_differs_by_direction():
    rows = [
        (d.value, d.label, d.title, d.description, d.page_kinds, d.role, d.columns.flag, d.columns.checked)
        for d in Direction
    ]
    assert rows == [
        (
            "following",
            "following",
            "Following",
            "whom the owner follows",
            ("online", "offline"),
            "MODEL",
            "following",
            "following_checked_at",
        ),
        (
            "follower",
            "followers",
            "Followers",
            "who follows the owner",
            ("followers",),
            "VIEWER",
            "follower",
            "follower_checked_at",
        ),
    ]


def test_the_follow_lists_page_spells_directions_as_before(client, login_as):
    login_as("admin")
    soup = BeautifulSoup(client.get("/follow-lists/").get_data(as_text=True), "html.parser")
    buttons = [(b["data-testid"], b.get_text()) for b in soup.select("button[data-testid^=sync-]")]
    assert buttons == [("sync-following", "Update Following List"), ("sync-followers", "Update Followers List")]
    options = [(o["value"], o.get_text()) for o in soup.select("select#direction option")]
    assert options == [
        ("following", "Following (whom the owner follows)"),
        ("followers", "Followers (who follows the owner)"),
    ]
