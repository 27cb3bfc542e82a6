"""The README's demo: every page has something to show, and the scheduler the run command starts reaches
nothing (docs/operator.md#the-demo-reaches-nothing)."""

from __future__ import annotations

import ipaddress
import re
import socket

import pytest
from sqlalchemy import select

from mhc.extensions import db
from mhc.jobs import scheduler
from mhc.models import HeldFollowList, JobRun, Person, PriorityLookup, utcnow
from mhc.services.users import priorities
from tests.waiting import ENDED, wait_until

DEMO_KINDS = {"follow_sync", "artifact_cleanup", "profile_scrape"}  # the sample runs the demo writes


@pytest.fixture
def demo(app, runner):
    result = runner.invoke(args=["demo-data", "--persons", "150", "--seed", "5"])
    assert result.exit_code == 0, result.output
    assert "demo scene:" in result.output
    return {r.id for r in db.session.scalars(select(JobRun))}


@pytest.fixture
def outbound(monkeypatch):
    """Every connection attempt to an address that is not this machine, refused and remembered."""
    tried = []
    real_connect = socket.socket.connect

    def connect(sock, address):
        host = address[0] if isinstance(address, tuple) else None
        if host is not None:
            try:
                local = ipaddress.ip_address(host).is_loopback
            except ValueError:
                local = host == "localhost"
            if not local:
                tried.append(address)
                raise ConnectionRefusedError(f"test: no network ({address})")
        return real_connect(sock, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    return tried


def test_demo_marks_its_lookups_and_the_p2_round_skips_them(app, demo):
    lookups = list(db.session.scalars(select(PriorityLookup)))
    assert lookups and all(row.note == priorities.DEMO_NOTE for row in lookups)
    # Make sure a P2 demo lookup exists, then ask the round whom it would scrape: nobody.
    db.session.execute(PriorityLookup.__table__.update().values(priority=2, status="queued"))
    db.session.commit()
    assert priorities.p2_person_ids(db.session) == []


def test_the_run_commands_scheduler_reaches_nothing(app, demo, outbound):
    """The ticks the embedded scheduler runs: nothing contacts a site, and no run fails but the demo's sample."""
    db.session.execute(PriorityLookup.__table__.update().values(priority=2, status="queued"))
    db.session.commit()
    started = scheduler.tick(app)
    assert "affiliate_poll" not in started  # AFFILIATE_WM is not set: the poll is off

    def all_ended():
        db.session.expire_all()
        runs = [r for r in db.session.scalars(select(JobRun)) if r.id not in demo]
        return runs if runs and all(r.status in ENDED for r in runs) else None

    runs = wait_until(all_ended, 30, interval=0.1, message="the ticked runs to end")
    assert {r.kind for r in runs} <= {"p2_scrape", "artifact_cleanup"}
    p2 = [r for r in runs if r.kind == "p2_scrape"]
    assert p2 and p2[0].counts == {"persons": 0}
    assert scheduler.tick(app, utcnow()) == []  # nothing more is due on the next tick
    failed = list(db.session.scalars(select(JobRun).where(JobRun.status == "failed")))
    assert [r.id for r in failed if r.id not in demo] == []
    assert len(failed) == 1 and failed[0].kind == "profile_scrape"  # the demo's own sample failure
    assert outbound == []


PAGES = {
    "/": None,
    "/users/directory/": "data-person-link|/profile/",
    "/users/following/": "/profile/",
    "/users/followers/": "/profile/",
    "/users/unfollowed/": "/profile/",
    "/hudson/": 'data-testid="top-tippers"',
    "/events/": "data-person-link",
    "/jobs/": 'data-testid="error"',
    "/follow-lists/": 'data-testid="review-held"',
    "/alerts/": "Demo channel",
}
EMPTY_WORDS = {
    "/hudson/": ("No broadcast recorded yet", "No sessions.", "No tips.", "No broadcasts in 90 days."),
    "/events/": ("No events.",),
    "/jobs/": ("No runs yet.",),
    "/follow-lists/": ("No syncs yet.",),
}


def test_every_page_has_content(app, demo, client, login_as):
    login_as("admin")
    for url, marker in PAGES.items():
        resp = client.get(url)
        assert resp.status_code == 200, url
        html = resp.get_data(as_text=True)
        if marker:
            assert re.search(marker, html), (url, marker)
        for empty in EMPTY_WORDS.get(url, ()):
            assert empty not in html, (url, empty)
    alerts = client.get("/alerts/").get_data(as_text=True)
    assert "A tipper of 100 tokens unfollows" in alerts and alerts.count("unfollowed you") >= 2  # rule, log
    hudson = client.get("/hudson/").get_data(as_text=True)
    assert 'data-testid="account-stats"' in hudson and 'class="heat-' in hudson
    name = db.session.scalar(select(Person.username).where(Person.interactions_count > 0).limit(1))
    assert client.get(f"/profile/{name}").status_code == 200


def test_the_failed_sample_run_keeps_its_artifacts(app, demo, client, login_as):
    login_as("admin")
    failed = db.session.scalars(select(JobRun).where(JobRun.status == "failed")).one()
    page = client.get(f"/jobs/{failed.id}/?details=1").get_data(as_text=True)
    assert "Site unreachable" in page  # the failure in words, with the raw text one click away
    for testid in ("error", "traceback", "artifacts"):
        assert f'data-testid="{testid}"' in page
    assert 'data-testid="targets"' in page and "/profile/" in page
    shot = client.get(f"/jobs/{failed.id}/artifact/screenshot")
    assert shot.status_code == 200 and shot.data.startswith(b"\x89PNG")
    assert b"can't be reached" in client.get(f"/jobs/{failed.id}/artifact/html").data


def test_the_held_sample_sync_lists_names(app, demo, client, login_as):
    login_as("admin")
    held = db.session.scalars(select(HeldFollowList)).one()
    page = client.get(f"/follow-lists/held/{held.id}").get_data(as_text=True)
    assert page.count('data-testid="name"') >= 3
    assert re.search(r"mark [1-9]\d* persons as unfollowed", page)  # the guard held it for real removals
    assert "/profile/" in page


def test_loading_twice_writes_the_scene_once(app, runner, demo):
    again = runner.invoke(args=["demo-data", "--persons", "10", "--seed", "6", "--force"])
    assert again.exit_code == 0, again.output
    assert "demo scene" not in again.output
    assert db.session.query(HeldFollowList).count() == 1


def test_the_sample_runs_are_never_retried(app, demo, client, login_as, auth):
    """Retrying the demo's failed profile read would look a made-up person up on the live site."""
    login_as("admin")
    failed = db.session.scalars(select(JobRun).where(JobRun.status == "failed")).one()
    page = client.get(f"/jobs/{failed.id}/").get_data(as_text=True)
    assert 'data-testid="retry" disabled' in page and 'data-testid="retry-needs"' in page
    answer = client.post(f"/jobs/{failed.id}/retry", data={"csrf_token": auth.csrf("/jobs/")}, follow_redirects=True)
    assert "Not retried: Demo sample" in answer.get_data(as_text=True)
    assert db.session.scalars(select(JobRun).where(JobRun.retry_of_id == failed.id)).all() == []
