"""Page objects for the owner's follow lists: walk `?page=N` from 1 until the pager ends, checking the
login after every navigation. Any doubt raises FollowScrapeError with the reason: a partial list must
never reach the ledger. Selectors live in parsers/follow_lists.py."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from mhc.scraping.browser import pause
from mhc.scraping.follow_completeness import page_problem
from mhc.scraping.parsers.follow_lists import (
    CHALLENGE_TITLE,
    FollowListPage,
    parse_followed_cams_page,
    parse_followers_page,
)

PATHS = {"online": "/followed-cams/", "offline": "/followed-cams/offline/", "followers": "/accounts/followers/"}
PARSERS = {"online": parse_followed_cams_page, "offline": parse_followed_cams_page, "followers": parse_followers_page}
MAX_PAGES = 500  # 1,300+ follows is realistic; this bounds a pager that never ends


class FollowScrapeError(RuntimeError):
    """The list could not be read completely as the owner; nothing may be applied."""


@dataclass
class ListRead:
    """One list read completely: usernames in page order (and page by page), pages read, the header's
    "(N/M)" M of every page in order, and the header counts of the last page."""

    kind: str
    usernames: list[str] = field(default_factory=list)
    page_names: list[list[str]] = field(default_factory=list)
    totals: list[int | None] = field(default_factory=list)
    pages: int = 0
    following_total: int | None = None
    online_count: int | None = None


@dataclass
class FollowListPages:
    """Reads the owner's lists with one Playwright page; `progress(pages_read, persons_found, text, fraction)`
    where fraction is how far through the current list (0..1) the reader is."""

    page: object
    base_url: str
    owner: str
    page_delay: tuple[float, float] = (3.0, 5.0)
    challenge_wait_s: float = 15.0
    progress: Callable[[int, int, str, float], None] | None = None
    pages_read: int = 0
    persons_found: int = 0

    def read(self, kind: str) -> ListRead:
        """Every page of one list ("online", "offline", "followers"), or FollowScrapeError."""
        result = ListRead(kind)
        number, last = 1, 1
        while number <= last:
            if number > MAX_PAGES:
                raise FollowScrapeError(f"{kind}: more than {MAX_PAGES} pages; the pager does not end")
            if self.pages_read:
                pause(self.page_delay)
            parsed = self._open(kind, number)
            if problem := page_problem(kind, number, last, parsed):
                raise FollowScrapeError(problem)
            last = parsed.last_page or 1
            result.usernames.extend(parsed.usernames)
            result.page_names.append(list(parsed.usernames))
            result.totals.append(parsed.following_total)
            result.pages += 1
            result.following_total, result.online_count = parsed.following_total, parsed.online_count
            self.pages_read += 1
            self.persons_found += len(parsed.usernames)
            if self.progress:
                self.progress(self.pages_read, self.persons_found, f"{kind}: page {number} of {last}", number / last)
            number += 1
        return result

    def url(self, kind: str, number: int) -> str:
        """The URL of page `number` of a list."""
        return f"{self.base_url.rstrip('/')}{PATHS[kind]}?page={number}"

    def _open(self, kind: str, number: int) -> FollowListPage:
        """Navigate, survive one Cloudflare challenge, refuse HTTP errors; parse with the login check."""
        url = self.url(kind, number)
        try:
            response = self.page.goto(url, wait_until="load")
        except Exception as exc:  # Playwright timeout or network error: the list is not complete
            raise FollowScrapeError(f"{kind} page {number} failed to load: {_one_line(exc)}") from exc
        if self._challenged():
            self.page.wait_for_timeout(self.challenge_wait_s * 1000)
            if self._challenged():
                raise FollowScrapeError(f"{kind} page {number}: Cloudflare challenge (Just a moment) did not clear")
        if response is not None and response.status >= 400:
            raise FollowScrapeError(f"{kind} page {number} answered HTTP {response.status}")
        parsed = PARSERS[kind](self.page.content(), self.owner, self.page.url)
        if not parsed.ok:
            raise FollowScrapeError(f"{kind} page {number}: {parsed.reason}")
        return parsed

    def _challenged(self) -> bool:
        return CHALLENGE_TITLE in (self.page.title() or "").lower()


def _one_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [exc.__class__.__name__])[0]
