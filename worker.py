"""Start an RQ worker on the configured Redis: `python worker.py [--no-scheduler] [queue ...]`.

The worker process also runs the interval scheduler (affiliate poll every AFFILIATE_POLL_SECONDS,
P2 profile scrapes every P2_SCRAPE_SECONDS) unless `--no-scheduler` is given or MHC_SCHEDULER=0;
running it in several workers is safe (a Redis tick lock and the job lock keys prevent overlap).

`python worker.py events` runs the Events API listener instead (one process, no Redis needed;
see mhc/jobs/events_jobs.py): supervise it so it restarts; it resumes from the stored cursor.

Every worker writes a heartbeat to the database (worker_heartbeats, and job_runs.heartbeat_at of its run),
so any process notices a dead worker's run (docs/reliability.md, "Jobs: dead workers are noticed").
While Redis is unreachable, at start or later, the worker says so in one line on stderr and retries every
WORKER_REDIS_RETRY_SECONDS; SIGTERM or Ctrl-C stops it at once while it waits, after the current job while
it works.

Log lines go to stderr in the format MHC_LOG_FORMAT names, at MHC_LOG_LEVEL; each line written while a job runs
carries its run id (docs/production.md, "Logging").
"""

from __future__ import annotations

import re
import signal
import sys
import threading
from urllib.parse import urlsplit, urlunsplit

import redis

from config import ConfigError
from mhc import create_app
from mhc.extensions import db
from mhc.jobs.events_jobs import run_listener_process
from mhc.jobs.heartbeat import WorkerBeat, worker_name
from mhc.jobs.queue import ProcessWorker
from mhc.jobs.recovery import recover_abandoned
from mhc.jobs.scheduler import SchedulerThread


def main(argv: list[str]) -> int:
    """Run a worker for the given queues (default: all) until stopped."""
    try:
        app = create_app()
    except ConfigError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 2
    if argv[:1] == ["events"]:
        return _events(app)
    qs = app.extensions["mhc_jobs"]
    if qs.embedded:
        print("Error: REDIS_URL is not set; in embedded mode the panel runs jobs itself.", file=sys.stderr)
        return 2
    with_scheduler = "--no-scheduler" not in argv and app.config.get("SCHEDULER_ENABLED")
    names = [qs.prefix + n for n in argv if not n.startswith("--")] or list(qs.names)
    with app.app_context():
        return _serve(app, qs, names, with_scheduler)


def _events(app) -> int:
    with app.app_context():
        beat = WorkerBeat(app, worker_name("events"))
        beat.start()
        try:
            return run_listener_process(max_seconds=None)
        finally:
            beat.stop()


def _serve(app, qs, names: list[str], with_scheduler: bool) -> int:
    """Work until stopped, waiting for Redis whenever it is unreachable."""
    stop = threading.Event()
    beat = WorkerBeat(app, worker_name("worker"))
    scheduler = SchedulerThread(app) if with_scheduler else None
    for thread in filter(None, (beat, scheduler)):
        thread.start()
    try:
        while _wait_for_redis(qs, app.config, stop):
            recover_abandoned()
            db.session.remove()
            # SimpleWorker runs jobs in this process: no fork, so pooled database connections never cross one.
            worker = ProcessWorker(names, connection=qs.connection, name=worker_name("rq"), stop=stop)
            if stop.is_set():
                break
            try:
                # Our SchedulerThread schedules (RQ's would fork a process); RQ's lines follow MHC_LOG_LEVEL.
                worker.work(with_scheduler=False, logging_level=app.config.get("LOG_LEVEL") or "INFO")
            except redis.RedisError as exc:
                print(f"Lost Redis at {_safe_url(app.config['REDIS_URL'])} ({_reason(exc)})", file=sys.stderr)
            stop.wait(1)  # RQ left its loop (Redis lost, or a stop): never spin
    finally:
        for thread in filter(None, (scheduler, beat)):
            thread.stop()
    return 0


def _wait_for_redis(qs, config, stop: threading.Event) -> bool:
    """True once Redis answers; False when a stop was requested first. One line per failed try, no traceback."""
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())  # RQ installs its own handlers while it works
    retry = config["WORKER_REDIS_RETRY_SECONDS"]
    while not stop.is_set():
        try:
            qs.connection.ping()
            return True
        except redis.RedisError as exc:
            where, why = _safe_url(config["REDIS_URL"]), _reason(exc)
            print(f"Redis at {where} is unreachable ({why}); retrying in {retry} s", file=sys.stderr, flush=True)
        stop.wait(retry)
    return False


def _safe_url(url: str) -> str:
    """The Redis URL without its password."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = f"{parts.username or ''}:***@{parts.hostname}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def _reason(exc: BaseException) -> str:
    """'Connection refused' rather than 'Error 111 connecting to 127.0.0.1:1. Connection refused.'"""
    text = (str(exc).strip().splitlines() or [exc.__class__.__name__])[0]
    return re.sub(r"^Error -?\d+ connecting to \S+?\.\s+", "", text).rstrip(".") or exc.__class__.__name__


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
