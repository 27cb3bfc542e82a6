"""Events page, Events API settings and the owner dashboard, through the test client."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy import func, select

from mhc.extensions import db
from mhc.models import AuditLog, Interaction, StoredSecret
from mhc.models.owner import OwnerStatsSample
from mhc.services import secrets
from mhc.services.sources import events_cursor, events_feed
from tests.services.sources.events.feed import OWNER, T0, ev, ingest, msg


def _ingest(batch, minutes=0, cursor="http://x/?i=1"):
    ingest(batch, cursor, T0 + timedelta(minutes=minutes), OWNER)


@pytest.fixture
def sample(app):
    _ingest(
        [
            ev("c1", "chatMessage", user="fan", message=msg("<img src=x onerror=alert(1)>")),
            ev("t1", "tip", user="fan", tip={"tokens": 7, "isAnon": False, "message": ""}),
            ev("t2", "tip", user="fan", tip={"tokens": 7, "isAnon": False, "message": ""}),
            ev("e1", "userEnter", user="fan"),
            ev("d1", "privateMessage", room="", user=OWNER, message=msg("dm", fromUser=OWNER, toUser="pal")),
            ev("p1", "privateMessage", user="fan", message=msg("pm", fromUser="fan", toUser=OWNER)),
            ev("b1", "broadcastStart", user=OWNER),
        ]
    )


def test_events_page_tabs_counts_and_escaped_text(client, login_as, sample):
    login_as("viewer")
    html = client.get("/events/").get_data(as_text=True)
    for key, count in {
        "all": 7,
        "chat": 1,
        "direct": 1,
        "private": 1,
        "tips": 2,
        "enter": 1,
        "follows": 0,
        "broadcasts": 1,
    }.items():
        assert f'data-count="{key}" title="exact">{count}</span>' in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "<img src=x" not in html
    tips = client.get("/events/?tab=tips").get_data(as_text=True)
    assert tips.count("data-event-id=") == 2


def test_filters_by_person_room_and_date(client, login_as, sample):
    login_as("viewer")
    assert client.get("/events/?person=pal").get_data(as_text=True).count("data-event-id=") == 1
    assert client.get("/events/?room=hudson").get_data(as_text=True).count("data-event-id=") == 6
    assert client.get("/events/?since=2026-11-21").get_data(as_text=True).count("data-event-id=") == 0
    assert client.get("/events/?since=2026-11-20&until=2026-11-20").get_data(as_text=True).count("data-event-id=") == 7


def test_keyset_pages_cover_every_row_once(app, sample):
    _ingest([ev(f"x{i}", "userLeave", user="fan") for i in range(5)], minutes=1, cursor="http://x/?i=2")
    seen, before = [], None
    while True:
        page = events_feed.page(db.session, events_feed.EventFilters(), before=before, size=3)
        seen += [r["id"] for r in page.rows]
        if not page.next_cursor:
            break
        before = page.next_cursor
    ids = db.session.scalars(
        select(Interaction.id).order_by(Interaction.occurred_at.desc(), Interaction.id.desc())
    ).all()
    assert seen == ids and len(ids) == 12


def test_feed_json_returns_only_newer_rows_and_counts(client, login_as, sample):
    login_as("viewer")
    first = client.get("/events/feed.json").get_json()
    newest = first["rows"][0]["cursor"]
    _ingest(
        [ev("t3", "tip", user="fan", tip={"tokens": 1, "isAnon": False, "message": ""})],
        minutes=1,
        cursor="http://x/?i=2",
    )
    body = client.get(f"/events/feed.json?tab=tips&after={newest}").get_json()
    assert [r["text"] for r in body["rows"]] == [None]
    assert [r["amount"] for r in body["rows"]] == [1]
    assert body["counts"]["tips"] == "3"


def test_multi_type_tab_merges_types_in_time_order(app, sample):
    _ingest([ev("l1", "userLeave", user="fan")], minutes=1, cursor="http://x/?i=2")
    _ingest([ev("e2", "userEnter", user="fan")], minutes=2, cursor="http://x/?i=3")
    rows = events_feed.page(db.session, events_feed.EventFilters(tab="enter")).rows
    assert [r["type"] for r in rows] == ["userEnter", "userLeave", "userEnter"]


def test_token_form_stores_secret_never_shows_it(client, login_as, auth):
    admin = login_as("admin")
    token = auth.csrf("/events-api/")
    response = client.post(
        "/events-api/", data={"csrf_token": token, "events_token": "secret-token-123", "stats_token": ""}
    )
    assert response.status_code == 302
    assert secrets.get(db.session, secrets.EVENTS_TOKEN) == "secret-token-123"
    assert db.session.get(StoredSecret, events_cursor.STATS_TOKEN) is None
    html = client.get("/events-api/").get_data(as_text=True)
    assert "secret-token-123" not in html
    assert 'data-testid="token-state">set ' in html
    entry = db.session.scalar(select(AuditLog).where(AuditLog.object_id == secrets.EVENTS_TOKEN))
    assert entry.action == "secret_set" and "secret-token-123" not in str(entry.diff)
    assert (entry.user_id, entry.username) == (admin.id, admin.username)


def test_new_token_drops_the_old_cursor(app):
    secrets.put(db.session, secrets.EVENTS_NEXT_URL, "http://x/old/?i=9")
    db.session.commit()
    assert events_cursor.save_tokens(db.session, "new-token-456") == [secrets.EVENTS_TOKEN]
    assert secrets.get(db.session, secrets.EVENTS_NEXT_URL) is None


def test_token_form_refused_without_manage_jobs(client, login_as, auth):
    login_as("subscriber")
    assert client.get("/events-api/").status_code == 403
    assert client.post("/events-api/", data={"events_token": "x" * 10}).status_code in (400, 403)
    assert secrets.get(db.session, secrets.EVENTS_TOKEN) is None


def test_listener_error_shown_on_settings_page(client, login_as, app):
    from mhc.models import JobRun, utcnow

    db.session.add(
        JobRun(kind="events_listen", status="failed", error="EventsTokenError: refused (HTTP 401)", created_at=utcnow())
    )
    db.session.commit()
    login_as("admin")
    html = client.get("/events-api/").get_data(as_text=True)
    assert (
        'data-testid="listener-error"><strong>Token refused:</strong> '
        "The Events API refused the token: it expired or was replaced.</span>"
    ) in html


def test_hudson_dashboard_numbers_and_charts(client, login_as, app):
    _ingest([ev("s1", "broadcastStart", user=OWNER)], minutes=0, cursor="http://x/?i=1")
    _ingest(
        [
            ev(f"t{i}", "tip", user=f"fan{i % 2}", tip={"tokens": 10 + i, "isAnon": False, "message": ""})
            for i in range(4)
        ],
        minutes=5,
        cursor="http://x/?i=2",
    )
    _ingest([ev("x1", "broadcastStop", user=OWNER)], minutes=65, cursor="http://x/?i=3")
    for minutes, viewers, followers in ((10, 40, 300), (30, 55, 305)):
        db.session.add(
            OwnerStatsSample(
                observed_at=T0 + timedelta(minutes=minutes),
                username=OWNER,
                num_viewers=viewers,
                num_followers=followers,
            )
        )
    db.session.commit()
    from mhc.services.owner import dashboard

    board = dashboard.build(db.session, OWNER, T0 + timedelta(hours=2))
    s = board.current_session
    assert (s.duration, s.tokens, s.tips, s.peak_viewers, s.live) == (
        timedelta(minutes=65),
        10 + 11 + 12 + 13,
        4,
        55,
        False,
    )
    assert board.top_tippers == [("fan1", 24, 2), ("fan0", 22, 2)]
    assert board.followers_now == 305
    assert dashboard.followers_series(db.session) == [
        ((T0 + timedelta(minutes=10)).isoformat(), 300),
        ((T0 + timedelta(minutes=30)).isoformat(), 305),
    ]
    login_as("subscriber")
    html = client.get("/hudson/").get_data(as_text=True)
    assert 'data-chart="line" data-url="/hudson/followers.json"' in html
    assert "charts.js" in html
    assert 'data-testid="followers-now">305<' in html and "as of " in html
    assert client.get("/hudson/followers.json").get_json()["points"][-1][1] == 305
    assert len(client.get("/hudson/net-follows.json").get_json()["points"]) == 30


def test_hudson_says_when_the_stats_api_was_never_read(client, login_as):
    login_as("subscriber")
    html = client.get("/hudson/").get_data(as_text=True)
    assert 'data-testid="followers-now">—<' in html
    assert "not read yet (Stats API token under " in html
    assert '<a href="/events-api/" data-page-link="events_api">Admin → Events API</a>' in html  # a link to it


def test_hudson_refused_for_viewer_and_read_only(client, login_as, app):
    login_as("viewer")
    assert client.get("/hudson/").status_code == 403
    assert client.get("/hudson/followers.json").status_code == 403


@pytest.mark.parametrize("app_config", [{"OWNER_DISPLAY_NAME": "Maxwell"}])
def test_owner_display_name_is_the_nav_label(client, login_as, app):
    login_as("admin")
    html = client.get("/hudson/").get_data(as_text=True)
    nav = re.search(r'href="/hudson/">\s*(\S+)</a>', html)
    assert nav and nav.group(1) == "Maxwell"


def _table_counts():
    from mhc.extensions import db as _db

    return {
        t.name: _db.session.execute(select(func.count()).select_from(t)).scalar() for t in _db.metadata.sorted_tables
    }


def test_hudson_growth_syncs_and_viewing_changes_nothing(client, login_as, app):
    from mhc.models import utcnow

    now = utcnow()
    ingest(
        [ev("fa", "follow", user="fan_a"), ev("fb", "follow", user="fan_b"), ev("ua", "unfollow", user="fan_a")],
        "http://x/?i=1",
        now - timedelta(days=3),
        OWNER,
    )
    ingest([ev("fc", "follow", user="fan_c")], "http://x/?i=2", now - timedelta(days=20), OWNER)
    from mhc.services.owner import dashboard

    board = dashboard.build(db.session, OWNER, now)
    assert (board.new_followers, board.unfollows, board.net(7), board.net(30)) == ({7: 2, 30: 3}, {7: 1, 30: 1}, 1, 2)
    assert board.tracked_followers == 2
    assert [(n, a) for n, a, _s, _t in board.recent_follows] == [
        ("fan_a", "unfollow"),
        ("fan_b", "follow"),
        ("fan_a", "follow"),
        ("fan_c", "follow"),
    ]
    assert board.insights.unfollows_7d == 1
    login_as("admin")
    before = _table_counts()
    html = client.get("/hudson/").get_data(as_text=True)
    for path in ("/hudson/followers.json", "/hudson/net-follows.json", "/hudson/session-tokens.json"):
        assert client.get(path).status_code == 200
    after = _table_counts()
    after.pop("audit_log", None), before.pop("audit_log", None)
    assert after == before
    assert html.count('action="/follow-lists/sync"') == 2
    assert 'name="direction" value="follower"' in html
    assert 'data-testid="net-7">+1</strong>' in html


def test_hudson_sync_buttons_hidden_without_manage_jobs(client, login_as, app):
    login_as("subscriber")
    html = client.get("/hudson/").get_data(as_text=True)
    assert client.get("/hudson/").status_code == 200
    assert "/follow-lists/sync" not in html


def test_counts_above_the_cap_are_labelled_approximate(app, sample, monkeypatch):
    monkeypatch.setattr(events_feed, "COUNT_CAP", 1)
    if db.engine.dialect.name == "postgresql":
        db.session.execute(sa.text("ANALYZE interactions"))
    counts = events_feed.tab_counts(db.session, events_feed.EventFilters(since=T0 - timedelta(days=1)))
    approximate = {k for k, c in counts.items() if c.approximate}
    assert approximate == {"all", "tips"}  # over the cap: 7 and 2 rows
    assert all(str(counts[k]).startswith("≈ ") and counts[k].value >= 2 for k in approximate)
    assert {k: c.value for k, c in counts.items() if not c.approximate} == {
        "chat": 1,
        "direct": 1,
        "private": 1,
        "enter": 1,
        "follows": 0,
        "broadcasts": 1,
    }
    # A multi-type tab over the cap goes through the planner estimate too (expanding IN parameters).
    _ingest([ev("e9", "userLeave", user="fan")], minutes=1, cursor="http://x/?i=2")
    assert events_feed.tab_counts(db.session, events_feed.EventFilters())["enter"].approximate is True
