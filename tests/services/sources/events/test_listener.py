"""The longpoll loop against the fake Events API: resume exactly, retry, stop on token errors."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from mhc.clients.events_api import EventsTokenError
from mhc.extensions import db
from mhc.jobs.events_listener import ListenSettings, listen
from mhc.models import Interaction, JobRun
from mhc.models.owner import OwnerStatsSample
from mhc.services import secrets
from mhc.services.sources import events, events_cursor
from tests.services.sources.events.feed import OWNER, build_batches, clock_for


@pytest.fixture
def app_config(fake_cb_config):
    return fake_cb_config


@pytest.fixture
def feed(app, fake_cb):
    fake_cb.state["events_batches"] = build_batches()
    secrets.put(db.session, secrets.EVENTS_TOKEN, fake_cb.state["events_token"])
    db.session.commit()
    return fake_cb


def _listen(app, **overrides):
    overrides.setdefault("stats_every", 0)
    settings = ListenSettings.from_config(app.config, **overrides)
    return listen(db.session, settings, clock=clock_for(0))


def _event_ids():
    return db.session.scalars(select(Interaction.event_id).order_by(Interaction.id)).all()


def test_first_url_then_next_url_and_totals(app, feed):
    totals = _listen(app, max_batches=20)
    assert (totals.batches, totals.received, totals.inserted, totals.duplicates, totals.flagged) == (20, 199, 193, 6, 3)
    assert feed.requests[0] == f"/events/{OWNER}/tok-abc123/?timeout=1"
    assert feed.requests[1] == f"/events/{OWNER}/tok-abc123/?i=1&timeout=1"
    assert (
        secrets.get(db.session, secrets.EVENTS_NEXT_URL) == f"{feed.base_url}/events/{OWNER}/tok-abc123/?i=20&timeout=1"
    )


def test_stop_and_restart_resumes_without_replay_or_gap(app, feed):
    first = _listen(app, max_batches=7)
    assert first.batches == 7
    ids_after_stop = _event_ids()
    second = listen(
        db.session, ListenSettings.from_config(app.config, stats_every=0, max_batches=13), clock=clock_for(7)
    )
    # Only the feed's own 6 resent events are duplicates: nothing of the first run came back.
    assert (first.inserted + second.inserted, first.duplicates + second.duplicates) == (193, 6)
    assert feed.state["events_served"] == list(range(20))  # every batch requested exactly once
    ids = _event_ids()
    assert ids[: len(ids_after_stop)] == ids_after_stop
    assert len(ids) == len(set(ids)) == 193


def test_crash_before_commit_replays_only_the_uncommitted_batch(app, feed, monkeypatch):
    real = events.ingest_batch
    calls = {"n": 0}

    def crashing(session, batch, next_url, received_at, settings, **kw):
        calls["n"] += 1
        if calls["n"] == 8:
            real(session, batch, next_url, received_at, settings, commit=False)
            raise RuntimeError("killed mid-batch")
        return real(session, batch, next_url, received_at, settings, **kw)

    monkeypatch.setattr(events, "ingest_batch", crashing)
    with pytest.raises(RuntimeError, match="killed mid-batch"):
        _listen(app)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Interaction)) == 72  # batches 0-6 (two broadcast events)
    monkeypatch.setattr(events, "ingest_batch", real)
    listen(db.session, ListenSettings.from_config(app.config, stats_every=0, max_batches=13), clock=clock_for(7))
    assert feed.state["events_served"] == [*range(8), *range(7, 20)]  # batch 7 fetched again, once
    ids = _event_ids()
    assert len(ids) == len(set(ids)) == 193


@pytest.mark.parametrize("status", [400, 401, 404])
def test_token_errors_stop_the_loop(app, feed, status):
    feed.state["events_status"] = status
    with pytest.raises(EventsTokenError, match=f"HTTP {status}"):
        _listen(app, max_batches=3)


def test_job_run_records_the_token_error_for_the_jobs_page(app, feed):
    from mhc.jobs.events_jobs import run_listener_process

    feed.state["events_status"] = 401
    assert run_listener_process(max_batches=3) == 3
    run = db.session.scalar(select(JobRun).where(JobRun.kind == "events_listen"))
    assert run.status == "failed"
    assert (
        run.error
        == "EventsTokenError: Events API refused the token (HTTP 401: authentication failed); paste a new token"
    )
    assert "tok-abc123" not in (run.error + (run.traceback or ""))


def test_job_run_counts_on_success(app, feed):
    from mhc.jobs.events_jobs import run_listener_process

    assert run_listener_process(max_batches=20) == 0
    run = db.session.scalar(select(JobRun).where(JobRun.kind == "events_listen"))
    assert (run.status, run.counts["inserted"], run.counts["duplicates"]) == ("finished", 193, 6)


def test_server_errors_and_malformed_json_are_retried_without_losing_events(app, feed):
    feed.state["events_faults"] = {2: [500, "malformed"], 5: [503]}
    totals = _listen(app, max_batches=20)
    assert (totals.retries, totals.inserted, totals.batches) == (3, 193, 20)
    assert totals.last_error == "Events API answered HTTP 503"


def test_idle_feed_is_held_and_returns_empty_batches(app, fake_cb):
    secrets.put(db.session, secrets.EVENTS_TOKEN, "tok-abc123")
    db.session.commit()
    totals = _listen(app, max_batches=2)
    assert (totals.batches, totals.received) == (2, 0)
    assert fake_cb.requests == [f"/events/{OWNER}/tok-abc123/?timeout=1", f"/events/{OWNER}/tok-abc123/?i=0&timeout=1"]


def test_no_token_is_a_clear_error(app, fake_cb):
    with pytest.raises(events_cursor.EventsNotConfigured, match="paste one under Admin"):
        _listen(app, max_batches=1)


def test_stats_poll_records_a_sample_with_minus_one_as_null(app, feed):
    secrets.put(db.session, events_cursor.STATS_TOKEN, "tok-abc123")
    db.session.commit()
    _listen(app, max_batches=1, stats_every=300)
    sample = db.session.scalar(select(OwnerStatsSample))
    assert (sample.num_followers, sample.token_balance, sample.tips_in_last_hour, sample.time_online) == (
        321,
        1200,
        None,
        None,
    )
    assert sample.last_broadcast.isoformat() == "2026-11-20T18:00:00+00:00"
