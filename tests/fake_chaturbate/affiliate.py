"""Fake Affiliate API online-rooms feed: limit/offset paging over `fake.state["affiliate_rooms"]`,
and faults chosen by `fake.state["affiliate_fault"]`: "http500", "bad_json", "no_results",
"wrong_type" (one room's num_users is a string), "slow" (sleeps `affiliate_delay` seconds)."""

from __future__ import annotations

import json
import time

from flask import Response, jsonify, request

PATH = "/api/public/affiliates/onlinerooms/"


def make_room(username: str, **overrides) -> dict:
    """A room object with every documented field, as the real feed types them (CHATURBATE.md §2)."""
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
        "image_url": f"https://roomimg.stream.highwebmedia.com/ri/{username}.jpg",
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
    }


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
        offset = max(int(request.args.get("offset", 0)), 0)
        rooms = [dict(r) for r in state["affiliate_rooms"]]
        genders = request.args.getlist("gender")
        if genders:
            rooms = [r for r in rooms if r.get("gender") in genders]
        page = rooms[offset : offset + limit]
        if fault == "wrong_type" and page:
            page[-1]["num_users"] = "six"
        return Response(json.dumps({"count": len(rooms), "results": page}), mimetype="application/json")
