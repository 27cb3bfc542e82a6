"""One queued or running run per lock key: the unique index decides, even when two enqueues race."""

from __future__ import annotations

import threading
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from mhc.extensions import db
from mhc.jobs import JobAlreadyRunning, enqueue, recovery, runs
from mhc.jobs.events_jobs import run_listener_process
from mhc.jobs.follow_jobs import lock_key, run_follow_sync_here
from mhc.models import JobRun, utcnow
from tests.jobs.helpers import add_run

KEY = "race:selftest"


def race(app, barrier: threading.Barrier) -> list:
    """Two threads enqueue the same lock key once the barrier opens; each result is a run id or the exception."""
    results: list = [None, None]

    def attempt(slot: int) -> None:
        with app.app_context():
            try:
                barrier.wait(timeout=10)
                results[slot] = enqueue("selftest", {"seconds": 1}, lock_key=KEY).id
            except Exception as exc:  # noqa: BLE001  the test asserts on what was raised
                results[slot] = exc
            finally:
                db.session.remove()

    threads = [threading.Thread(target=attempt, args=(slot,)) for slot in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return results


def outcome(results: list) -> tuple[uuid.UUID, JobAlreadyRunning]:
    """The winner's run id and the loser's refusal (fails unless exactly one of each)."""
    won = [r for r in results if isinstance(r, uuid.UUID)]
    lost = [r for r in results if isinstance(r, JobAlreadyRunning)]
    assert (len(won), len(lost)) == (1, 1), results
    db.session.expire_all()
    assert db.session.scalars(select(JobRun.id).where(JobRun.lock_key == KEY)).all() == won
    return won[0], lost[0]


def test_two_enqueues_at_once_start_one_run(app):
    winner, refusal = outcome(race(app, threading.Barrier(2)))
    assert refusal.run.id == winner


def test_the_index_decides_when_both_checks_pass(app, monkeypatch):
    """Both threads find the key free, then both insert: the unique index refuses the second."""
    barrier, real, seen = threading.Barrier(2), runs.active_run, threading.local()

    def check_then_wait(key):
        run = real(key)
        if not getattr(seen, "checked", False):  # only the first check: after it both threads insert
            seen.checked = True
            barrier.wait(timeout=10)
        return run

    monkeypatch.setattr(runs, "active_run", check_then_wait)
    winner, refusal = outcome(race(app, threading.Barrier(1)))
    assert refusal.run.id == winner
    assert f"a selftest run is already {refusal.run.status}" in str(refusal)


def test_a_dead_holder_frees_the_key(app):
    silent = utcnow() - timedelta(minutes=10)
    dead = add_run("selftest", status="running", lock_key=KEY, started_at=silent, heartbeat_at=silent)
    run = enqueue("selftest", {}, lock_key=KEY)
    db.session.expire_all()
    assert (db.session.get(JobRun, dead.id).status, db.session.get(JobRun, dead.id).error) == (
        "failed",
        recovery.ABANDONED,
    )
    assert db.session.get(JobRun, run.id).lock_key == KEY


def test_a_cli_sync_is_refused_while_a_run_holds_the_key(app):
    queued = add_run("follow_sync", status="queued", lock_key=lock_key("following"), args={"direction": "following"})
    with pytest.raises(JobAlreadyRunning) as refused:
        run_follow_sync_here("following")
    assert refused.value.run.id == queued.id
    assert db.session.scalar(select(db.func.count()).select_from(JobRun)) == 1


def test_a_second_events_listener_exits_4(app, capsys):
    running = add_run("events_listen", status="running", lock_key="events_listen", heartbeat_at=utcnow())
    assert run_listener_process(max_seconds=1) == 4
    assert "Error: a events_listen run is already running" in capsys.readouterr().out
    assert db.session.scalars(select(JobRun.id)).all() == [running.id]
