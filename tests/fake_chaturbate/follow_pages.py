"""Fake follow-list pages: `/followed-cams/` (and `/followed-cams/online/`), `/followed-cams/offline/`,
`/accounts/followers/`, each paginated with `?page=N`, plus `/auth/login/` and the home page `/`.

The header (user header, "FOLLOWING (N/M)" tab, its dropdown of followed and "Recommended For You" room
cards, logout link) is the captured markup of cb-followed-online.html; a hidden room list from the same
page is kept as a trap. Requests carrying a `sessionid` cookie are logged in. Scenario knobs in fake.state:

- `follow_logged_in_as`: header username for logged-in requests ("hudson"; another name = wrong account)
- `follow_online`, `follow_offline`, `follow_followers`: the usernames listed
- `follow_page_size`: cards per page
- `follow_total`: header M override (default: online + offline)
- `follow_hidden`: usernames counted in M but never listed (a truncated list; the followers list has no count
  of its own, so hidden followers are missing without any count that could tell)
- `follow_no_count`: True drops the "(N/M)" counts from the header tab (a read with no count at all)
- `follow_changes`: {"followers:3": {"remove": [...], "add": [...]}}: once page 3 of that list has been
  served, remove those usernames / put those first (newest first): a list that moves while it is read.
  Applied once; "followers:3#2" applies when page 3 is served the second time (a second read)
- `follow_faults`: {"online:2": fault} with fault one of "login" (redirect to /auth/login/), "home" (redirect
  to the home page), "cloudflare" (Just a moment page), "error" (HTTP 500), "empty" (no cards)
- `follow_sessionids`: recorded, not set: the `sessionid` cookie value of every list request, in order
"""

from __future__ import annotations

import functools
import html
import math
from pathlib import Path

from flask import Response, redirect, request
from selectolax.lexbor import LexborHTMLParser

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "chaturbate" / "cb-followed-online.html"
CHALLENGE_PAGE = "<html><head><title>Just a moment...</title></head><body>Checking your browser</body></html>"
LOGIN_PAGE = (
    "<!DOCTYPE html><html><head><title>Log In - Chaturbate</title></head><body><form method='post' "
    "action='/auth/login/'><input name='username'><input name='password' type='password'></form></body></html>"
)
HOME_PAGE = (
    "<!DOCTYPE html><html><head><title>Chaturbate - Free Adult Webcams</title></head><body>"
    "<a href='/auth/login/'>Log In</a><div data-testid='room-list-container'><ul class='list'>"
    "<li class='room_list_room'><a href='/somebody/' data-room='somebody'>somebody</a></li></ul></div></body></html>"
)
LISTS = {"online": "follow_online", "offline": "follow_offline", "followers": "follow_followers"}


def defaults() -> dict:
    """Owner 'hudson' logged in (with a cookie); small lists over two pages."""
    return {
        "follow_logged_in_as": "hudson",
        "follow_online": ["alice", "bob", "carol", "dave"],
        "follow_offline": ["erin", "frank"],
        "follow_followers": ["viewer_1", "viewer_2", "viewer_3", "viewer_4", "viewer_5"],
        "follow_page_size": 3,
        "follow_total": None,
        "follow_hidden": [],
        "follow_faults": {},
        "follow_no_count": False,
        "follow_changes": {},
        "follow_served": {},
    }


def register(fake) -> None:
    """Serve the list pages, the login page and the home page."""
    state = fake.state

    def serve(kind: str):
        page = max(1, int(request.args.get("page", 1) or 1))
        fault = state["follow_faults"].get(f"{kind}:{page}")
        state.setdefault("follow_sessionids", []).append(request.cookies.get("sessionid"))  # what the browser sent
        if not request.cookies.get("sessionid") or fault == "login":
            return redirect(f"/auth/login/?next={request.path}")
        if fault == "home":
            return redirect(f"/?next={request.path}")
        if fault == "cloudflare":
            return Response(CHALLENGE_PAGE, status=403, mimetype="text/html")
        if fault == "error":
            return Response("<html><head><title>Server Error</title></head><body>500</body></html>", status=500)
        names = [n for n in state[LISTS[kind]] if n not in state["follow_hidden"]]
        size = state["follow_page_size"]
        last = max(1, math.ceil(len(names) / size))
        shown = [] if fault == "empty" else names[(page - 1) * size : page * size]
        body = render_list_page(state, kind, shown, page, last)
        served = state.setdefault("follow_served", {})
        served[f"{kind}:{page}"] = times = served.get(f"{kind}:{page}", 0) + 1
        key = f"{kind}:{page}" if times == 1 else f"{kind}:{page}#{times}"
        _move(state, kind, state["follow_changes"].pop(key, None))
        return Response(body, mimetype="text/html")

    fake.app.add_url_rule("/followed-cams/", "follow_online", lambda: serve("online"))
    fake.app.add_url_rule("/followed-cams/online/", "follow_online_alias", lambda: serve("online"))
    fake.app.add_url_rule("/followed-cams/offline/", "follow_offline", lambda: serve("offline"))
    fake.app.add_url_rule("/accounts/followers/", "follow_followers", lambda: serve("followers"))
    fake.app.add_url_rule("/auth/login/", "auth_login", lambda: Response(LOGIN_PAGE, mimetype="text/html"))
    fake.app.add_url_rule("/", "home", lambda: Response(HOME_PAGE, mimetype="text/html"))


def _move(state: dict, kind: str, change: dict | None) -> None:
    """Apply a scenario's list change after a page was served."""
    if change:
        kept = [n for n in state[LISTS[kind]] if n not in change.get("remove", [])]
        state[LISTS[kind]] = list(change.get("add", [])) + kept


def render_list_page(state: dict, kind: str, names: list[str], page: int, last: int) -> str:
    """A logged-in list page: captured header, then the main list for `kind` with its pager."""
    online, offline = state["follow_online"], state["follow_offline"]
    total = state["follow_total"]
    if total is None:
        total = len(dict.fromkeys(online + offline + state["follow_hidden"]))
    parts = _header_parts()
    owner = html.escape(state["follow_logged_in_as"])
    header = parts["header"].replace(">hudson_cage<", f">{owner}<")
    tab = parts["tab"].replace("(75/1346)", "" if state.get("follow_no_count") else f"({len(online)}/{total})")
    if kind == "followers":
        title, body = "Followers - Chaturbate", _followers_body(names, page, last)
    else:
        title, body = "Followed Cams - Chaturbate", _followed_body(kind, names, page, last)
    return (
        f"<!DOCTYPE html><html><head><title>{title}</title></head><body>"
        f"<div id='header'><ul class='sub-nav'>{tab}</ul>{header}{parts['dropdown']}"
        f"<div id='userInfoPanel'>{parts['logout']}</div></div>"
        f"<div id='main'><div class='content'>{body}</div></div>{parts['hidden_list']}</body></html>"
    )


def _followed_body(kind: str, names: list[str], page: int, last: int) -> str:
    cards = "".join(
        f'<li class="room_list_room roomCard" data-testid="room-card"><a href="/{n}/" data-room="{n}" '
        f'class="no_select"><img src="" alt="" data-testid="room-card-image"></a><div class="details">'
        f'<div class="title"><a href="/{n}/" data-testid="room-card-username">{n}</a></div></div></li>'
        for n in map(html.escape, names)
    )
    return (
        '<div class="followed-filters"><a data-testid="online-filter-link" href="/followed-cams/online/">Online</a> '
        '<a data-testid="offline-filter-link" href="/followed-cams/offline/">Offline</a></div>'
        '<div class="roomlist_container endless_page_styles" data-testid="room-list-container">'
        f'<ul class="list endless_page_template">{cards}</ul>'
        '<div id="roomlist_pagination" data-testid="room-list-pagination-component">'
        f"{_pager(page, last)}</div></div>"
    )


def _followers_body(names: list[str], page: int, last: int) -> str:
    rows = "".join(f'<tr><td><a href="/{n}/" data-room="">{n}</a></td></tr>' for n in map(html.escape, names))
    pager = _pager(page, last) if last > 1 else ""
    return f'<h1>Followers</h1><div class="followers" id="followers"><table>{rows}</table></div>{pager}'


def _pager(page: int, last: int) -> str:
    numbers = "".join(
        f'<li class="page_number_container{" active" if k == page else ""}">'
        f'<a data-testid="page-number-button" href="?page={k}">{k}</a></li>'
        for k in range(1, last + 1)
    )
    return (
        f'<ul class="paging"><li><a class="prev" data-testid="prev-button" href="?page={page - 1}"></a></li>'
        f'{numbers}<li><a class="next" data-testid="next-button" href="?page={page + 1}"></a></li></ul>'
    )


@functools.cache
def _header_parts() -> dict[str, str]:
    """Outer HTML of the captured header pieces, outside resources blanked."""
    tree = LexborHTMLParser(FIXTURE.read_text(encoding="utf-8"))
    for node in tree.css("img[src]"):
        if (node.attributes.get("src") or "").startswith(("http:", "https:", "//")):
            node.attrs["src"] = ""
    hidden = tree.css_first('[data-testid="room-list-container"]')
    return {
        "header": tree.css_first("#user_information_header").html,
        "tab": tree.css_first("li#followed_tab").html,
        "dropdown": tree.css_first("div.followedDropdown").html,
        "logout": tree.css_first('a[data-testid="logout-link"]').html,
        "hidden_list": hidden.html,
    }
