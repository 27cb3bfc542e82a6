"""Fake profile / room pages: `/<username>/` for any username, built from the captured markup of
cb-followed-online.html (scripts and outside resources stripped, so nothing the browser runs can
change the DOM). Scenario knobs in fake.state:

- `profile_logged_in_as`: the header's username when the request carries a `sessionid` cookie
  (None: every page is logged out).
- `profile_overrides`: {username: {key: value}} over PROFILE_DEFAULTS; a bio value of None drops its row.
"""

from __future__ import annotations

import functools
import html
import re
from pathlib import Path

from flask import Response, request
from selectolax.lexbor import LexborHTMLParser

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "chaturbate" / "cb-followed-online.html"
TEMPLATE_USER = "ghostdaddy9"
USERNAME_RE = re.compile(r"^[a-z0-9_]+$")

PROFILE_DEFAULTS = {
    "display_name": "Fake Name",
    "age": "30",
    "followers": "1234",
    "location": "Fakeville",
    "bio": "Hello from the fake server",
    "online": True,
    "following": False,
    "fan_club": True,
    "challenge": False,  # serve Cloudflare's "Just a moment" page instead
    "exists": True,  # False: 404 page
}
BIO_ROWS = {"display_name": "real-name", "age": "age", "followers": "followers", "location": "location"}
CHALLENGE_PAGE = "<html><head><title>Just a moment...</title></head><body>Checking your browser</body></html>"


def defaults() -> dict:
    """The default scenario: owner 'hudson' logged in (with a cookie), default profile for everyone."""
    return {"profile_logged_in_as": "hudson", "profile_overrides": {}}


def register(fake) -> None:
    """Serve `/<username>/`."""

    @fake.app.get("/<username>/")
    def profile_page(username):
        if not USERNAME_RE.match(username):
            return Response("not found", status=404)
        spec = {**PROFILE_DEFAULTS, **fake.state.get("profile_overrides", {}).get(username, {})}
        if spec["challenge"]:
            return Response(CHALLENGE_PAGE, status=403, mimetype="text/html")
        if not spec["exists"]:
            return Response("<html><head><title>Page Not Found</title></head><body>404</body></html>", status=404)
        owner = fake.state.get("profile_logged_in_as") if request.cookies.get("sessionid") else None
        return Response(render_profile(username, spec, owner), mimetype="text/html")


def render_profile(username: str, spec: dict, logged_in_as: str | None) -> str:
    """The fixture's markup rewritten for `username` and the scenario `spec`."""
    name = username.capitalize()
    text = _template().replace(TEMPLATE_USER, username).replace(TEMPLATE_USER.capitalize(), name)
    tree = LexborHTMLParser(text)
    for key, testid in BIO_ROWS.items():
        _set_row(tree, testid, spec[key])
    _set_about(tree, spec["bio"])
    _set_display(tree, 'div.offlineContentContainer[data-testid="offline-content-container"]', not spec["online"])
    _set_display(tree, 'div.followButton[data-testid="follow-button"]', not spec["following"], "inline")
    _set_display(tree, 'div.unfollowButton[data-testid="unfollow-button"]', spec["following"], "inline")
    _set_display(tree, '[data-testid="follow-notification-button"]', spec["following"], "inline")
    _set_display(tree, 'div.fanclubButton[data-testid="fanclub-button"]', spec["fan_club"])
    if logged_in_as:
        tree.css_first('#user_information_header [data-testid="username"]').inner_html = html.escape(logged_in_as)
    else:
        for node in tree.css('#user_information_header, a[data-testid="logout-link"]'):
            node.decompose()
    return tree.html


def _set_row(tree, testid: str, value) -> None:
    node = tree.css_first(f'[data-testid="bio-tab-{testid}-value"]')
    if value is None:
        node.parent.decompose()
    else:
        node.inner_html = html.escape(str(value))


def _set_about(tree, value) -> None:
    node = tree.css_first('[data-testid="bio-tab-about-me-value"]')
    if value is None:
        node.parent.parent.decompose()
    else:
        node.inner_html = "".join(f"<p>{html.escape(p)}</p>" for p in str(value).split("\n"))


def _set_display(tree, selector: str, shown: bool, visible: str = "block") -> None:
    node = tree.css_first(selector)
    style = re.sub(r"display:\s*[a-z-]+;?\s*", "", node.attributes.get("style") or "")
    node.attrs["style"] = f"display: {visible if shown else 'none'}; {style}".strip()


@functools.cache
def _template() -> str:
    """The captured page without scripts (but the stale dossier: a realistic trap) or outside resources."""
    tree = LexborHTMLParser(FIXTURE.read_text(encoding="utf-8"))
    for script in tree.css("script"):
        if "initialRoomDossier" not in script.text():
            script.decompose()
    for link in tree.css("link"):
        if link.attributes.get("rel") != "canonical":
            link.decompose()
    for node in tree.css("img[src], iframe[src], video[src], source[src]"):
        if (node.attributes.get("src") or "").startswith(("http:", "https:", "//")):
            node.attrs["src"] = ""
    return tree.html
