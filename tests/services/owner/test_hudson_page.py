"""The Hudson page's "where followers come from" sections: shown to a user with view_stats, refused without
it, hostile usernames escaped."""

from __future__ import annotations

from datetime import timedelta

from bs4 import BeautifulSoup

from mhc.models import utcnow
from tests.factories import make_broadcast_session, make_follow_event, make_interaction, make_person

HOSTILE = '<script>alert(1)</script>"x'


def test_sections_render_with_names_linked_and_escaped(app, client, login_as):
    now = utcnow()
    started = now - timedelta(hours=3)
    b = make_broadcast_session(started, now - timedelta(hours=1))
    mallory, alice = make_person(HOSTILE, "VIEWER"), make_person("alice", "VIEWER")
    make_follow_event(mallory, "follower", "follow", started + timedelta(minutes=10), source="events_api")
    make_follow_event(alice, "follower", "follow", now - timedelta(days=40), source="events_api")
    make_follow_event(alice, "follower", "unfollow", started + timedelta(minutes=20), source="events_api")
    make_interaction("tip", started + timedelta(minutes=5), person=alice, room="hudson", amount=25)
    login_as("admin")
    response = client.get("/hudson/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<script>alert(1)" not in html
    page = BeautifulSoup(html, "html.parser")
    row = page.select_one(f'[data-testid="broadcast-stats"] tr[data-broadcast-id="{b.id}"]')
    assert [row.select_one(f'[data-testid="{k}"]').get_text(strip=True) for k in ("tips", "tokens", "net")] == [
        "1",
        "25",
        "0",
    ]
    gained = row.select_one('[data-testid="gained"] a')
    assert (gained.get_text(), gained["href"]) == (HOSTILE, "/profile/%3Cscript%3Ealert(1)%3C/script%3E%22x")
    assert row.select_one('[data-testid="lost"] a').get_text() == "alice"
    assert page.select_one('[data-testid="top-broadcasts"] tr[data-broadcast-id]')["data-broadcast-id"] == str(b.id)
    follows = page.select_one('[data-testid="heatmap-follows"]')
    assert sum(int(td.get_text() or 0) for td in follows.select("td")) == 2  # both follows are within 90 days
    assert len(follows.select("tbody tr")) == 7 and len(follows.select("tbody tr")[0].select("td")) == 24
    cohort = page.select_one(f'[data-testid="retention"] tr[data-month="{now.strftime("%Y-%m")}"]')
    assert cohort.select_one('[data-horizon="30"]').get_text(strip=True) == "-"
    assert page.select_one('[data-testid="chart-retention"]')["data-url"] == "/hudson/retention.json"


def test_retention_json(app, client, login_as):
    login_as("subscriber")
    response = client.get("/hudson/retention.json")
    assert (response.status_code, response.get_json()) == (200, {"points": []})


def test_refused_without_view_stats(app, client, login_as):
    login_as("viewer")
    assert client.get("/hudson/").status_code == 403
    assert client.get("/hudson/retention.json").status_code == 403
