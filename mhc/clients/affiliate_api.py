"""Affiliate API online-rooms feed: HTTP paging and JSON decoding into typed rooms (CHATURBATE.md §2).

Imports nothing from the app: callers pass the URL, campaign slug and pacing.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import requests

PAGE_SIZE = 500
USERNAME_RE = re.compile(r"^[a-z0-9_]+$")
# Strings that mean "no value" when a source serialised a null carelessly.
EMPTY_STRINGS = {"", "none", "null", "undefined"}


class AffiliateApiError(RuntimeError):
    """The feed could not be fetched or did not have the documented shape; the message says why."""


@dataclass(frozen=True)
class Room:
    """One room of the feed, typed; empty and "None" strings are already None."""

    username: str
    rank: int
    display_name: str | None = None
    age: int | None = None
    birthday: str | None = None
    gender: str | None = None
    location: str | None = None
    country: str | None = None
    spoken_languages: str | None = None
    num_users: int | None = None
    num_followers: int | None = None
    is_hd: bool | None = None
    is_new: bool | None = None
    current_show: str | None = None
    room_subject: str | None = None
    tags: list[str] = field(default_factory=list)
    seconds_online: int | None = None
    image_url: str | None = None
    image_url_360x270: str | None = None
    chat_room_url: str | None = None
    chat_room_url_revshare: str | None = None
    iframe_embed: str | None = None
    iframe_embed_revshare: str | None = None
    slug: str | None = None


STR_FIELDS = (
    "display_name",
    "birthday",
    "gender",
    "location",
    "country",
    "spoken_languages",
    "current_show",
    "room_subject",
    "image_url",
    "image_url_360x270",
    "chat_room_url",
    "chat_room_url_revshare",
    "iframe_embed",
    "iframe_embed_revshare",
    "slug",
)
INT_FIELDS = ("age", "num_users", "num_followers", "seconds_online")
BOOL_FIELDS = ("is_hd", "is_new")


def _clean_str(value) -> str | None:
    text = value.strip()
    return None if text.lower() in EMPTY_STRINGS else text


def parse_room(raw, rank: int) -> Room:
    """Validate one room object's field types; raise AffiliateApiError naming the bad field."""
    if not isinstance(raw, dict):
        raise AffiliateApiError(f"room #{rank} is a {type(raw).__name__}, not an object")
    name = raw.get("username")
    if not isinstance(name, str) or not USERNAME_RE.match(name.strip().lower()):
        raise AffiliateApiError(f"room #{rank} has an invalid username {name!r}")
    username = name.strip().lower()
    values: dict = {}
    for key in STR_FIELDS:
        value = raw.get(key)
        if value is not None and not isinstance(value, str):
            raise AffiliateApiError(f"room {username!r}: field {key!r} should be a string, got {value!r}")
        values[key] = None if value is None else _clean_str(value)
    for key in INT_FIELDS:
        value = raw.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            raise AffiliateApiError(f"room {username!r}: field {key!r} should be an integer, got {value!r}")
        values[key] = value
    for key in BOOL_FIELDS:
        value = raw.get(key)
        if value is not None and not isinstance(value, bool):
            raise AffiliateApiError(f"room {username!r}: field {key!r} should be true/false, got {value!r}")
        values[key] = value
    tags = raw.get("tags")
    if tags is None:
        tags = []
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise AffiliateApiError(f"room {username!r}: field 'tags' should be a list of strings, got {tags!r}")
    values["tags"] = list(dict.fromkeys(t.strip().lower() for t in tags if _clean_str(t)))
    return Room(username=username, rank=rank, **values)


def fetch_page(http: requests.Session, url: str, params: dict, timeout: float) -> list:
    """GET one page and return its `results` list; raise AffiliateApiError on any failure."""
    try:
        response = http.get(url, params=params, timeout=timeout)
    except requests.RequestException as exc:
        raise AffiliateApiError(f"feed request failed (offset {params['offset']}): {exc}") from exc
    if response.status_code != 200:
        raise AffiliateApiError(f"feed answered HTTP {response.status_code} at offset {params['offset']}")
    try:
        body = response.json()
    except ValueError as exc:
        raise AffiliateApiError(f"feed returned malformed JSON at offset {params['offset']}: {exc}") from exc
    if not isinstance(body, dict) or not isinstance(body.get("results"), list):
        raise AffiliateApiError(f"feed response at offset {params['offset']} has no 'results' list")
    return body["results"]


def fetch_online_rooms(
    url: str,
    wm: str,
    *,
    genders: str = "",
    room_cap: int = 0,
    page_delay: float = 0.5,
    timeout: float = 30.0,
    page_size: int = PAGE_SIZE,
    http: requests.Session | None = None,
    sleep: Callable[[float], None] = time.sleep,
    on_page: Callable[[int, int], None] | None = None,
) -> list[Room]:
    """Page through the whole feed once; return rooms deduped by username, ranked by first position."""
    http = http or requests.Session()
    base = {"wm": wm, "client_ip": "request_ip", "format": "json", "limit": page_size}
    gender_list = [g.strip() for g in genders.split(",") if g.strip()]
    if gender_list:
        base["gender"] = gender_list
    rooms: dict[str, Room] = {}
    position = offset = 0
    while True:
        if offset:
            sleep(page_delay)
        page = fetch_page(http, url, {**base, "offset": offset}, timeout)
        for raw in page:
            position += 1
            room = parse_room(raw, position)
            # The feed shifts while we page: a room seen twice keeps its first position.
            rooms.setdefault(room.username, room)
        if on_page:
            on_page(offset // page_size + 1, len(rooms))
        if len(page) < page_size or (room_cap and len(rooms) >= room_cap):
            break
        offset += page_size
    ranked = list(rooms.values())[: room_cap or None]
    return [_with_rank(room, i) for i, room in enumerate(ranked, start=1)]


def _with_rank(room: Room, rank: int) -> Room:
    return room if room.rank == rank else replace(room, rank=rank)
