"""Events API longpoll client: HTTP and JSON decoding only (CHATURBATE.md §3).

Imports nothing from the app. The URLs it is given contain the Events token: never log them.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

import requests

# 400 = expired/invalid token, 401 = authentication failure, 404 = wrong username or token.
TOKEN_STATUSES = {400: "token expired or invalid", 401: "authentication failed", 404: "wrong username or token"}


class EventsApiError(RuntimeError):
    """A request failed in a way that retrying may fix (5xx, timeout, connection, bad JSON)."""


class EventsTokenError(EventsApiError):
    """The API refused the token (400/401/404): retrying cannot help; the owner must paste a new one."""

    def __init__(self, status: int):
        self.status = status
        super().__init__(f"Events API refused the token (HTTP {status}: {TOKEN_STATUSES[status]}); paste a new token")


@dataclass(frozen=True)
class EventsBatch:
    """One longpoll answer: the raw events (any shape) and the cursor to request next."""

    events: list
    next_url: str


def first_url(base_url: str, username: str, token: str, timeout: int) -> str:
    """The first request of a feed: <base>/<username>/<token>/?timeout=N."""
    base = base_url if base_url.endswith("/") else base_url + "/"
    return f"{base}{quote(username, safe='')}/{quote(token, safe='')}/?timeout={int(timeout)}"


def fetch(http: requests.Session, url: str, client_timeout: float) -> EventsBatch:
    """GET one longpoll URL; raise EventsTokenError (stop) or EventsApiError (retry)."""
    try:
        response = http.get(url, timeout=client_timeout)
    except requests.RequestException as exc:
        raise EventsApiError(f"Events API request failed: {exc.__class__.__name__}") from None
    if response.status_code in TOKEN_STATUSES:
        raise EventsTokenError(response.status_code)
    if response.status_code != 200:
        raise EventsApiError(f"Events API answered HTTP {response.status_code}")
    try:
        body = response.json()
    except (ValueError, RecursionError):  # RecursionError: JSON nested too deep to decode
        raise EventsApiError("Events API answered malformed JSON") from None
    if not isinstance(body, dict) or not isinstance(body.get("nextUrl"), str) or not body["nextUrl"]:
        raise EventsApiError("Events API answer has no nextUrl")
    events = body.get("events")
    if not isinstance(events, list):
        raise EventsApiError("Events API answer has no events list")
    return EventsBatch(events=events, next_url=body["nextUrl"])
