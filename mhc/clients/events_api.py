"""Events API longpoll client: HTTP and JSON decoding only (see docs/domain.md#events-api).

Imports nothing from the app. The URLs it is given contain the Events token: never log them.
Decoding gives each event typed fields; whether a value may be stored (a valid username, a token
amount in range, text cleaned) is decided by the service that stores it (services/sources/feed_rules).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

import requests

USER_METHODS = frozenset(
    {
        "broadcastStart",
        "broadcastStop",
        "userEnter",
        "userLeave",
        "follow",
        "unfollow",
        "fanclubJoin",
        "chatMessage",
        "privateMessage",
        "tip",
        "mediaPurchase",
    }
)  # the methods whose object names a user
KNOWN_METHODS = USER_METHODS | {"roomSubjectChange"}
BROADCAST_METHODS = frozenset({"broadcastStart", "broadcastStop"})
FOLLOW_METHODS = frozenset({"follow", "unfollow"})
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
class Event:
    """One event decoded: typed fields, None where absent or of another type; `odd` when not the API's shape."""

    raw: object  # the event as received (any shape), stored whole
    id: str | None
    method: str | None
    broadcaster: str | None  # the room; "" for a private message outside any room
    username: str | None  # object.user.username
    text: str | None  # the chat or private message, the tip note, the media name or the room subject
    tokens: int | None  # tip or media purchase amount
    from_user: str | None = None  # private messages only
    to_user: str | None = None
    odd: bool = False


@dataclass(frozen=True)
class EventsBatch:
    """One longpoll answer: the decoded events and the cursor to request next."""

    events: list[Event]
    next_url: str


def decode_events(raw_events: list) -> list[Event]:
    """Decode every event of a longpoll answer (see decode_event)."""
    return [decode_event(raw) for raw in raw_events]


def decode_event(raw) -> Event:
    """One raw event (any shape) as typed fields; never raises. Missing parts a method needs make it `odd`."""
    envelope = raw if isinstance(raw, dict) else {}
    method = _str(envelope.get("method"))
    obj = envelope.get("object")
    odd = method not in KNOWN_METHODS or not isinstance(obj, dict)
    obj = obj if isinstance(obj, dict) else {}
    broadcaster = obj.get("broadcaster")
    if broadcaster is None:
        broadcaster = envelope.get("broadcaster")
    odd = odd or (broadcaster is not None and not isinstance(broadcaster, str))
    text, tokens, complete = _text_and_tokens(method, obj) if method in KNOWN_METHODS else (None, None, True)
    user = obj.get("user")
    from_user = to_user = None
    if method == "privateMessage":
        # The names sit in the message; an older shape had them on the object.
        message = obj.get("message") if isinstance(obj.get("message"), dict) else {}
        from_user = _first_name(message.get("fromUser"), obj.get("fromUser"))
        to_user = _first_name(message.get("toUser"), obj.get("toUser"))
    return Event(
        raw=raw,
        id=_str(envelope.get("id")),
        method=method,
        broadcaster=_str(broadcaster),
        username=_str(user.get("username")) if isinstance(user, dict) else None,
        text=text,
        tokens=tokens,
        from_user=from_user,
        to_user=to_user,
        odd=odd or not complete,
    )


def _text_and_tokens(method: str, obj: dict) -> tuple[str | None, int | None, bool]:
    """The event's text and token amount; the bool is False when a part its method requires is missing."""
    if method in ("chatMessage", "privateMessage"):
        message = obj.get("message")
        if not isinstance(message, dict) or not isinstance(message.get("message"), str):
            return None, None, False
        return message["message"], None, True
    if method == "tip":
        tip = obj.get("tip")
        if not isinstance(tip, dict) or not _is_int(tip.get("tokens")):
            return None, None, False
        return _str(tip.get("message")), tip["tokens"], True
    if method == "mediaPurchase":
        media = obj.get("media")
        if not isinstance(media, dict):
            return None, None, False
        tokens = media.get("tokens")
        return _str(media.get("name")), tokens if _is_int(tokens) else None, True
    if method == "roomSubjectChange":
        subject = _str(obj.get("subject"))
        return subject, None, subject is not None
    return None, None, True


def _str(value) -> str | None:
    return value if isinstance(value, str) else None


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)  # JSON true is no amount


def _first_name(*values) -> str | None:
    """The first value that is a non-blank string."""
    return next((v for v in values if isinstance(v, str) and v.strip()), None)


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
    return EventsBatch(events=decode_events(events), next_url=body["nextUrl"])
