"""Is this follow list complete, and did it hold still while it was read? Every such check lives here.

Pure: plain data in, a reason (or None) out; imports nothing from the app. `page_problem` judges one page
as the browser reads it; `read_problem` judges a whole read, for the follow sync (one or two browser reads)
and the manual import (saved pages) alike. The rules are explained in docs/reliability.md, "Follow lists:
removals must be proven".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol


class PageLike(Protocol):
    """What the checks read from one parsed list page."""

    usernames: list[str]
    page: int | None
    last_page: int | None


class ListReadLike(Protocol):
    """What the checks read from one list read page by page."""

    kind: str
    page_names: list[list[str]]


@dataclass
class DirectionRead:
    """One complete read of a direction (following: the online then the offline list; followers: one list),
    every count seen along the way in order, and the count the total is checked against.

    Saved pages (a manual import) may come in any order or not at all: `pages_seen` and `last_page` let the
    check name the missing ones, and `count_required` says the read has no later read to wait for (no
    pending), so without its count nothing proves it complete."""

    lists: list = field(default_factory=list)  # ListReadLike, in the order read
    counts: list[int | None] = field(default_factory=list)
    expected: int | None = None
    basis: str | None = None
    pages_seen: set[int] = field(default_factory=set)
    last_page: int | None = None
    count_required: bool = False

    @property
    def names(self) -> list[str]:
        """Distinct usernames in reading order (a room can move from one list to the other mid-read)."""
        return list(dict.fromkeys(n for read in self.lists for page in read.page_names for n in page))

    @property
    def pages(self) -> int:
        """Pages read."""
        return sum(len(read.page_names) for read in self.lists)


def page_problem(kind: str, number: int, last: int, parsed: PageLike) -> str | None:
    """Why page `number` (of `last` so far) cannot be part of a complete read, or None."""
    if parsed.page != number:
        return f"{kind}: asked for page {number}, the pager says page {parsed.page}"
    if parsed.last_page is not None and parsed.last_page < last:
        return f"{kind} page {number}: the pager shrank from {last} to {parsed.last_page} pages"
    if not parsed.usernames and (number > 1 or (parsed.last_page or 1) > 1):
        return f"{kind} page {number} of {max(last, parsed.last_page or 1)} came back empty"
    return None


def check_total(found: int, expected: int | None, tolerance: int) -> str | None:
    """None when `found` is within `tolerance` of the expected count (or above it), else the reason."""
    if expected is None:
        return None
    if found + tolerance < expected:
        return f"found {found} but expected {expected} (tolerance {tolerance}): the list is partial"
    return None


def count_tolerance(expected: int | None, absolute: int) -> int:
    """Allowed shortfall: `absolute` persons or 1 % of the expected count, whichever is larger."""
    return max(absolute, (expected or 0) // 100)


def read_problem(read: DirectionRead, absolute_tolerance: int) -> str | None:
    """Why a whole read cannot be applied as one complete list, or None: pages missing, no count where one
    is required, short of its count, or empty with no count to confirm it. The one completeness check."""
    problems, names = [], read.names
    if missing := sorted(set(range(1, (read.last_page or 0) + 1)) - read.pages_seen):
        kind = read.lists[0].kind if read.lists else "list"
        problems.append(f"{kind} page(s) {', '.join(map(str, missing))} of {read.last_page} missing")
    if read.count_required and read.expected is None:
        problems.append(f"no count from {read.basis}: cannot tell the list is complete")
    if problem := check_total(len(names), read.expected, count_tolerance(read.expected, absolute_tolerance)):
        problems.append(f"{problem}; expected count from {read.basis}")
    elif not names and read.expected is None:
        problems.append("the list is empty and no count is known to confirm it")
    return "; ".join(problems) or None


def movement(read: DirectionRead) -> list[str]:
    """Signs that the list moved while it was read: a count changed, a name repeated across a page
    boundary, or a page before the last came back shorter than the first. Empty when none."""
    signs = []
    counts = [c for c in read.counts if c is not None]
    if counts and min(counts) != max(counts):
        signs.append(f"the count changed from {counts[0]} to {counts[-1]} during the read")
    for listed in read.lists:
        signs.extend(_page_signs(listed.kind, listed.page_names))
    return signs


def _page_signs(kind: str, pages: Sequence[list[str]]) -> list[str]:
    signs, seen = [], {}
    for number, names in enumerate(pages, start=1):
        for name in names:
            if name in seen and seen[name] != number:
                signs.append(f"{kind}: {name} on pages {seen[name]} and {number}")
            seen.setdefault(name, number)
        if 1 < number < len(pages) and len(names) < len(pages[0]):
            signs.append(f"{kind} page {number} of {len(pages)} has {len(names)} names, page 1 had {len(pages[0])}")
    return signs


def second_read_reason(first: DirectionRead, missing: int) -> str | None:
    """Why the list must be read a second time before anything is applied, or None."""
    signs = movement(first)
    if signs:
        return "the list moved during the read (" + "; ".join(signs[:3]) + ")"
    if missing:
        return f"{missing} marked person(s) missing from the read"
    return None


def combine(first: DirectionRead, second: DirectionRead) -> list[str]:
    """The names to apply after two complete reads: present if either read saw them. Raises
    UntrustedReads when both reads moved, since then both may have skipped the same person."""
    if movement(first) and movement(second):
        raise UntrustedReads(
            "the list moved during both reads (" + "; ".join(movement(second)[:3]) + "): nothing was changed"
        )
    return list(dict.fromkeys(first.names + second.names))


class UntrustedReads(ValueError):
    """Two reads disagree in a way that cannot be trusted; nothing may be applied."""
