"""Fake Affiliate API online-rooms feed: limit/offset paging over `fake.state["affiliate_rooms"]`,
and faults chosen by `fake.state["affiliate_fault"]`: "http500", "bad_json", "no_results",
"wrong_type" (one room's num_users is a string), "slow" (sleeps `affiliate_delay` seconds per page),
"ignore_offset" (every request gets the first page, as a feed that ignores `offset` would).
`fake.state["affiliate_count"]`, when set, is the `count` announced instead of the real one.
Faults of one page (pages count from 1, as offset // limit + 1):
`fake.state["affiliate_page_faults"]` = {page: [fault, ...]}: each request for that page consumes the first
fault and answers it; a fault is a status (503) or a (status, Retry-After) pair ((429, "1")). Once they are
used up the page answers normally. `fake.state["affiliate_page_status"]` = {page: status}: that page
answers this status every time (a persistent failure).

Room thumbnails (`/ri/<username>.jpg`, the rooms' default image_url): a real PNG, or what
`fake.state["thumbnails"][username]` says: "placeholder" (the 5,045-byte branded image), "html" (not an
image), "missing" (404). `fake.state["thumbnail_faults"][username]` = [status, ...]: answered (and consumed)
before the picture, e.g. [503] for one failure that a retry gets past."""

from __future__ import annotations

import json
import random
import struct
import time
import zlib

from flask import Response, jsonify, request

PATH = "/api/public/affiliates/onlinerooms/"


def make_room(username: str, **overrides) -> dict:
    """A room object with every documented field, as the real feed types them (docs/domain.md#room-fields-we-use)."""
    room = {
        "username": username,
        "display_name": username.title(),
        "age": 24,
        "birthday": "2001-05-18",
        "gender": "m",
        "location": "Bogota D.C., Colombia",
        "country": "CO",
        "spoken_languages": "English, Spanish",
        "num_users": 6,
        "num_followers": 2769,
        "is_hd": False,
        "is_new": False,
        "current_show": "public",
        "room_subject": f"Goal for {username} #feet #muscles",
        "tags": ["feet", "muscles"],
        "seconds_online": 2273,
        "image_url": f"/ri/{username}.jpg",  # served by this fake (made absolute in the feed)
        "image_url_360x270": f"https://roomimg.stream.highwebmedia.com/riw/{username}.jpg",
        "chat_room_url": f"https://chaturbate.com/in/?tour=XXXX&campaign=wm1&track=default&room={username}",
        "chat_room_url_revshare": f"https://chaturbate.com/in/?tour=YYYY&campaign=wm1&track=default&room={username}",
        "iframe_embed": f"<iframe src='https://chaturbate.com/in/?room={username}' height=528 width=850></iframe>",
        "iframe_embed_revshare": f"<iframe src='https://chaturbate.com/in/?room={username}'></iframe>",
        "slug": username,
    }
    room.update(overrides)
    return room


def defaults() -> dict:
    return {
        "affiliate_rooms": [make_room("alpha_one"), make_room("beta_two", age=None), make_room("gamma_3")],
        "affiliate_fault": None,
        "affiliate_delay": 0.0,
        "affiliate_count": None,
        "affiliate_page_faults": {},
        "affiliate_page_status": {},
        "thumbnails": {},
        "thumbnail_faults": {},
    }


def photo_png(seed: str, width: int = 40, height: int = 30) -> bytes:
    """A real PNG of random pixels (so it does not compress below the size of a real thumbnail)."""
    rng = random.Random(seed)
    rows = b"".join(b"\x00" + bytes(rng.randrange(256) for _ in range(width * 3)) for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


PLACEHOLDER = b"\xff\xd8\xff\xe0" + b"\x00" * (5045 - 4)  # the offline image's size (docs/domain.md#placeholder-images)


def register(fake) -> None:
    @fake.app.get(PATH)
    def affiliate_onlinerooms():
        state = fake.state
        fault = state.get("affiliate_fault")
        if fault == "http500":
            return Response("server error", status=500)
        if fault == "slow":
            time.sleep(float(state.get("affiliate_delay") or 0))
        if fault == "bad_json":
            return Response('{"count": 3, "results": [', mimetype="application/json")
        if fault == "no_results":
            return jsonify({"count": 0, "error": "campaign not found"})
        limit = min(max(int(request.args.get("limit", 100)), 1), 500)
        offset = 0 if fault == "ignore_offset" else max(int(request.args.get("offset", 0)), 0)
        page_fault = _page_fault(state, offset // limit + 1)
        if page_fault is not None:
            return page_fault
        rooms = [dict(r) for r in state["affiliate_rooms"]]
        genders = request.args.getlist("gender")
        if genders:
            rooms = [r for r in rooms if r.get("gender") in genders]
        for room in rooms:
            for key in ("image_url", "image_url_360x270"):
                if (room.get(key) or "").startswith("/"):
                    room[key] = fake.base_url + room[key]
        page = rooms[offset : offset + limit]
        if fault == "wrong_type" and page:
            page[-1]["num_users"] = "six"
        count = len(rooms) if state.get("affiliate_count") is None else state["affiliate_count"]
        return Response(json.dumps({"count": count, "results": page}), mimetype="application/json")

    def _page_fault(state: dict, page: int) -> Response | None:
        if page in state["affiliate_page_status"]:
            return Response("unavailable", status=state["affiliate_page_status"][page])
        faults = state["affiliate_page_faults"].get(page) or []
        if not faults:
            return None
        status, retry_after = faults.pop(0) if isinstance(faults[0], tuple) else (faults.pop(0), None)
        headers = {"Retry-After": retry_after} if retry_after is not None else {}
        return Response("try again", status=status, headers=headers)

    @fake.app.get("/ri/<username>.jpg")
    def room_thumbnail(username):
        faults = fake.state["thumbnail_faults"].get(username) or []
        if faults:
            return Response("busy", status=faults.pop(0))
        kind = fake.state.get("thumbnails", {}).get(username, "photo")
        if kind == "missing":
            return Response("not found", status=404)
        if kind == "placeholder":
            return Response(PLACEHOLDER, mimetype="image/jpeg")
        if kind == "html":
            return Response("<html>" + "x" * 2000 + "</html>", mimetype="image/jpeg")
        return Response(photo_png(username), mimetype="image/jpeg")  # the CDN's header, not the bytes' type
