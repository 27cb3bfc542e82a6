"""No secret reaches a log line: with every logger at DEBUG (urllib3 prints each URL it requests, werkzeug each
request line) and in both formats, a session that logs in (a wrong then the right password), pastes Chaturbate
cookies and API tokens, runs an Events API listener batch (its URL holds the token) with a Stats API reading,
and syncs the following list in Chromium with the cookies leaves none of those values in the output."""

from __future__ import annotations

import io
import json
import logging
import secrets as random

import pytest

from mhc import logs
from mhc.extensions import db
from mhc.jobs.events_jobs import run_listener_process
from mhc.jobs.follow_jobs import run_follow_sync_here
from mhc.models import JobRun
from tests.services.sources.events.feed import ev

pytestmark = pytest.mark.e2e


@pytest.fixture
def app_config(fake_cb_config):
    return {**fake_cb_config, "STATS_POLL_SECONDS": 1}


@pytest.fixture
def captured(app):
    """Everything logged from now on, at DEBUG, through the handlers production uses (text and JSON)."""
    streams = {"text": io.StringIO(), "json": io.StringIO()}
    handlers = [logs.build_handler(fmt, stream) for fmt, stream in streams.items()]
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.DEBUG)
    for handler in handlers:
        root.addHandler(handler)
    yield streams
    for handler in handlers:
        root.removeHandler(handler)
    root.setLevel(level)


def _secret(prefix: str) -> str:
    return f"{prefix}{random.token_hex(8)}"


def test_no_secret_reaches_any_log_line(app, client, auth, make_user, fake_cb, captured):
    values = {
        "password": _secret("RightPw-"),
        "wrong password": _secret("WrongPw-"),
        "Chaturbate sessionid": _secret("cbSess"),
        "Chaturbate csrftoken": _secret("cbCsrf"),
        "Events API token": _secret("evTok"),
        "Stats API token": _secret("stTok"),
    }
    fake_cb.state.update(events_token=values["Events API token"], stats_token=values["Stats API token"])
    fake_cb.state["events_batches"] = [[ev(f"e{k}", "userEnter", user=f"v{k}")] for k in range(3)]
    user, _ = make_user("admin", password=values["password"])

    assert auth.login(user.username, values["wrong password"]).status_code == 200
    assert auth.login(user.username, values["password"]).status_code == 302
    values["session cookie"] = client.get_cookie("session").value
    values["CSRF token"] = token = auth.csrf("/follow-lists/")
    cookies = f"sessionid={values['Chaturbate sessionid']}; csrftoken={values['Chaturbate csrftoken']}"
    assert client.post("/follow-lists/cookies", data={"csrf_token": token, "cookies": cookies}).status_code == 302
    tokens = {"csrf_token": token, "events_token": values["Events API token"], "stats_token": values["Stats API token"]}
    assert client.post("/events-api/", data=tokens).status_code == 302

    assert run_listener_process(max_batches=3) == 0
    listener = db.session.query(JobRun).filter_by(kind="events_listen").one()
    assert (listener.status, listener.counts["batches"], listener.counts["stats_samples"]) == ("finished", 3, 1)
    listener_id = str(listener.id)
    sync = run_follow_sync_here("following")
    assert sync.status == "finished", sync.error
    run_ids = [listener_id, str(sync.id)]
    assert fake_cb.state["follow_sessionids"][0] == values["Chaturbate sessionid"]  # the browser sent the cookie

    text, as_json = captured["text"].getvalue(), captured["json"].getvalue()
    for name, value in values.items():
        leaks = [line for line in (text + as_json).splitlines() if value in line]
        assert not leaks, f"the {name} reached the log:\n" + "\n".join(leaks[:5])
    # The capture saw what it had to see: the login requests, both runs, and the token URLs, masked.
    assert " GET /events/hudson/***/?timeout=1 " in text or "/events/hudson/***/?timeout=1" in text
    assert "/statsapi/?username=hudson&token=***" in text
    assert "POST /login 200" in text and "POST /login 302" in text
    for run_id in run_ids:
        assert f"run_id={run_id} " in text
    entries = [json.loads(line) for line in as_json.splitlines()]
    assert {e.get("run_id") for e in entries} >= set(run_ids)
    assert any(e["logger"].startswith("urllib3") and e["level"] == "DEBUG" for e in entries)
