"""The whole path a person clicks: "Update Followers List" in the panel (Chromium) → a real RQ worker
(`python worker.py` on real Redis) → Playwright scrapes the fake Chaturbate → Followers and Unfollowed
show the result."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from mhc.extensions import db
from mhc.models.owner import OwnerStatsSample
from mhc.services import secrets
from mhc.services.follows.follow_ledger import apply_follow_list
from tests.e2e.conftest import log_in

REDIS_URL = os.environ.get("MHC_TEST_REDIS_URL")
ROOT = Path(__file__).resolve().parents[2]
T0 = datetime(2026, 1, 1, tzinfo=UTC)
pytestmark = [
    pytest.mark.e2e,
    pytest.mark.redis,
    pytest.mark.skipif(not REDIS_URL, reason="MHC_TEST_REDIS_URL is not set"),
]


@pytest.fixture
def app_config(fake_cb_config):
    return {**fake_cb_config, "REDIS_URL": REDIS_URL}


@pytest.fixture
def worker(app, tmp_path):
    """A real worker process on the test's database and queues, pointed at the fake Chaturbate."""
    cfg = app.config
    env = {
        **os.environ,
        "DATABASE_URL": cfg["SQLALCHEMY_DATABASE_URI"],
        "REDIS_URL": REDIS_URL,
        "MHC_QUEUE_PREFIX": cfg["QUEUE_PREFIX"],
        "CHATURBATE_BASE_URL": cfg["CHATURBATE_BASE_URL"],
        "MHC_OWNER_USERNAME": cfg["OWNER_USERNAME"],
        "BROWSER_PAGE_DELAY": "0-0",
        "MHC_SCHEDULER": "0",
        "MHC_INSTANCE_DIR": str(tmp_path),
        "MHC_SECRETS_KEY": ",".join(cfg["SECRETS_KEYS"]),  # the cookies were stored under the test key
    }
    log_path = tmp_path / "worker.log"
    with open(log_path, "w") as log:
        proc = subprocess.Popen([sys.executable, "worker.py"], cwd=ROOT, env=env, stdout=log, stderr=log)
        yield proc
        proc.terminate()
        proc.wait(20)


def test_update_followers_list_click_to_tabs(app, fake_cb, worker, live_server, browser_page, make_user):
    secrets.store_cookies(db.session, "sessionid=fake-session; csrftoken=fake-csrf")
    # old_fan is one of three: removing half or more of the followers would be held for confirmation.
    apply_follow_list(db.session, "follower", ["viewer_1", "viewer_2", "old_fan"], T0, "manual_import")
    db.session.add(OwnerStatsSample(observed_at=T0, username="hudson", num_followers=5))
    db.session.commit()
    user, password = make_user("admin")
    page = browser_page

    log_in(page, live_server, user.username, password)
    page.goto(f"{live_server}/users/followers/")
    page.click("[data-testid=sync-button]")
    progress = page.locator("[data-testid=sync-progress]")
    progress.wait_for(state="visible")
    # The page reloads itself when the run finishes; then the new followers are listed.
    page.wait_for_selector("text=viewer_5", timeout=60000)
    listed = page.locator("table tbody").inner_text()
    for name in ("viewer_1", "viewer_2", "viewer_3", "viewer_4", "viewer_5"):
        assert name in listed
    assert "old_fan" not in listed

    page.goto(f"{live_server}/users/unfollowed/")
    unfollowed = page.locator("table tbody").inner_text()
    assert "old_fan" in unfollowed
    assert "viewer_2" not in unfollowed
