"""A second app with its own instance folder (another host) confirms held lists and serves artifacts:
both come from the database, nothing from the disk of the host that ran the browser."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from bs4 import BeautifulSoup

from mhc.extensions import db
from mhc.jobs.follow_jobs import run_follow_sync_here
from mhc.models import HeldFollowList
from mhc.services import secrets
from mhc.services.follows.follow_ledger import apply_follow_list
from tests.conftest import AuthActions, make_app

pytestmark = pytest.mark.e2e
T0 = datetime(2026, 1, 1, tzinfo=UTC)
FOLLOWING = ["alice", "bob", "carol", "dave", "erin", "frank"]


@pytest.fixture
def app_config(fake_cb_config):
    return fake_cb_config


@pytest.fixture
def other_host(app, _migrated, tmp_path):
    """The panel on another machine: same database, a different (empty) instance folder."""
    other = make_app(_migrated, tmp_path / "other-host")
    yield other
    other.extensions["mhc_jobs"].close()
    with other.app_context():
        db.engine.dispose()


@pytest.fixture
def other_auth(other_host, make_user) -> AuthActions:
    return AuthActions(other_host.test_client(), make_user)


def test_a_held_list_is_confirmed_on_another_host(app, fake_cb, other_auth, instance_dir):
    secrets.store_cookies(db.session, "sessionid=fake-session")
    apply_follow_list(db.session, "following", FOLLOWING + [f"old_{i}" for i in range(20)], T0, "manual_import")
    run_id = run_follow_sync_here("following").id
    admin = other_auth.as_role("admin")
    token = other_auth.csrf("/follow-lists/")
    fingerprint = db.session.get(HeldFollowList, run_id).fingerprint  # what the page's Confirm form carries
    page = other_auth.client.post(
        f"/follow-lists/runs/{run_id}/confirm",
        data={"csrf_token": token, "fingerprint": fingerprint},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "Applied: added 0, removed 20, unchanged 6." in page
    db.session.expire_all()
    held = db.session.get(HeldFollowList, run_id)
    assert (held.confirmed_by_id, held.applied["removed"], held.applied["unchanged"]) == (admin.id, 20, 6)
    assert len(held.usernames) == 6 and held.direction == "following"
    said = BeautifulSoup(page, "html.parser").get_text()  # the time is a <time> element (local in a browser)
    assert f"held list confirmed by {admin.username} at {held.confirmed_at:%Y-%m-%d %H:%M} UTC" in said
    assert not (instance_dir / "artifacts").exists()


def test_artifacts_of_a_failed_browser_run_are_served_on_another_host(app, fake_cb, other_auth, instance_dir):
    secrets.store_cookies(db.session, "sessionid=fake-session")
    fake_cb.state["follow_faults"] = {"online:2": "cloudflare"}
    run = run_follow_sync_here("following")
    assert run.status == "failed", run.error
    other_auth.as_role("admin")
    shot = other_auth.client.get(f"/jobs/{run.id}/artifact/screenshot")
    assert (shot.status_code, shot.mimetype, shot.data[:8]) == (200, "image/png", b"\x89PNG\r\n\x1a\n")
    html = other_auth.client.get(f"/jobs/{run.id}/artifact/html")
    assert (html.status_code, html.mimetype) == (200, "text/plain")
    assert "Just a moment" in html.get_data(as_text=True)
    assert html.headers["Content-Disposition"].startswith("attachment")
    detail = other_auth.client.get(f"/jobs/{run.id}/").get_data(as_text=True)
    assert f'<a href="/jobs/{run.id}/artifact/screenshot">screenshot</a>' in detail
    assert f'<img src="/jobs/{run.id}/artifact/screenshot"' in detail
    assert not (instance_dir / "artifacts").exists()
