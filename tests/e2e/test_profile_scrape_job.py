"""The profile_scrape job end to end: embedded worker, Debian Chromium, the fake profile pages."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from mhc.extensions import db
from mhc.jobs.profile_jobs import enqueue_profile_scrape
from mhc.models import FollowEvent, Person, PriorityLookup, Profile, Snapshot
from mhc.services import job_artifacts, secrets
from tests.factories import make_person
from tests.waiting import wait_for_run

pytestmark = pytest.mark.e2e


@pytest.fixture
def app_config(fake_cb_config):
    return {**fake_cb_config, "PROFILE_SCRAPE_CAP": 3}


def queued(username: str) -> uuid.UUID:
    """A person known only by name, queued for a P1 lookup."""
    return make_person(username, "UNKNOWN", lookup={"priority": 1, "status": "queued"}).id


def state(person_id) -> tuple:
    """(lookup status, failure reason, profile, snapshots) of a person, fresh from the database."""
    db.session.expire_all()
    lookup = db.session.scalar(select(PriorityLookup).where(PriorityLookup.person_id == person_id))
    profile = db.session.scalar(select(Profile).where(Profile.person_id == person_id))
    snaps = db.session.scalars(select(Snapshot).where(Snapshot.person_id == person_id)).all()
    return lookup.status, lookup.failure_reason, profile, snaps


def test_scrape_updates_profiles_and_completes_lookups(app, fake_cb):
    secrets.store_cookies(db.session, "sessionid=fake-session; csrftoken=fake-csrf")
    alice, bob, ghost, carol = (queued(n) for n in ("alice", "bob", "ghost_user", "carol"))
    fake_cb.state["profile_overrides"] = {
        "alice": {"following": True, "followers": "4321", "age": "24"},
        "bob": {"online": False, "following": False, "display_name": None},
        "ghost_user": {"exists": False},
    }
    run = wait_for_run(enqueue_profile_scrape([alice, bob, ghost, carol]).id, timeout=90)
    assert run.status == "finished", run.traceback
    assert run.counts == {
        "requested": 4,
        "scraped": 2,
        "rejected": 1,
        "follow_observed": 2,
        "over_cap": 1,
        "not_logged_in": 0,
    }
    assert "/carol/" not in fake_cb.requests
    assert [p for p in fake_cb.requests if p in ("/alice/", "/bob/", "/ghost_user/")] == [
        "/alice/",
        "/bob/",
        "/ghost_user/",
    ]

    status, reason, profile, snaps = state(alice)
    assert (status, reason) == ("complete", None)
    assert (profile.display_name, profile.age, profile.follower_count, profile.online) == ("Fake Name", 24, 4321, True)
    assert (profile.location, profile.bio, profile.has_fan_club) == ("Fakeville", "Hello from the fake server", True)
    assert [(s.source, s.follower_count, s.online, s.job_run_id) for s in snaps] == [
        ("profile_scrape", 4321, True, run.id)
    ]
    assert (profile.following, profile.following_since) == (True, snaps[0].observed_at)
    person = db.session.get(Person, alice)
    assert (person.age, person.num_followers, person.snapshots_count) == (24, 4321, 1)
    assert person.image_url == "https://thumb.live.mmcdn.com/ri/alice.jpg"

    status, _, profile, snaps = state(bob)
    assert status == "complete"
    assert (profile.display_name, profile.online, profile.following, len(snaps)) == (None, False, False, 1)
    history = db.session.execute(select(FollowEvent.person_id, FollowEvent.action, FollowEvent.source)).all()
    assert history == [(alice, "follow", "profile_scrape")]  # bob was never followed: nothing to record

    status, reason, profile, snaps = state(ghost)
    assert (status, reason, profile, snaps) == ("failed", "no canonical link: not a profile page", None, [])

    assert state(carol)[:2] == ("queued", None)


def test_browser_failure_keeps_artifacts_and_fails_the_run(app, fake_cb):
    """Cookies of another account: no follow state; a Cloudflare page that never clears fails the run."""
    secrets.store_cookies(db.session, "sessionid=someone-elses-session")
    fake_cb.state["profile_logged_in_as"] = "intruder"
    dave, erin, frank = (queued(n) for n in ("dave", "erin", "frank"))
    fake_cb.state["profile_overrides"] = {"dave": {"following": True}, "erin": {"challenge": True}}
    run = wait_for_run(enqueue_profile_scrape([dave, erin, frank]).id, timeout=90)
    assert run.status == "failed"
    url = f"{fake_cb.base_url}/erin/"
    assert run.error == f"ProfileFetchError: Cloudflare challenge (Just a moment) did not clear for {url}"

    assert set(run.artifacts) == {"username", "url", "screenshot", "html"}
    assert (run.artifacts["username"], run.artifacts["url"]) == ("erin", url)
    screenshot = job_artifacts.fetch(db.session, run.id, "screenshot")
    html = job_artifacts.fetch(db.session, run.id, "html")
    assert (screenshot.content[:8], screenshot.size, run.artifacts["screenshot"]) == (
        b"\x89PNG\r\n\x1a\n",
        len(screenshot.content),
        screenshot.size,
    )
    assert "Just a moment" in html.content.decode() and run.artifacts["html"] == html.size

    status, _, profile, snaps = state(dave)
    assert status == "complete" and len(snaps) == 1
    assert db.session.scalar(select(FollowEvent.id)) is None
    assert (profile.following, snaps[0].data["following"], snaps[0].data["logged_in_as"]) == (False, None, "intruder")
    status, reason, _, snaps = state(erin)
    assert (status, reason, snaps) == (
        "failed",
        f"profile page failed: Cloudflare challenge (Just a moment) did not clear for {url}",
        [],
    )
    assert state(frank)[:2] == ("queued", None)
    assert "/frank/" not in fake_cb.requests
