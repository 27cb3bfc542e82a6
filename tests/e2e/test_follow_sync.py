"""follow_sync against the fake Chaturbate in Debian Chromium: every abort case changes nothing and says
why; a complete list is applied; the mass-removal guard holds; a real (embedded) worker runs it end to end."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from mhc.extensions import db
from mhc.jobs.follow_jobs import confirm_held_run, enqueue_follow_sync, run_follow_sync_here
from mhc.models import FollowEvent, JobRun, Person, Profile
from mhc.models.owner import OwnerStatsSample
from mhc.services import secrets
from mhc.services.follow_ledger import apply_follow_list

pytestmark = pytest.mark.e2e

T0 = datetime(2026, 1, 1, tzinfo=UTC)
FOLLOWING = ["alice", "bob", "carol", "dave", "erin", "frank"]


@pytest.fixture
def app_config(fake_cb_config):
    return fake_cb_config


@pytest.fixture
def seeded(app):
    """The owner follows alice, bob and zed; viewer_1 and old_fan follow the owner; cookies imported."""
    secrets.store_cookies(db.session, "sessionid=fake-session; csrftoken=fake-csrf")
    apply_follow_list(db.session, "following", ["alice", "bob", "zed"], T0, "manual_import")
    apply_follow_list(db.session, "follower", ["viewer_1", "old_fan"], T0, "manual_import")


def snapshot() -> tuple:
    """Follow state and history, exactly."""
    db.session.expire_all()
    profiles = db.session.execute(
        select(
            Person.username,
            Profile.following,
            Profile.following_since,
            Profile.unfollowed_at,
            Profile.following_checked_at,
            Profile.follower,
            Profile.follower_since,
            Profile.unfollower_at,
            Profile.follower_checked_at,
        )
        .join(Profile)
        .order_by(Person.username)
    ).all()
    events = db.session.execute(select(FollowEvent.__table__).order_by(FollowEvent.id)).all()
    persons = db.session.scalars(select(Person.username).order_by(Person.username)).all()
    return [tuple(r) for r in profiles], [tuple(e) for e in events], list(persons)


def marked(direction: str) -> list[str]:
    db.session.expire_all()
    column = Profile.following if direction == "following" else Profile.follower
    return db.session.scalars(select(Person.username).join(Profile).where(column).order_by(Person.username)).all()


ABORTS = [
    ("logged_out", {"follow_faults": {"online:1": "login"}}, "redirected to the login page"),
    ("home_redirect", {"follow_faults": {"offline:1": "home"}}, "redirected to the home page"),
    ("wrong_account", {"follow_logged_in_as": "someone_else"}, "logged in as 'someone_else', not as the owner"),
    ("cloudflare", {"follow_faults": {"online:2": "cloudflare"}}, "Cloudflare challenge (Just a moment) did not clear"),
    ("fails_mid_list", {"follow_faults": {"online:2": "error"}}, "online page 2 answered HTTP 500"),
    ("empty_mid_list", {"follow_faults": {"online:2": "empty"}}, "online page 2 of 2 came back empty"),
    ("truncated", {"follow_hidden": ["carol", "dave", "erin"]}, "found 3 but expected 6 (tolerance 2)"),
    ("empty_list", {"follow_online": [], "follow_offline": [], "follow_total": 6}, "found 0 but expected 6"),
]


@pytest.mark.parametrize(("name", "scenario", "reason"), ABORTS, ids=[a[0] for a in ABORTS])
def test_abort_changes_nothing_and_says_why(seeded, fake_cb, name, scenario, reason):
    fake_cb.state.update(scenario)
    before = snapshot()
    run = run_follow_sync_here("following")
    assert run.status == "failed"
    assert "FollowSyncAborted" in run.error and reason in run.error, run.error
    assert snapshot() == before
    assert Path(run.artifacts["html"]).is_file() and Path(run.artifacts["screenshot"]).is_file()


def test_no_cookies_aborts(app, fake_cb):
    run = run_follow_sync_here("following")
    assert run.status == "failed"
    assert "no Chaturbate session cookies imported" in run.error
    assert fake_cb.requests == []


def test_followers_short_of_stats_count_aborts(seeded, fake_cb):
    db.session.add(OwnerStatsSample(observed_at=T0, username="hudson", num_followers=9))
    db.session.commit()
    before = snapshot()
    run = run_follow_sync_here("followers")
    assert run.status == "failed"
    assert "found 5 but expected 9 (tolerance 2): the list is partial; expected count from Stats API" in run.error
    assert snapshot() == before


def test_following_sync_applies_complete_list(seeded, fake_cb):
    lines = []
    run = run_follow_sync_here("following", echo=lines.append)
    assert run.status == "finished", run.error
    assert marked("following") == FOLLOWING
    assert {k: run.counts[k] for k in ("added", "removed", "unchanged", "pages", "found", "expected", "tolerance")} == {
        "added": 4,
        "removed": 1,
        "unchanged": 2,
        "pages": 3,
        "found": 6,
        "expected": 6,
        "tolerance": 2,
    }
    assert [p for p in fake_cb.requests if "followed-cams" in p] == [
        "/followed-cams/?page=1",
        "/followed-cams/?page=2",
        "/followed-cams/offline/?page=1",
    ]
    assert lines[-1] == "offline: page 1 of 1; 3 page(s) read, 6 person(s) found"
    db.session.expire_all()
    zed = db.session.scalar(select(Profile).join(Person).where(Person.username == "zed"))
    assert (zed.following, zed.unfollowed_at.isoformat()) == (False, run.counts["observed_at"])
    sources = db.session.scalars(select(FollowEvent.source).where(FollowEvent.job_run_id == run.id)).all()
    assert sorted(sources) == ["list_scrape"] * 5


def test_followers_without_yardstick_says_so(seeded, fake_cb):
    run = run_follow_sync_here("followers")
    assert run.status == "finished", run.error
    assert run.counts["expected"] is None
    assert run.counts["expected_from"] == "nothing: no follower count known, completeness rests on the pager"
    assert marked("follower") == ["viewer_1", "viewer_2", "viewer_3", "viewer_4", "viewer_5"]


def test_mass_removal_is_held_until_confirmed(app, fake_cb):
    secrets.store_cookies(db.session, "sessionid=fake-session")
    many = [f"old_{i}" for i in range(20)]
    apply_follow_list(db.session, "following", FOLLOWING + many, T0, "manual_import")
    before = snapshot()
    run = run_follow_sync_here("following")
    assert run.status == "held", run.error
    assert (run.counts["held"], run.counts["removed"], run.counts["current"]) == (True, 20, 26)
    assert snapshot() == before
    confirm_held_run(run.id)
    assert marked("following") == FOLLOWING
    db.session.expire_all()
    run = db.session.get(JobRun, run.id)
    assert (run.status, run.counts["removed"], run.counts["held"]) == ("finished", 20, False)


def test_worker_runs_the_sync(seeded, fake_cb):
    run = enqueue_follow_sync("followers")
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        db.session.expire_all()
        run = db.session.get(JobRun, run.id)
        if run.status not in ("queued", "running"):
            break
        time.sleep(0.2)
    assert run.status == "finished", run.error
    assert (run.counts["added"], run.counts["removed"], run.counts["unchanged"]) == (4, 1, 1)
    assert run.progress == 100
    assert marked("follower") == ["viewer_1", "viewer_2", "viewer_3", "viewer_4", "viewer_5"]
