"""Parse the owner's follow-list pages: followed cams (online / offline) and followers.

Pure: HTML in, dataclass out; imports nothing from the app. Every logged-in page carries the header's
"FOLLOWING" dropdown with followed and "Recommended For You" room cards (`[data-room]`), so only the
page's main list is read (docs/domain.md#logged-in-check). A page that is not provably the owner's,
logged in and complete enough to read returns ok=False with a reason; it never returns an empty list by
accident (docs/domain.md#never-invent-unfollows). No captured list page exists: every selector for these
pages is here, in one place; what they select is in docs/domain.md#followed-cams-pages and
docs/domain.md#followers-page.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode

# Login check (every logged-in page).
SEL_HEADER = "#user_information_header"
SEL_HEADER_USERNAME = '#user_information_header span.user_information_header_username[data-testid="username"]'
SEL_LOGOUT = 'a[data-testid="logout-link"][href="/auth/logout/"]'
SEL_FOLLOWED_COUNTS = 'a#followed_anchor[data-testid="following-tab"] span.followed_counts'
# Followed cams: the main room list and its pager.
SEL_ROOM_LIST = '[data-testid="room-list-container"]'
SEL_ROOM_CARD = "ul.list > li.room_list_room"
SEL_PAGER = "ul.paging"
SEL_PAGE_NUMBER = 'a[data-testid="page-number-button"]'
SEL_ACTIVE_PAGE = "li.page_number_container.active"
SEL_NEXT = 'a[data-testid="next-button"]'
# Followers: entries are links with an empty data-room (the header's cards carry the room name).
SEL_FOLLOWER_LINK = 'a[data-room=""][href]'

COUNTS_RE = re.compile(r"\(\s*(\d+)\s*/\s*(\d+)\s*\)")
USER_PATH_RE = re.compile(r"^/([A-Za-z0-9_]+)/?$")
HIDDEN_RE = re.compile(r"display\s*:\s*none", re.I)
CHALLENGE_TITLE = "just a moment"
LOGIN_PATH = "/auth/login/"


@dataclass
class FollowListPage:
    """One list page: usernames of the main list, pager position, header counts, who is logged in."""

    ok: bool
    kind: str  # "followed" | "followers"
    reason: str | None = None
    usernames: list[str] = field(default_factory=list)
    page: int | None = None  # current page (1-based) per the pager; None without a pager
    last_page: int | None = None  # highest page number the pager shows
    has_next: bool = False
    online_count: int | None = None  # header "(N/M)": N followed rooms online now
    following_total: int | None = None  # header "(N/M)": M followed in total
    logged_in_as: str | None = None


def parse_followed_cams_page(html: str, owner: str, url: str | None = None) -> FollowListPage:
    """A `/followed-cams/` or `/followed-cams/offline/` page: the main room list only."""
    tree, result = _checked(html, owner, url, "followed")
    if not result.ok:
        return result
    containers = [n for n in tree.css(SEL_ROOM_LIST) if _visible(n)]
    if not containers:
        return _fail(result, "no main room list on the page (not a followed-cams page?)")
    if len(containers) > 1:
        return _fail(result, f"{len(containers)} visible room lists: cannot tell which is the main list")
    main = containers[0]
    if main.css_first("ul.list") is None:
        return _fail(result, "the room list has no ul.list")
    result.usernames = _dedupe(_card_username(card) for card in main.css(SEL_ROOM_CARD))
    if None in result.usernames:
        return _fail(result, "a room card without a readable username")
    _read_pager(main.css_first(SEL_PAGER), result)
    return result


def parse_followers_page(html: str, owner: str, url: str | None = None) -> FollowListPage:
    """An `/accounts/followers/` page: links with an empty data-room whose text is the username."""
    tree, result = _checked(html, owner, url, "followers")
    if not result.ok:
        return result
    names = []
    for link in tree.css(SEL_FOLLOWER_LINK):
        match = USER_PATH_RE.match(link.attributes.get("href") or "")
        text = (link.text() or "").strip()
        if match and text.lower() == match.group(1).lower() and _visible(link):
            names.append(match.group(1).lower())
    result.usernames = _dedupe(names)
    pager = next((p for p in tree.css(SEL_PAGER) if _visible(p) and not _in_room_list(p)), None)
    if not result.usernames and tree.css_first("#followers, .followers, [data-testid='followers-list']") is None:
        return _fail(result, "no followers list on the page (not the followers page?)")
    _read_pager(pager, result)
    return result


def login_problem(html: str, owner: str, url: str | None = None) -> str | None:
    """Why this page is not a page seen logged in as the owner, or None when it is."""
    tree = LexborHTMLParser(html or "")
    return _login_problem(tree, owner, url)


# ------------------------------------------------------------------------------------------ helpers


def _checked(html: str, owner: str, url: str | None, kind: str) -> tuple[LexborHTMLParser, FollowListPage]:
    tree = LexborHTMLParser(html or "")
    result = FollowListPage(ok=True, kind=kind)
    result.logged_in_as = _header_username(tree)
    problem = _login_problem(tree, owner, url)
    if problem:
        return tree, _fail(result, problem)
    counts = tree.css_first(SEL_FOLLOWED_COUNTS)
    match = COUNTS_RE.search(counts.text() if counts else "")
    if match:
        result.online_count, result.following_total = int(match.group(1)), int(match.group(2))
    return tree, result


def _login_problem(tree: LexborHTMLParser, owner: str, url: str | None) -> str | None:
    title = tree.css_first("title")
    if title and CHALLENGE_TITLE in title.text().lower():
        return "Cloudflare challenge page (Just a moment)"
    if url:
        parts = urlsplit(url)
        if parts.path.startswith(LOGIN_PATH):
            return f"redirected to the login page ({parts.path}): the session cookies are missing or expired"
        if parts.path in ("", "/"):
            return "redirected to the home page: the session cookies are missing or expired"
    username = _header_username(tree)
    if username is None:
        return "not logged in (no user header on the page)"
    if tree.css_first(SEL_LOGOUT) is None:
        return "not logged in (no logout link on the page)"
    if username.lower() != (owner or "").lower():
        return f"logged in as {username!r}, not as the owner {owner!r}: wrong cookies"
    return None


def _header_username(tree: LexborHTMLParser) -> str | None:
    node = tree.css_first(SEL_HEADER_USERNAME)
    text = node.text().strip() if node else ""
    return text or None


def _card_username(card: LexborNode) -> str | None:
    for link in card.css("a[href]"):
        room = (link.attributes.get("data-room") or "").strip()
        match = USER_PATH_RE.match(link.attributes.get("href") or "")
        if room and re.fullmatch(r"[A-Za-z0-9_]+", room):
            return room.lower()
        if match:
            return match.group(1).lower()
    return None


def _read_pager(pager: LexborNode | None, result: FollowListPage) -> None:
    """Current page, last page shown, and whether a next page exists; no pager means a single page."""
    if pager is None:
        result.page, result.last_page, result.has_next = 1, 1, False
        return
    numbers = [n for n in (_page_of(a) for a in pager.css(SEL_PAGE_NUMBER)) if n]
    active = pager.css_first(SEL_ACTIVE_PAGE)
    current = _int(active.text()) if active else None
    if current is None and active is not None:
        current = _page_of(active.css_first("a"))
    result.page = current or 1
    result.last_page = max(numbers + [result.page])
    result.has_next = result.page < result.last_page


def _page_of(link: LexborNode | None) -> int | None:
    if link is None:
        return None
    value = _int(link.text())
    if value is not None:
        return value
    query = parse_qs(urlsplit(link.attributes.get("href") or "").query)
    return _int((query.get("page") or [""])[0])


def _int(text: str | None) -> int | None:
    text = (text or "").strip()
    return int(text) if text.isdigit() else None


def _visible(node: LexborNode) -> bool:
    """False when the node or an ancestor is hidden by an inline `display: none` (saved DOM snapshots)."""
    while node is not None:
        if HIDDEN_RE.search((node.attributes or {}).get("style") or ""):
            return False
        node = node.parent
    return True


def _in_room_list(node: LexborNode) -> bool:
    while node is not None:
        if (node.attributes or {}).get("data-testid") == "room-list-container":
            return True
        node = node.parent
    return False


def _dedupe(names) -> list:
    return list(dict.fromkeys(names))


def _fail(result: FollowListPage, reason: str) -> FollowListPage:
    result.ok, result.reason, result.usernames = False, reason, []
    return result
