"""Heartbeats in the database: each running run's own (job_runs.heartbeat_at) and each worker's (worker_heartbeats).

Both are written by small threads on a fixed interval, never by progress reports, so a run busy in one long
browser page or an Events longpoll still beats. Any process can then judge, without Redis, that a run whose
heartbeat is older than WORKER_DEAD_AFTER_SECONDS lost its worker (docs/reliability.md, "Jobs: dead workers
are noticed").
"""

from __future__ import annotations

import contextvars
import logging
import os
import socket
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask
from sqlalchemy import delete, insert, update
from sqlalchemy.exc import SQLAlchemyError

from mhc.extensions import db
from mhc.jobs.recovery import mark_stale_runs
from mhc.models import JobRun, WorkerHeartbeat, utcnow

log = logging.getLogger(__name__)
# Which run each thread of this process is executing, for the worker's row (thread ident -> run id).
_CURRENT: dict[int, uuid.UUID] = {}


def worker_name(kind: str) -> str:
    """A name unique to this process and start: kind, host, pid and a random suffix (pids are reused)."""
    return f"{kind}.{socket.gethostname()}.{os.getpid()}.{uuid.uuid4().hex[:6]}"


@contextmanager
def run_heartbeat(run_id: uuid.UUID, interval: float) -> Iterator[None]:
    """Refresh the run's heartbeat_at every `interval` seconds while the block executes."""
    stop = threading.Event()
    # Started in a copy of this context, so its log lines carry the run id like the run's own.
    beater = threading.Thread(
        target=contextvars.copy_context().run,
        args=(_beat_run, db.engine, run_id, interval, stop),
        name="mhc-run-heartbeat",
        daemon=True,
    )
    me = threading.get_ident()
    _CURRENT[me] = run_id
    beater.start()
    try:
        yield
    finally:
        stop.set()
        _CURRENT.pop(me, None)
        beater.join()


def _beat_run(engine, run_id: uuid.UUID, interval: float, stop: threading.Event) -> None:
    while not stop.wait(interval):
        try:
            with engine.begin() as conn:
                still = JobRun.id == run_id, JobRun.status == "running"
                beat = conn.execute(update(JobRun).where(*still).values(heartbeat_at=utcnow())).rowcount
        except SQLAlchemyError as exc:  # a busy database must not end the run; the next beat retries
            log.warning("run %s: heartbeat not written (%s)", run_id, _first_line(exc))
            continue
        if not beat:
            log.warning("run %s is no longer 'running' in the database while this process still executes it", run_id)
            return


class WorkerBeat(threading.Thread):
    """Keeps one worker process's row in worker_heartbeats fresh; on each beat also notices dead runs."""

    def __init__(self, app: Flask, name: str, work_thread: threading.Thread | None = None):
        super().__init__(name="mhc-worker-heartbeat", daemon=True)
        self.app, self.worker_name = app, name
        self.work_ident = (work_thread or threading.current_thread()).ident
        self.interval = float(app.config["WORKER_HEARTBEAT_SECONDS"])
        self.host, self.pid, self.started_at = socket.gethostname(), os.getpid(), utcnow()
        self.stopped = threading.Event()

    def run(self) -> None:
        while True:
            self._tick()
            if self.stopped.wait(self.interval):
                break
        self._forget()

    def stop(self, timeout: float = 30.0) -> None:
        """End the loop and remove this worker's row (a clean stop is not a death)."""
        self.stopped.set()
        if self.is_alive():
            self.join(timeout)

    def beat(self) -> None:
        """Write this worker's row: alive now, executing this run (or none)."""
        values = {
            "host": self.host,
            "pid": self.pid,
            "started_at": self.started_at,
            "beat_at": utcnow(),
            "run_id": _CURRENT.get(self.work_ident),
        }
        # Only this process writes its row, so update-then-insert needs no dialect-specific upsert.
        mine = WorkerHeartbeat.name == self.worker_name
        with db.engine.begin() as conn:
            if not conn.execute(update(WorkerHeartbeat).where(mine).values(**values)).rowcount:
                conn.execute(insert(WorkerHeartbeat).values(name=self.worker_name, **values))

    def _tick(self) -> None:
        with self.app.app_context():
            try:
                self.beat()
                mark_stale_runs()
            except SQLAlchemyError as exc:
                log.warning("worker heartbeat not written (%s)", _first_line(exc))
            finally:
                db.session.remove()

    def _forget(self) -> None:
        with self.app.app_context():
            try:
                with db.engine.begin() as conn:
                    conn.execute(delete(WorkerHeartbeat).where(WorkerHeartbeat.name == self.worker_name))
            except SQLAlchemyError as exc:
                log.warning("worker heartbeat row not removed (%s)", _first_line(exc))


def _first_line(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None) or exc
    return (str(orig).strip().splitlines() or [exc.__class__.__name__])[0]
