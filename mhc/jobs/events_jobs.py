"""Events API listener and Stats API poll as jobs.

The listener normally runs as its own process, `python worker.py events`: it records a JobRun
(kind "events_listen") and longpolls until stopped; its log lines carry that run's id. Run it under a
supervisor that restarts it (deploy/mhc-events.service, `Restart=on-failure`): it resumes from the stored
cursor, so a restart neither replays nor skips events. A token refused by the API (400/401/404)
ends the run as failed with that message on the Jobs page and exit code 3: paste a new token,
then restart it. A second listener started while one runs exits 4 (one run per lock key). The
same loop can also run as an RQ job (bounded by `max_seconds`, below the RQ job timeout), e.g. when
the Jobs page retries a run.
"""

from __future__ import annotations

import signal
import threading
import uuid

from flask import current_app

from mhc.clients.events_api import EventsTokenError
from mhc.clients.http import make_session
from mhc.extensions import db
from mhc.jobs.events_listener import ListenSettings, ListenTotals, listen, poll_stats
from mhc.jobs.runner import execute, set_progress
from mhc.jobs.runs import JobAlreadyRunning, insert_run
from mhc.models import JobRun, utcnow
from mhc.services.crypto import SecretsUndecryptable
from mhc.services.sources.events_cursor import EventsNotConfigured

LOCK_KEY = "events_listen"
RQ_MAX_SECONDS = 3000  # RQ jobs are killed after an hour; stop cleanly before that


def events_listen(run_id, max_seconds: float | None = RQ_MAX_SECONDS, max_batches: int | None = None) -> dict:
    """Longpoll the Events API, committing each batch with its cursor; token errors fail the run."""
    if not current_app.extensions.get("mhc_events_process"):
        # Under RQ, stop before the job timeout kills the run (a retry from the Jobs page lands here).
        max_seconds = min(max_seconds or RQ_MAX_SECONDS, RQ_MAX_SECONDS)
    settings = ListenSettings.from_config(current_app.config, max_seconds=max_seconds, max_batches=max_batches)
    stop = current_app.extensions.get("mhc_events_stop")
    totals = listen(db.session, settings, stop=stop, progress=lambda t, text: set_progress(run_id, None, text))
    return _counts(totals)


def stats_poll(run_id) -> dict:
    """Record one Stats API reading of the owner's account (no-op without a Stats token)."""
    settings = ListenSettings.from_config(current_app.config)
    return {"samples": poll_stats(db.session, settings, make_session(settings.http), utcnow)}


def _counts(totals: ListenTotals) -> dict:
    return {k: v for k, v in vars(totals).items() if k != "last_error"}


def run_listener_process(max_seconds: float | None = None, max_batches: int | None = None) -> int:
    """`python worker.py events`: record a JobRun and run the listener in this process; return an exit code."""
    run = JobRun(
        id=uuid.uuid4(),
        kind="events_listen",
        args={"max_seconds": max_seconds, "max_batches": max_batches},
        lock_key=LOCK_KEY,
        status="queued",
        created_at=utcnow(),
    )
    try:
        run_id = str(insert_run(run).id)
    except JobAlreadyRunning as exc:  # one listener at a time; a dead one's key frees once its heartbeat is stale
        print(f"Error: {exc}")
        return 4
    db.session.remove()
    stop = threading.Event()
    current_app.extensions.update(mhc_events_process=True, mhc_events_stop=stop)
    previous = {}
    if threading.current_thread() is threading.main_thread():
        # SIGTERM/SIGINT end the loop after the current request; the committed cursor is the resume point.
        previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        execute(run_id)
    except EventsTokenError as exc:
        print(f"Error: {exc}")
        return 3
    except (EventsNotConfigured, SecretsUndecryptable) as exc:
        print(f"Error: {exc}")
        return 2
    finally:
        current_app.extensions.update(mhc_events_process=False, mhc_events_stop=None)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0
