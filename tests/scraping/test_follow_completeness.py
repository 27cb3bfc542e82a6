"""The "is this list complete, did it hold still?" checks, on plain reads."""

from __future__ import annotations

import pytest

from mhc.scraping.follow_completeness import (
    DirectionRead,
    UntrustedReads,
    combine,
    movement,
    read_problem,
    second_read_reason,
)
from mhc.scraping.pages.follow_lists import ListRead


def read(*pages: list[str], counts=(), expected=None, kind="followers") -> DirectionRead:
    listed = ListRead(kind, page_names=[list(p) for p in pages])
    return DirectionRead([listed], list(counts), expected, "a test count")


STILL = read(["a", "b", "c"], ["d", "e", "f"], ["g"], counts=[7, 7], expected=7)

MOVES = [
    ("count", read(["a", "b"], ["c"], counts=[3, None, 4]), ["the count changed from 3 to 4 during the read"]),
    ("repeat", read(["a", "b"], ["b", "c"], ["d"]), ["followers: b on pages 1 and 2"]),
    ("short", read(["a", "b", "c"], ["d", "e"], ["f"]), ["followers page 2 of 3 has 2 names, page 1 had 3"]),
]


@pytest.mark.parametrize(("name", "moved", "signs"), MOVES, ids=[m[0] for m in MOVES])
def test_movement_signs(name, moved, signs):
    assert movement(moved) == signs
    assert second_read_reason(moved, 0) == f"the list moved during the read ({signs[0]})"


def test_a_still_list_is_read_again_only_when_someone_is_missing():
    assert movement(STILL) == []
    assert second_read_reason(STILL, 0) is None
    assert second_read_reason(STILL, 2) == "2 marked person(s) missing from the read"


def test_combine_is_the_union_unless_both_reads_moved():
    assert combine(STILL, read(["a", "x"], ["g"])) == ["a", "b", "c", "d", "e", "f", "g", "x"]
    with pytest.raises(UntrustedReads, match="the list moved during both reads"):
        combine(MOVES[1][1], MOVES[2][1])


def test_read_problems():
    assert read_problem(STILL, 2) is None
    short = read(["a", "b"], counts=[9], expected=9)
    assert read_problem(short, 2) == (
        "found 2 but expected 9 (tolerance 2): the list is partial; expected count from a test count"
    )
    assert read_problem(read([]), 2) == "the list is empty and no count is known to confirm it"


def test_saved_pages_are_held_to_the_same_check():
    """A manual import's pages: every page 1..last must be there, and a required count must be known."""
    pages = ListRead("followers", page_names=[["a", "b"], ["c"]])
    gaps = DirectionRead([pages], [None], None, "nothing", pages_seen={1, 3}, last_page=4)
    assert read_problem(gaps, 2) == "followers page(s) 2, 4 of 4 missing"
    whole = DirectionRead([pages], [3], 3, "a test count", pages_seen={1, 2}, last_page=2)
    assert read_problem(whole, 2) is None
    followed = ListRead("followed", page_names=[["a"]])
    uncounted = DirectionRead([followed], [], None, 'the header "X"', count_required=True)
    assert read_problem(uncounted, 2) == 'no count from the header "X": cannot tell the list is complete'
    short = DirectionRead([followed], [40], 40, 'the header "X"', count_required=True)
    assert read_problem(short, 2) == (
        'found 1 but expected 40 (tolerance 2): the list is partial; expected count from the header "X"'
    )
