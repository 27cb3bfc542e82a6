"""The Events API cursor (nextUrl) never leaves the configured Events API: not followed, not saved."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from mhc.extensions import db
from mhc.jobs.events_listener import ListenSettings, listen
from mhc.models import Interaction
from mhc.services import secrets
from mhc.services.sources.events_cursor import cursor_problem
from tests.services.sources.events.feed import OWNER, clock_for, ev

BASE = "http://127.0.0.1:5001/events/"
GOOD = f"{BASE}{OWNER}/tok-abc123/?i=4&timeout=1"


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        (GOOD, None),
        ("HTTP://127.0.0.1:5001/events/x/?i=1", None),
        ("http://127.0.0.1:5002/events/hudson/tok-abc123/?i=1", "points to http://127.0.0.1:5002, outside"),
        ("https://127.0.0.1:5001/events/hudson/tok/", "points to https://127.0.0.1:5001, outside"),
        ("http://localhost:5001/events/hudson/tok/", "points to http://localhost:5001, outside"),
        ("file:///etc/passwd", "points to file://, outside the configured http://127.0.0.1:5001"),
        ("http://user@127.0.0.1:5001/events/x/", "points to http://127.0.0.1:5001, outside"),
        ("http://evil.test\\@127.0.0.1:5001/events/x/", "holds characters a cursor never has"),
        ("http://127.0.0.1:5001/events/x/?i=1 http://evil.test/", "holds characters a cursor never has"),
        ("http://127.0.0.1:5001/events/x/\x00", "holds characters a cursor never has"),
        ("http://127.0.0.1:5001/eventsx/hudson/", "leaves the path /events/"),
        ("http://127.0.0.1:5001/events/../admin/", "leaves the path /events/"),
        ("http://127.0.0.1:5001/events/%2e%2e/admin/", "leaves the path /events/"),
        ("http://127.0.0.1:notaport/events/", "points to http://127.0.0.1, outside"),
        (GOOD + "x" * 3000, "holds characters a cursor never has"),
    ],
)
def test_cursor_rule(url, problem):
    found = cursor_problem(BASE, url)
    if problem is None:
        assert found is None
    else:
        assert problem in found
        assert "tok" not in found  # the token in a URL's path is never repeated in a message


@pytest.fixture
def app_config(fake_cb_config):
    return fake_cb_config


@pytest.fixture
def feed(app, fake_cb):
    fake_cb.state["events_batches"] = [[ev(f"e{k}", "userEnter", user=f"v{k}")] for k in range(3)]
    secrets.put(db.session, secrets.EVENTS_TOKEN, fake_cb.state["events_token"])
    db.session.commit()
    return fake_cb


def _listen(app, **overrides):
    settings = ListenSettings.from_config(app.config, stats_every=0, **overrides)
    messages = []
    totals = listen(db.session, settings, clock=clock_for(0), progress=lambda t, text: messages.append(text))
    return totals, messages


def _url(fake, i):
    return f"{fake.base_url}/events/{OWNER}/tok-abc123/?i={i}&timeout=1"


@pytest.mark.parametrize("foreign", ["other_host", "file:///etc/passwd"])
def test_foreign_next_url_is_not_followed_nor_saved(app, feed, other_host, foreign):
    target = f"{other_host.base_url}/events/{OWNER}/tok-abc123/?i=2" if foreign == "other_host" else foreign
    feed.state["events_next_urls"] = {1: target}
    totals, messages = _listen(app, max_seconds=1.0, backoff=(0.2, 0.2))
    assert other_host.requests == []
    assert secrets.get(db.session, secrets.EVENTS_NEXT_URL) == _url(feed, 1)  # the last good cursor
    assert list(db.session.scalars(select(Interaction.event_id))) == ["e0"]  # batch 1 waits for a good answer
    assert totals.batches == 1 and totals.retries >= 2
    assert set(feed.state["events_served"]) == {0, 1}
    assert "kept the last cursor" in totals.last_error and "outside the configured" in totals.last_error
    assert any(m.startswith("retrying in ") and "nextUrl points to" in m for m in messages)


@pytest.mark.parametrize("stored", ["other_host", "file:///etc/passwd"])
def test_foreign_stored_cursor_is_discarded_for_the_configured_url(app, feed, other_host, stored):
    foreign = f"{other_host.base_url}/events/{OWNER}/tok-abc123/?i=2" if stored == "other_host" else stored
    secrets.put(db.session, secrets.EVENTS_NEXT_URL, foreign)
    db.session.commit()
    totals, messages = _listen(app, max_batches=3)
    assert other_host.requests == []
    assert feed.requests[0] == f"/events/{OWNER}/tok-abc123/?timeout=1"  # started again from the configured URL
    assert totals.inserted == 3
    assert secrets.get(db.session, secrets.EVENTS_NEXT_URL) == _url(feed, 3)
    assert messages[0].startswith("stored cursor discarded: nextUrl points to ")
