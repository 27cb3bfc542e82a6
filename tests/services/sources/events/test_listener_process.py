"""A real `python worker.py events` against the fake Events API: poison events and foreign cursors
never stop it, and a restart resumes after them (on PostgreSQL when MHC_TEST_DATABASE_URL is set)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from mhc.extensions import db
from mhc.models import FeedQuarantine, Interaction, JobRun
from mhc.services import secrets
from tests.services.sources.events.feed import OWNER, ev, msg
from tests.waiting import wait_until

ROOT = Path(__file__).resolve().parents[4]


@pytest.fixture
def app_config(fake_cb_config):
    return fake_cb_config


@pytest.fixture
def listener(app, fake_cb, tmp_path):
    """start() runs `python worker.py events` on the test database; stop(proc) ends it with SIGTERM."""
    secrets.put(db.session, secrets.EVENTS_TOKEN, fake_cb.state["events_token"])
    db.session.commit()
    procs, logs = [], []

    def start() -> subprocess.Popen:
        cfg = app.config
        env = {
            **os.environ,
            "DATABASE_URL": cfg["SQLALCHEMY_DATABASE_URI"],
            "REDIS_URL": "",
            "EVENTS_API_URL": cfg["EVENTS_API_URL"],
            "STATS_API_URL": cfg["STATS_API_URL"],
            "MHC_OWNER_USERNAME": OWNER,
            "EVENTS_LONGPOLL_TIMEOUT": "1",
            "MHC_SCHEDULER": "0",
            "MHC_INSTANCE_DIR": str(tmp_path),
            "MHC_SECRETS_KEY": ",".join(cfg["SECRETS_KEYS"]),  # the token was stored under the test key
        }
        log = open(tmp_path / f"listener{len(procs)}.log", "w")  # noqa: SIM115 (closed at teardown)
        logs.append(log)
        proc = subprocess.Popen([sys.executable, "worker.py", "events"], cwd=ROOT, env=env, stdout=log, stderr=log)
        procs.append(proc)
        return proc

    def stop(proc) -> int:
        proc.send_signal(signal.SIGTERM)
        return proc.wait(20)

    yield start, stop
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    for log in logs:
        log.close()


def _cursor():
    db.session.rollback()  # a new transaction sees what the listener process committed since
    return secrets.get(db.session, secrets.EVENTS_NEXT_URL)


def _url(fake, i: int) -> str:
    return f"{fake.base_url}/events/{OWNER}/tok-abc123/?i={i}&timeout=1"


def _run() -> JobRun:
    db.session.rollback()
    stmt = select(JobRun).where(JobRun.kind == "events_listen").order_by(JobRun.created_at.desc())
    return db.session.scalars(stmt).first()


def test_poison_events_never_stop_the_listener(app, fake_cb, listener):
    start, stop = listener
    fake_cb.state["events_batches"] = [
        [ev("ok-1", "userEnter", user="fan"), ev("p-long", "chatMessage", user="a" * 10_000, message=msg("hi"))],
        [
            ev("p-nul", "userEnter", user="fan\x00x"),
            ev("ok-2", "chatMessage", user="fan", message=msg("nul\x00here")),
            ev("p-neg", "tip", user="fan", tip={"tokens": -5, "message": ""}),
        ],
        [ev("ok-3", "tip", user="fan", tip={"tokens": 25, "message": "thanks"})],
    ]
    proc = start()
    wait_until(lambda: _cursor() == _url(fake_cb, 3), message="the cursor to pass the poison batches")
    assert proc.poll() is None, "the listener exited"
    rows = db.session.execute(select(Interaction.event_id, Interaction.text, Interaction.amount).order_by("id")).all()
    assert rows == [("ok-1", None, None), ("ok-2", "nulhere", None), ("ok-3", "thanks", 25)]
    quarantined = db.session.execute(select(FeedQuarantine.item, FeedQuarantine.rule).order_by("item")).all()
    assert quarantined == [("p-long", "username"), ("p-neg", "tip.tokens"), ("p-nul", "username")]
    assert stop(proc) == 0
    run = _run()
    assert (run.status, run.counts["inserted"], run.counts["quarantined"]) == ("finished", 3, 3)

    fake_cb.requests.clear()
    again = start()  # a restart resumes after the poison: nothing is fetched twice
    wait_until(lambda: fake_cb.requests, message="the restarted listener's first request")
    assert fake_cb.requests[0] == f"/events/{OWNER}/tok-abc123/?i=3&timeout=1"
    assert again.poll() is None
    assert stop(again) == 0
    assert fake_cb.state["events_served"] == [0, 1, 2]


@pytest.mark.parametrize("foreign", ["other_host", "file:///etc/passwd"])
def test_foreign_next_url_is_refused_and_the_listener_keeps_its_cursor(
    app, fake_cb, other_host, listener, tmp_path, foreign
):
    start, stop = listener
    target = f"{other_host.base_url}/events/{OWNER}/tok-abc123/?i=2&timeout=1" if foreign == "other_host" else foreign
    fake_cb.state["events_batches"] = [[ev(f"e{k}", "userEnter", user=f"v{k}")] for k in range(3)]
    fake_cb.state["events_next_urls"] = {1: target}
    proc = start()
    run = wait_until(
        lambda: (r := _run()) and "kept the last cursor" in (r.progress_text or "") and r, message="the refusal"
    )
    assert run.progress_text.startswith("retrying in ")
    assert "nextUrl points to" in run.progress_text and "tok-abc123" not in run.progress_text
    wait_until(lambda: fake_cb.state["events_served"].count(1) >= 2, message="a second try of the same cursor")
    assert proc.poll() is None, "the listener exited"
    assert other_host.requests == []
    assert _cursor() == _url(fake_cb, 1)
    assert db.session.scalar(select(func.count()).select_from(Interaction)) == 1
    assert stop(proc) == 0
    log = (tmp_path / "listener0.log").read_text()
    assert "Events API answer refused, last cursor kept: nextUrl points to" in log
    assert "tok-abc123" not in log

    fake_cb.state["events_next_urls"] = {}  # the API answers sanely again: the listener goes on from there
    again = start()
    wait_until(lambda: _cursor() == _url(fake_cb, 3), message="the cursor to move on")
    assert stop(again) == 0
    assert other_host.requests == []
    assert db.session.scalar(select(func.count()).select_from(Interaction)) == 3
