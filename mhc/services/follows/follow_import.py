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
from mhc.scraping.follow_completeness import DirectionRead, read_problem
from mhc.scraping.parsers.follow_lists import FollowListPage, parse_followed_cams_page, parse_followers_page
from mhc.services.follows.direction import Direction
from mhc.services.follows.follow_ledger import normalise_names

PARSERS = {Direction.FOLLOWING: parse_followed_cams_page, Direction.FOLLOWER: parse_followers_page}
FOLLOWING_BASIS = 'the header "FOLLOWING (N/M)" on the saved pages'


@dataclass(frozen=True)
class ImportSettings:
    """What reading an import needs from the configuration: the owner, and the allowed count shortfall."""

    owner: str
    tolerance: int = 2


@dataclass
class ImportList:
    """The usernames read from every file, and why they cannot be applied (if they cannot)."""

    direction: Direction
    usernames: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    expected: int | None = None
    pages: int = 0

    @property
    def ok(self) -> bool:
        """True when the files form one complete list."""
        return not self.problems


@dataclass
class _SavedList:
    """Saved pages (and pasted names) as one list, in the shape the completeness check reads."""

    kind: str
    page_names: list[list[str]]


def read_import_files(
    files: list[tuple[str, str]],
    direction: Direction,
    settings: ImportSettings,
    yardstick: tuple[int | None, str | None] = (None, None),
) -> ImportList:
    """Read (filename, text) pairs as one complete list; `yardstick` is the follower count and its source."""
    out = ImportList(direction)
    pages: list[FollowListPage] = []
    names: list[str] = []  # in file order
    listed: list[str] = []  # from plain lists
    for filename, text in files:
        if _is_html(text):
            page = PARSERS[direction](text, settings.owner)
            if page.ok:
                pages.append(page)
                names.extend(page.usernames)
            else:
                out.problems.append(f"{filename}: {page.reason}")
            continue
        good, bad = normalise_names(line.split("#")[0] for line in text.splitlines() if line.split("#")[0].strip())
        if bad:
            out.problems.append(f"{filename}: {len(bad)} invalid username(s), e.g. {bad[0].strip()!r}")
        names.extend(good)
        listed.extend(good)
    out.usernames = list(dict.fromkeys(names))
    if pages:  # saved pages must prove the list complete; a plain list is the operator's word
        read = _saved_read(direction, pages, listed, yardstick)
        out.expected, out.pages = read.expected, len(pages)
        if problem := read_problem(read, settings.tolerance):
            out.problems.append(problem)
    if not files:
        out.problems.append("no files given")
    return out


def _saved_read(direction: Direction, pages: list[FollowListPage], listed: list[str], yardstick) -> DirectionRead:
    """Followed-cams pages carry their own count; followers pages are checked against the yardstick and
    must include every page 1..last (online and offline followed pages cannot be told apart, so their
    count is required instead)."""
    saved = [_SavedList(pages[0].kind, [list(p.usernames) for p in pages] + [listed])]
    if direction is Direction.FOLLOWING:
        totals = [p.following_total for p in pages if p.following_total is not None]
        return DirectionRead(saved, totals, max(totals, default=None), FOLLOWING_BASIS, count_required=True)
    count, basis = yardstick
    seen = {p.page for p in pages if p.page}
    last = max([p.last_page for p in pages if p.last_page] + [1])
    return DirectionRead(saved, [count], count, basis, pages_seen=seen, last_page=last)


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
