"""Manual import: turn uploaded saved list pages or pasted username lists into one complete list.

All files together form one list. Saved pages go through the same parsers as the scrape (login check
as the owner, main list only) and must prove completeness: followed-cams pages against the header's
"(N/M)" M, followers pages must include every page 1..last and match the owner's follower count when one
is known. A plain list of usernames is taken as the operator's complete list. Any problem rejects the
whole import: nothing is applied from a partial list.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mhc.models import Person, Profile
from mhc.models.owner import OwnerStatsSample
from mhc.scraping.follow_completeness import check_total, count_tolerance
from mhc.scraping.parsers.follow_lists import parse_followed_cams_page, parse_followers_page
from mhc.services.follows.follow_ledger import normalise_names


@dataclass
class ImportList:
    """The usernames read from every file, and why they cannot be applied (if they cannot)."""

    direction: str
    usernames: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    expected: int | None = None
    pages: int = 0

    @property
    def ok(self) -> bool:
        """True when the files form one complete list."""
        return not self.problems


def read_import_files(
    files: list[tuple[str, str]], direction: str, owner: str, tolerance: int = 2, yardstick: int | None = None
) -> ImportList:
    """Read (filename, text) pairs as one complete list for `direction` ("following" or "follower")."""
    out = ImportList(direction)
    names, pages_seen, last_pages, totals = [], set(), set(), []
    for filename, text in files:
        if _is_html(text):
            parse = parse_followed_cams_page if direction == "following" else parse_followers_page
            page = parse(text, owner)
            if not page.ok:
                out.problems.append(f"{filename}: {page.reason}")
                continue
            out.pages += 1
            names.extend(page.usernames)
            pages_seen.add(page.page)
            last_pages.add(page.last_page)
            if page.following_total is not None:
                totals.append(page.following_total)
        else:
            listed, bad = normalise_names(
                line.split("#")[0] for line in text.splitlines() if line.split("#")[0].strip()
            )
            if bad:
                out.problems.append(f"{filename}: {len(bad)} invalid username(s), e.g. {bad[0].strip()!r}")
            names.extend(listed)
    out.usernames = list(dict.fromkeys(names))
    if out.pages:
        _check_pages(out, direction, pages_seen, last_pages, totals, tolerance, yardstick)
    if not files:
        out.problems.append("no files given")
    return out


def _check_pages(out: ImportList, direction, pages_seen, last_pages, totals, tolerance, yardstick) -> None:
    if direction == "following":
        out.expected = max(totals) if totals else None
        if out.expected is None:
            out.problems.append('no "FOLLOWING (N/M)" count on the saved pages: cannot tell the list is complete')
    else:
        last = max(p for p in last_pages if p) if any(last_pages) else 1
        missing = sorted(set(range(1, last + 1)) - pages_seen)
        if missing:
            out.problems.append(f"followers page(s) {', '.join(map(str, missing))} of {last} missing")
        out.expected = yardstick
    problem = check_total(len(out.usernames), out.expected, count_tolerance(out.expected, tolerance))
    if problem:
        out.problems.append(problem)


def _is_html(text: str) -> bool:
    head = text.lstrip()[:2000].lower()
    return head.startswith("<") or "<html" in head or "<body" in head


def follower_yardstick(session: Session, owner: str) -> tuple[int | None, str | None]:
    """(the owner's follower count, where it came from): newest Stats API reading, else the owner's profile."""
    stmt = (
        select(OwnerStatsSample.num_followers, OwnerStatsSample.observed_at)
        .where(OwnerStatsSample.num_followers.is_not(None))
        .order_by(OwnerStatsSample.observed_at.desc())
        .limit(1)
    )
    row = session.execute(stmt).first()
    if row:
        return row[0], f"Stats API num_followers ({row[1]:%Y-%m-%d %H:%M} UTC)"
    stmt = (
        select(func.coalesce(Profile.follower_count, Person.num_followers))
        .select_from(Person)
        .outerjoin(Profile, Profile.person_id == Person.id)
        .where(Person.username == owner)
    )
    value = session.scalar(stmt)
    if value is not None:
        return value, "the owner's profile Followers: value"
    return None, None
