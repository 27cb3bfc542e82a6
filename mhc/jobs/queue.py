"""RQ connections: real Redis when REDIS_URL is set, else fakeredis with a worker thread in this process."""

from __future__ import annotations

import logging
import threading
import time

import redis
from flask import Flask
from rq import Queue, SimpleWorker
from rq.timeouts import TimerDeathPenalty
from rq.worker import WorkerStatus

log = logging.getLogger(__name__)


class JobsUnavailable(RuntimeError):
    """The job queue (Redis) cannot be reached."""


class ThreadWorker(SimpleWorker):
    """A SimpleWorker that can live in a background thread (no signal handlers, timer-based timeouts)."""

    death_penalty_class = TimerDeathPenalty

    def _install_signal_handlers(self):  # signals can only be installed from the main thread
        pass


class JobQueues:
    """Owns the Redis connection and the queues; in embedded mode also the worker thread."""

    def __init__(self, app: Flask):
        self.app = app
        self.prefix = app.config.get("QUEUE_PREFIX", "")
        self.names = tuple(self.prefix + name for name in app.config["JOB_QUEUES"])
        self.embedded = not app.config.get("REDIS_URL")
        if self.embedded:
            import fakeredis

            self._server = fakeredis.FakeServer()
            self.connection = fakeredis.FakeRedis(server=self._server)
        else:
            self.connection = redis.Redis.from_url(app.config["REDIS_URL"], socket_connect_timeout=2, socket_timeout=10)
        self._thread: threading.Thread | None = None
        self._worker: ThreadWorker | None = None
        self._scheduler: threading.Thread | None = None
        self._lock = threading.Lock()

    def queue(self, name: str = "default") -> Queue:
        """The RQ queue for a logical name ("default", "scrape") on our connection."""
        return Queue(self.prefix + name, connection=self.connection)

    def ping(self) -> bool:
        """True when Redis answers."""
        try:
            return bool(self.connection.ping())
        except redis.RedisError:
            return False

    def ensure_embedded_worker(self) -> None:
        """Start the in-process worker thread once (embedded mode only)."""
        if not self.embedded:
            return
        with self._lock:
            if self._thread and self._thread.is_alive():
                return
            self._thread = threading.Thread(target=self._work, name="mhc-embedded-worker", daemon=True)
            self._thread.start()

    def wait_idle(self, timeout: float = 60.0) -> bool:
        """Wait until the embedded worker has nothing queued or running (tests call this before cleanup)."""
        if not self.embedded or self._worker is None:
            return True
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            busy = self._worker.get_state() == WorkerStatus.BUSY
            if not busy and not any(self.queue(name[len(self.prefix) :]).count for name in self.names):
                return True
            time.sleep(0.05)
        return False

    def ensure_scheduler(self) -> None:
        """Start the interval scheduler beside the embedded worker (embedded mode, SCHEDULER_ENABLED)."""
        if not self.embedded or not self.app.config.get("SCHEDULER_ENABLED"):
            return
        with self._lock:
            if self._scheduler and self._scheduler.is_alive():
                return
            from mhc.jobs.scheduler import SchedulerThread

            self._scheduler = SchedulerThread(self.app)
            self._scheduler.start()

    def make_worker(self, connection=None, worker_class=SimpleWorker):
        """A worker listening on every queue of this app."""
        conn = connection or self.connection
        return worker_class([Queue(n, connection=conn) for n in self.names], connection=conn)

    def _work(self) -> None:
        import fakeredis

        conn = fakeredis.FakeRedis(server=self._server)
        worker = self._worker = self.make_worker(conn, ThreadWorker)
        with self.app.app_context():
            from mhc.jobs.recovery import recover_abandoned

            recover_abandoned()  # runs left "running" by an earlier process cannot be running now
            worker.work(with_scheduler=False, logging_level="WARNING")
