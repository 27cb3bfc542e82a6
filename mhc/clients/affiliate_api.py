"""Affiliate API online-rooms feed: HTTP paging and JSON decoding into typed rooms (docs/domain.md#affiliate-api).

Imports nothing from the app (only the session factory in clients/http.py, which retries a failed page):
callers pass the URL, campaign slug and pacing. This module checks types only; whether a value may be
stored (username rule, ranges, lengths) is decided by the caller's rules.
A room of the wrong shape is returned among `rejected`, never fails the whole read.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import requests

from mhc.clients.http import HttpSettings, failure_reason, make_session, retries_used

PAGE_SIZE = 500
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
    raw: dict | None = field(default=None, compare=False, repr=False)  # the object as received


@dataclass(frozen=True)
class RejectedRoom:
    """A room object of the wrong shape: as received, with the reason."""

    raw: object
    reason: str
    key: str | None = None


@dataclass
class FeedRead:
    """One pass over the feed: the rooms read, those rejected, and why paging stopped early (None: it did not)."""

    rooms: list[Room] = field(default_factory=list)
    rejected: list[RejectedRoom] = field(default_factory=list)
    cut_short: str | None = None
    pages: int = 0


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


def _short(value, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit]}… ({len(text)} characters)"


def _clean_str(value) -> str | None:
    text = value.strip()
    return None if text.lower() in EMPTY_STRINGS else text


def parse_room(raw, rank: int) -> Room:
    """Validate one room object's field types; raise AffiliateApiError naming the bad field."""
    if not isinstance(raw, dict):
        raise AffiliateApiError(f"room #{rank} is a {type(raw).__name__}, not an object")
    name = raw.get("username")
    if not isinstance(name, str) or not name.strip():
        raise AffiliateApiError(f"room #{rank} has no username: {_short(name)}")
    username = name.strip().lower()
    shown = _short(username)
    values: dict = {}
    for key in STR_FIELDS:
        value = raw.get(key)
        if value is not None and not isinstance(value, str):
            raise AffiliateApiError(f"room {shown}: field {key!r} should be a string, got {_short(value)}")
        values[key] = None if value is None else _clean_str(value)
    for key in INT_FIELDS:
        value = raw.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            raise AffiliateApiError(f"room {shown}: field {key!r} should be an integer, got {_short(value)}")
        values[key] = value
    for key in BOOL_FIELDS:
        value = raw.get(key)
        if value is not None and not isinstance(value, bool):
            raise AffiliateApiError(f"room {shown}: field {key!r} should be true/false, got {_short(value)}")
        values[key] = value
    tags = raw.get("tags")
    if tags is None:
        tags = []
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise AffiliateApiError(f"room {shown}: field 'tags' should be a list of strings, got {_short(tags)}")
    values["tags"] = list(dict.fromkeys(t.strip().lower() for t in tags if _clean_str(t)))
    return Room(username=username, rank=rank, raw=raw, **values)


@dataclass(frozen=True)
class Page:
    """One page of the feed: its room objects, and the total the feed announced (None if it did not)."""

    results: list
    count: int | None


def fetch_page(http: requests.Session, url: str, params: dict, timeout: float, page: int | None = None) -> Page:
    """GET one page (`page` counts from 1, for messages); raise AffiliateApiError on any failure."""
    where = f"page {page} (offset {params['offset']})" if page else f"offset {params['offset']}"
    try:
        response = http.get(url, params=params, timeout=timeout)
    except requests.RequestException as exc:
        raise AffiliateApiError(f"feed {where}: request failed: {failure_reason(exc)} ({timeout:g} s)") from exc
    if response.status_code != 200:
        tries = retries_used(response)
        after = f" after {tries} retr{'y' if tries == 1 else 'ies'}" if tries else ""
        raise AffiliateApiError(f"feed {where} answered HTTP {response.status_code}{after}")
    try:
        body = response.json()
    except (ValueError, RecursionError) as exc:
        raise AffiliateApiError(f"feed {where} returned malformed JSON: {exc}") from exc
    if not isinstance(body, dict) or not isinstance(body.get("results"), list):
        raise AffiliateApiError(f"feed response at {where} has no 'results' list")
    count = body.get("count")
    return Page(body["results"], count if isinstance(count, int) and not isinstance(count, bool) else None)


def fetch_online_rooms(
    url: str,
    wm: str,
    *,
    genders: str = "",
    room_cap: int = 0,
    page_delay: float = 0.5,
    timeout: float = 30.0,
    page_size: int = PAGE_SIZE,
    budget_seconds: float | None = None,
    http: requests.Session | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    on_page: Callable[[int, int], None] | None = None,
) -> FeedRead:
    """Page through the feed once; rooms deduped by username, ranked by first position.

    Paging ends at a short page, at the count the feed announced, at `room_cap`, or early (`cut_short`
    says why) at a page repeating one already read or when `budget_seconds` have passed. A page that fails
    (after the session's retries) raises AffiliateApiError naming the page: nothing read is returned."""
    http = http or make_session(HttpSettings())
    base = {"wm": wm, "client_ip": "request_ip", "format": "json", "limit": page_size}
    gender_list = [g.strip() for g in genders.split(",") if g.strip()]
    if gender_list:
        base["gender"] = gender_list
    read, rooms, seen_pages = FeedRead(), {}, set()
    offset, started = 0, clock()
    while True:
        if budget_seconds is not None and clock() - started >= budget_seconds:
            read.cut_short = f"time budget of {budget_seconds:g} s spent after {read.pages} pages"
            break
        if offset:
            sleep(page_delay)
        page = fetch_page(http, url, {**base, "offset": offset}, timeout, page=read.pages + 1)
        read.pages += 1
        key = _page_key(page.results)
        if page.results and key in seen_pages:
            read.cut_short = f"the feed repeated a page at offset {offset} (it ignores offset?)"
            break
        seen_pages.add(key)
        _read_rooms(page.results, offset, rooms, read)
        if on_page:
            on_page(read.pages, len(rooms))
        if _last_page(page, offset, page_size) or (room_cap and len(rooms) >= room_cap):
            break
        offset += page_size
    ranked = list(rooms.values())[: room_cap or None]
    read.rooms = [_with_rank(room, i) for i, room in enumerate(ranked, start=1)]
    return read


def _read_rooms(results: list, offset: int, rooms: dict, read: FeedRead) -> None:
    for position, raw in enumerate(results, start=offset + 1):
        try:
            room = parse_room(raw, position)
        except AffiliateApiError as exc:
            name = raw.get("username") if isinstance(raw, dict) else None
            read.rejected.append(RejectedRoom(raw, str(exc), name if isinstance(name, str) else None))
            continue
        # The feed shifts while we page: a room seen twice keeps its first position.
        rooms.setdefault(room.username, room)


def _last_page(page: Page, offset: int, page_size: int) -> bool:
    """A short page ends the feed, and so does reaching the count it announced."""
    return len(page.results) < page_size or (page.count is not None and offset + page_size >= page.count)


def _page_key(results: list) -> str:
    """What a page holds, to notice a feed serving the same page again."""
    names = sorted(repr(r.get("username")) if isinstance(r, dict) else repr(r) for r in results)
    return json.dumps(names)


def _with_rank(room: Room, rank: int) -> Room:
    return room if room.rank == rank else replace(room, rank=rank)
