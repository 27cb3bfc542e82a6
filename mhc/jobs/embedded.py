"""Embedded mode (no REDIS_URL): the worker thread, its heartbeat and the interval scheduler run in this process.

init_jobs hands an EmbeddedWorker to the app's JobQueues, so enqueue() can start the worker without the
queue module importing the scheduler and the job modules above it.
"""

from __future__ import annotations

import threading
import time

import fakeredis
from flask import Flask
from rq.worker import WorkerStatus

from mhc.jobs.heartbeat import WorkerBeat, worker_name
from mhc.jobs.queue import JobQueues, ThreadWorker
from mhc.jobs.recovery import recover_abandoned
from mhc.jobs.scheduler import SchedulerThread


class EmbeddedWorker:
    """Starts (once) and stops the in-process worker thread, its heartbeat thread and the scheduler thread."""

    def __init__(self, app: Flask, qs: JobQueues):
        self.app, self.qs = app, qs
        self._thread: threading.Thread | None = None
        self._worker: ThreadWorker | None = None
        self._scheduler: SchedulerThread | None = None
        self._beat: WorkerBeat | None = None
        self._lock = threading.Lock()

    def ensure_worker(self) -> None:
        """Start the worker thread and its heartbeat unless the thread is alive."""
        with self._lock:
            if self._thread and self._thread.is_alive():
                return
            self._thread = threading.Thread(target=self._work, name="mhc-embedded-worker", daemon=True)
            self._thread.start()
            if self._beat:
                self._beat.stop()
            self._beat = WorkerBeat(self.app, worker_name("embedded"), self._thread)
            self._beat.start()

    def ensure_scheduler(self) -> None:
        """Start the scheduler thread when SCHEDULER_ENABLED, unless it is alive."""
        if not self.app.config.get("SCHEDULER_ENABLED"):
            return
        with self._lock:
            if self._scheduler and self._scheduler.is_alive():
                return
            self._scheduler = SchedulerThread(self.app)
            self._scheduler.start()

    def wait_idle(self, timeout: float) -> bool:
        """Wait until the worker has nothing queued or running; False when `timeout` seconds pass first."""
        if self._worker is None:
            return True
        qs, deadline = self.qs, time.monotonic() + timeout
        while time.monotonic() < deadline:
            busy = self._worker.get_state() == WorkerStatus.BUSY
            if not busy and not any(qs.queue(name[len(qs.prefix) :]).count for name in qs.names):
                return True
            time.sleep(0.05)
        return False

    def close(self) -> None:
        """Stop the threads that write to the database (heartbeat, scheduler)."""
        for thread in (self._beat, self._scheduler):
            if thread is not None:
                thread.stop()
        if self._scheduler is not None and self._scheduler.is_alive():
            self._scheduler.join(30)

    def _work(self) -> None:
        conn = fakeredis.FakeRedis(server=self.qs.server)
        worker = self._worker = self.qs.make_worker(conn, ThreadWorker)
        with self.app.app_context():
            recover_abandoned()  # runs left "running" by an earlier process cannot be running now
            worker.work(with_scheduler=False, logging_level="WARNING")
