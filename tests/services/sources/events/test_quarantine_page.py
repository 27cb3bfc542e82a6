"""Admin → Feed quarantine: what the feeds set aside, escaped, newest first, paged, for manage_jobs only."""

from __future__ import annotations

import re
from datetime import timedelta

from mhc.extensions import db
from mhc.services.sources import quarantine
from tests.services.sources.events.feed import OWNER, T0, ev, ingest


def _poison(minutes: int, event_id: str, **tip):
    raw = ev(event_id, "tip", user="fan", tip={"tokens": -5, "message": "<script>alert(1)</script>\x00", **tip})
    ingest([raw], f"http://x/?i={minutes}", T0 + timedelta(minutes=minutes), OWNER)


def _affiliate(minutes: int, username: str):
    item = quarantine.Item("affiliate", username, "username", f"username is not a username: {username!r}", {})
    quarantine.add(db.session, [item], T0 + timedelta(minutes=minutes))
    db.session.commit()


def _ids(html: str) -> list[str]:
    return re.findall(r'data-quarantine-id="(\d+)"', html)


def test_quarantine_page_lists_newest_first_escaped(client, login_as, app):
    _poison(1, "p-old")
    _poison(5, "p-new")
    _affiliate(3, "<b>bad</b>")
    login_as("admin")
    html = client.get("/feed-quarantine/").get_data(as_text=True)
    items = re.findall(r'<td class="text-break">([^<]*)</td>', html)
    assert items == ["p-new", "&lt;b&gt;bad&lt;/b&gt;", "p-old"]
    assert "<script>alert(1)</script>" not in html and "<b>bad</b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;\\u0000" in html  # as received: the NUL escaped, as JSON does
    assert "tip.tokens is -5, outside 0..2147483647" in html
    assert re.search(r'data-count="events">2<', html) and re.search(r'data-count="affiliate">1<', html)
    only = client.get("/feed-quarantine/?source=affiliate").get_data(as_text=True)
    assert re.findall(r'<td class="text-break">([^<]*)</td>', only) == ["&lt;b&gt;bad&lt;/b&gt;"]


def test_quarantine_page_is_paged_by_key(client, login_as, app, monkeypatch):
    for k in range(5):
        _poison(k, f"p-{k}")
    monkeypatch.setattr(quarantine, "PAGE_SIZE", 2)
    login_as("admin")
    seen, url = [], "/feed-quarantine/"
    while url:
        html = client.get(url).get_data(as_text=True)
        seen += re.findall(r'<td class="text-break">(p-\d)</td>', html)
        older = re.search(r'data-testid="older" href="([^"]+)"', html)
        url = older.group(1).replace("&amp;", "&") if older else None
    assert seen == ["p-4", "p-3", "p-2", "p-1", "p-0"]


def test_events_api_page_links_to_the_quarantine(client, login_as, app):
    _poison(1, "p-1")
    login_as("admin")
    html = client.get("/events-api/").get_data(as_text=True)
    assert re.search(r'data-testid="quarantine-state">1 events, 0 rooms', html)
    assert 'href="/feed-quarantine/"' in html


def test_viewer_and_subscriber_may_not_read_the_quarantine(client, login_as, app):
    login_as("subscriber")
    assert client.get("/feed-quarantine/").status_code == 403
