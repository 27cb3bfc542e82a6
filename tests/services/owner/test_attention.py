"""Home's "Needs attention": failed and held runs, stale follow lists, missing configuration, new unfollowers
since the user's last visit, and today's numbers in the owner's time zone (both backends)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from bs4 import BeautifulSoup

from mhc.extensions import db
from mhc.models import AlertChannel, AlertDelivery, JobRun, SystemUser, utcnow
from mhc.services import secrets
from mhc.services.follows import sync
from mhc.services.follows.direction import Direction
from mhc.services.owner import attention
from tests.factories import make_follow_event, make_interaction, make_person

NOW = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)  # 11:00 in New York (EDT since March 8)
EVERYTHING = attention.Access(jobs=True, alerts=True, users=True, stats=True)
SETTINGS = attention.AttentionSettings("hudson", "America/New_York", affiliate_wm="abc")


@pytest.fixture
def app_config():
    return {"AFFILIATE_WM": "abc", "OWNER_TIMEZONE": "America/New_York", "OWNER_USERNAME": "hudson"}


def a_user() -> SystemUser:
    user = SystemUser(username=f"u_{uuid.uuid4().hex[:6]}", email=f"{uuid.uuid4().hex[:6]}@x.test", password_hash="x")
    db.session.add(user)
    db.session.commit()
    return user


def run(kind: str, status: str, at: datetime, lock: str | None = None, **columns) -> JobRun:
    row = JobRun(id=uuid.uuid4(), kind=kind, status=status, lock_key=lock, created_at=at, **columns)
    db.session.add(row)
    db.session.commit()
    return row


def set_up_everything(at: datetime = NOW) -> None:
    """Cookies, token, an alert channel and both lists read an hour ago: nothing left to do."""
    secrets.put(db.session, secrets.COOKIES, "[]")
    secrets.put(db.session, secrets.EVENTS_TOKEN, "token")
    db.session.add(AlertChannel(name="phone", kind="json", url_secret="x", enabled=True))
    db.session.commit()
    for direction in ("following", "follower"):
        run("follow_sync", "finished", at - timedelta(hours=1), args={"direction": direction}, finished_at=at)


def look(user: SystemUser, now: datetime = NOW, access=EVERYTHING, settings=SETTINGS) -> attention.Attention:
    return attention.needs_attention(db.session, user.id, settings, now, access)


def test_a_new_panel_needs_its_setup(app):
    found = look(a_user(), settings=attention.AttentionSettings("hudson"))
    assert found.missing == ["cookies", "events_token", "affiliate_wm", "alert_channel"]
    assert [(s.direction, s.last_read_at) for s in found.stale_lists] == [
        (Direction.FOLLOWING, None),
        (Direction.FOLLOWER, None),
    ]
    assert not found.nothing


def test_nothing_needs_attention_once_set_up(app):
    set_up_everything()
    found = look(a_user())
    assert found.nothing
    assert (found.missing, found.stale_lists, found.failed_runs, found.held_runs) == ([], [], [], [])


def test_a_failed_run_until_a_later_run_of_its_kind_finishes(app):
    set_up_everything()
    user = a_user()
    failed = run("affiliate_poll", "failed", NOW - timedelta(hours=2), lock="affiliate_poll", error="boom")
    run("affiliate_poll", "failed", NOW - timedelta(days=30), lock="affiliate_poll")  # old news
    assert [r.id for r in look(user).failed_runs] == [failed.id]
    run("affiliate_poll", "finished", NOW - timedelta(hours=1), lock="affiliate_poll", finished_at=NOW)
    assert look(user).failed_runs == []


def test_held_sync_and_stale_list(app):
    set_up_everything(NOW - timedelta(days=2))
    held = run("follow_sync", "held", NOW - timedelta(hours=3), args={"direction": "follower"}, counts={"removed": 40})
    sync.hold(db.session, Direction.FOLLOWER, ["a"], NOW, source="list_scrape", actor_id=None,
              max_age=timedelta(days=7), run_id=held.id)  # fmt: skip
    found = look(a_user(), now=utcnow())
    assert [(h.run_id, h.direction, h.removed) for h in found.held_runs] == [(held.id, Direction.FOLLOWER, 40)]
    assert {s.direction for s in found.stale_lists} == {Direction.FOLLOWING, Direction.FOLLOWER}
    assert all(s.age_seconds > 86400 for s in found.stale_lists)


def test_new_unfollowers_since_this_users_last_visit(app):
    set_up_everything()
    me, other = a_user(), a_user()
    assert look(me).new_unfollowers == 0  # the first visit sets the mark
    fans = [make_person(f"fan_{i}", "VIEWER") for i in range(3)]
    for fan in fans:  # recorded after the visit, whenever they were observed
        make_follow_event(fan, "follower", "unfollow", NOW - timedelta(days=3), created_at=utcnow())
    make_follow_event(fans[0], "following", "unfollow", NOW, created_at=utcnow())  # the owner's own unfollow
    second = look(me, now=utcnow())
    assert second.new_unfollowers == 3 and not second.nothing
    assert look(me, now=utcnow()).new_unfollowers == 0  # seen now
    assert look(other).new_unfollowers == 0  # another user's first visit: nothing "since" yet
    db.session.expire_all()
    assert db.session.get(SystemUser, me.id).home_seen_at is not None


def test_today_counts_from_the_owners_local_midnight(app):
    midnight = datetime(2026, 3, 10, 4, 0, tzinfo=UTC)  # 00:00 in New York
    fan, other = make_person("fan", "VIEWER"), make_person("other", "VIEWER")
    make_follow_event(fan, "follower", "follow", midnight + timedelta(minutes=5))
    make_follow_event(other, "follower", "follow", midnight - timedelta(minutes=5))  # yesterday, locally
    make_follow_event(other, "follower", "unfollow", midnight + timedelta(hours=2))
    make_interaction("tip", midnight + timedelta(hours=1), person=fan, room="hudson", from_username="fan", amount=25)
    make_interaction("tip", midnight + timedelta(hours=1), person=fan, room="hudson", from_username="fan", amount=10)
    make_interaction("tip", midnight - timedelta(hours=1), person=fan, room="hudson", from_username="fan", amount=99)
    make_interaction("tip", midnight + timedelta(hours=1), person=fan, room="elsewhere", from_username="fan", amount=7)
    today = look(a_user()).today
    assert today.since == midnight
    assert (today.new_followers, today.unfollows, today.tips, today.tokens) == (1, 1, 2, 35)
    viewer = look(a_user(), access=attention.Access(users=True))
    assert (viewer.today.tips, viewer.today.tokens, viewer.missing, viewer.stale_lists) == (0, 0, [], [])


def test_home_page_links_each_item(client, login_as):
    admin = login_as("admin")
    run("affiliate_poll", "failed", utcnow(), lock="affiliate_poll", error="boom")
    soup = BeautifulSoup(client.get("/").get_data(as_text=True), "html.parser")
    items = {li["data-kind"]: li for li in soup.select("[data-testid=attention-item]")}
    assert set(items) == {
        "failed-run",
        "stale-list",
        "missing-cookies",
        "missing-events_token",
        "missing-alert_channel",
    }
    assert items["missing-cookies"].a["href"] == "/follow-lists/#cookie-import"
    assert items["missing-alert_channel"].a["href"] == "/alerts/"
    assert items["failed-run"].a["href"].startswith("/jobs/")
    assert soup.select_one("[data-testid=today-tokens]")["href"] == "/hudson/"
    assert soup.select_one("[data-testid=today-unfollows]")["href"] == "/users/unfollowed/"
    assert soup.select_one("[data-testid=all-clear]") is None
    set_up_everything(utcnow())
    db.session.query(JobRun).filter(JobRun.kind == "affiliate_poll").delete()
    db.session.commit()
    page = client.get("/").get_data(as_text=True)
    assert "Nothing needs your attention." in page
    db.session.expire_all()
    assert db.session.get(SystemUser, admin.id).home_seen_at is not None


def test_a_viewer_sees_no_admin_items(client, login_as):
    login_as("viewer")
    soup = BeautifulSoup(client.get("/").get_data(as_text=True), "html.parser")
    assert soup.select("[data-testid=attention-item]") == []
    assert soup.select_one("[data-testid=all-clear]") is not None
    assert soup.select_one("[data-testid=today-tips]") is None
    assert soup.select_one("[data-testid=today-followers]")["href"] == "/users/followers/"


def test_alert_messages_not_sent_are_one_item_not_one_per_run(client, login_as):
    """Each delivery runs as its own job: Home counts the failed messages once, with the Alerts page's log."""
    now = utcnow()
    set_up_everything(now)
    channel = db.session.query(AlertChannel).one()
    for i, status in enumerate(("failed", "failed", "sent", "failed")):
        at = now - timedelta(days=30 if i == 3 else 1)  # the last one is old news
        db.session.add(AlertDelivery(channel_id=channel.id, idempotency_key=f"k{i}", title="t", body="b",
                                     status=status, created_at=at))  # fmt: skip
        run("alert_delivery", "failed" if status == "failed" else "finished", at, lock=f"alert_delivery:{i}")
    found = look(a_user(), now=now)
    assert (found.failed_alerts, found.failed_runs, found.nothing) == (2, [], False)
    assert look(a_user(), now=now, access=attention.Access(jobs=True)).failed_alerts == 0  # manage_alerts only
    login_as("admin")
    soup = BeautifulSoup(client.get("/").get_data(as_text=True), "html.parser")
    items = {li["data-kind"]: li for li in soup.select("[data-testid=attention-item]")}
    assert "failed-run" not in items
    assert items["failed-alerts"].a["href"] == "/alerts/#deliveries"
    assert items["failed-alerts"].a.get_text() == "2 alert messages could not be sent"
