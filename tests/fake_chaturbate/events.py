"""Fake Events API (longpoll with nextUrl cursors) and fake Stats API.

Scenario knobs in fake.state:
    events_owner, events_token     the account and token the fake accepts (else 404 / 401)
    events_batches                 list of batches (lists of raw events); cursor i=k serves batch k
    events_faults                  {k: [fault, ...]} served (and consumed) before batch k: 500, 400, 401, 404,
                                   "malformed" (body is not JSON)
    events_status                  force this HTTP status on every request (e.g. 400 after revocation)
    events_hold_cap                cap in seconds on how long an idle request is held (the `timeout` param)
    events_served                  list of cursors answered with a batch, in order (for assertions)
    events_next_urls               {k: url}: the answer to cursor k names this nextUrl instead of its own
                                   (e.g. another host, or file:///etc/passwd)
    stats_body, stats_status       the Stats API answer
    stats_faults                   [status or (status, Retry-After), ...] answered (and consumed) first
    stats_delay                    seconds the Stats API waits before answering (a slow server)
    stats_token                    the Stats API token the fake accepts (None: the same as events_token)
"""

from __future__ import annotations

import time

from flask import jsonify, request


def defaults() -> dict:
    return {
        "events_owner": "hudson",
        "events_token": "tok-abc123",
        "events_batches": [],
        "events_faults": {},
        "events_status": None,
        "events_hold_cap": 0.2,
        "events_served": [],
        "events_next_urls": {},
        "stats_body": {
            "username": "hudson",
            "token_balance": 1200,
            "tips_in_last_hour": -1,
            "votes_up": 10,
            "votes_down": 1,
            "satisfaction_score": 91,
            "last_broadcast": "2026-11-20T18:00:00",
            "time_online": -1,
            "num_followers": 321,
            "num_viewers": 0,
            "num_registered_viewers": 0,
        },
        "stats_status": None,
        "stats_faults": [],
        "stats_delay": 0.0,
        "stats_token": None,
    }


def register(fake) -> None:
    app = fake.app

    @app.get("/events/<username>/<token>/")
    def events_longpoll(username, token):
        state = fake.state
        if state["events_status"]:
            return jsonify({"status": "error"}), state["events_status"]
        if username != state["events_owner"]:
            return jsonify({"status": "not found"}), 404
        if token != state["events_token"]:
            return jsonify({"status": "unauthorized"}), 401
        cursor = int(request.args.get("i", 0))
        timeout = float(request.args.get("timeout", 10))
        faults = state["events_faults"].get(cursor) or []
        if faults:
            fault = faults.pop(0)
            if fault == "malformed":
                return "{not json", 200, {"Content-Type": "application/json"}
            return jsonify({"status": "error"}), int(fault)
        base = request.base_url
        batches = state["events_batches"]
        if cursor >= len(batches):
            time.sleep(min(timeout, state["events_hold_cap"]))
            return jsonify({"events": [], "nextUrl": f"{base}?i={cursor}&timeout={int(timeout)}"})
        state["events_served"].append(cursor)
        next_url = state["events_next_urls"].get(cursor) or f"{base}?i={cursor + 1}&timeout={int(timeout)}"
        return jsonify({"events": batches[cursor], "nextUrl": next_url})

    @app.get("/statsapi/")
    def stats_api():
        state = fake.state
        time.sleep(state["stats_delay"])
        if state["stats_faults"]:
            fault = state["stats_faults"].pop(0)
            status, retry_after = fault if isinstance(fault, tuple) else (fault, None)
            return jsonify({"status": "busy"}), status, ({"Retry-After": retry_after} if retry_after else {})
        if state["stats_status"]:
            return jsonify({"status": "error"}), state["stats_status"]
        token = state["stats_token"] or state["events_token"]
        if request.args.get("username") != state["events_owner"] or request.args.get("token") != token:
            return jsonify({"status": "not found"}), 404
        return jsonify(state["stats_body"])
