"""RQ connections: real Redis when REDIS_URL is set, else fakeredis with a worker thread in this process."""

from __future__ import annotations

import logging
import threading

import fakeredis
import redis
from flask import Flask, current_app
from rq import Queue, SimpleWorker
from rq.timeouts import TimerDeathPenalty

log = logging.getLogger(__name__)


class JobsUnavailable(RuntimeError):
    """The job queue (Redis) cannot be reached."""


class ThreadWorker(SimpleWorker):
    """A SimpleWorker that can live in a background thread (no signal handlers, timer-based timeouts)."""

    death_penalty_class = TimerDeathPenalty

    def _install_signal_handlers(self):  # signals can only be installed from the main thread
        pass


class RedisLost(redis.RedisError):
    """Redis went away under a working worker: leave RQ's loop and let worker.py reconnect."""


class _OneLineRedisErrors(logging.Filter):
    """RQ logs an unexpected error with its traceback; for a lost Redis the reason alone is the message."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if isinstance(exc, redis.RedisError):
            record.msg, record.args = f"{record.getMessage()} (Redis: {exc})", None
            record.exc_info = record.exc_text = None
        return True


_ONE_LINE = _OneLineRedisErrors()


class ProcessWorker(SimpleWorker):
    """The worker of `python worker.py`: a stop request also ends the reconnect loop, and losing Redis ends
    the work loop with one line instead of a traceback (worker.py waits for Redis and starts a fresh one)."""

    def __init__(self, *args, stop: threading.Event, **kwargs):
        super().__init__(*args, **kwargs)
        self.stop_event = stop
        logging.getLogger("rq.worker").addFilter(_ONE_LINE)

    def request_stop(self, signum, frame):
        """SIGTERM / Ctrl-C: finish the current job (if any), then leave for good."""
        self.stop_event.set()
        super().request_stop(signum, frame)

    def heartbeat(self, *args, **kwargs):
        """RQ would retry a lost Redis forever with this worker's registration gone; end the loop instead."""
        try:
            return super().heartbeat(*args, **kwargs)
        except redis.ConnectionError as exc:
            raise RedisLost(str(exc)) from exc

    def set_shutdown_requested_date(self):
        """Best effort: a stop request must not fail because Redis is down."""
        try:
            super().set_shutdown_requested_date()
        except redis.RedisError:
            pass

    def handle_exception(self, job, *exc_info):
        """Log a job's error; a Redis outage at the end of a job is one line, not a traceback."""
        if isinstance(exc_info[1], redis.RedisError):
            self.log.error("Worker %s: job %s: Redis unreachable at its end (%s)", self.name, job.id, exc_info[1])
            return
        super().handle_exception(job, *exc_info)

    def teardown(self):
        """Unregister when Redis answers; when it does not, it forgets this worker by itself (key TTL)."""
        for step in (self.register_death, self.unsubscribe):
            try:
                step()
            except redis.RedisError:
                pass
        if self.pubsub_thread and self.pubsub_thread.is_alive():
            self.pubsub_thread.stop()  # unsubscribe failed half-way: the thread ends at its next retry


class JobQueues:
    """Owns the Redis connection and the queues; in embedded mode also the in-process worker (`background`)."""

    def __init__(self, app: Flask):
        self.app = app
        self.prefix = app.config.get("QUEUE_PREFIX", "")
        self.names = tuple(self.prefix + name for name in app.config["JOB_QUEUES"])
        self.embedded = not app.config.get("REDIS_URL")
        self.server = None  # the embedded fakeredis server, shared by the worker thread's own connection
        if self.embedded:
            self.server = fakeredis.FakeServer()
            self.connection = fakeredis.FakeRedis(server=self.server)
        else:
            self.connection = redis.Redis.from_url(app.config["REDIS_URL"], socket_connect_timeout=2, socket_timeout=10)
        # Set by init_jobs in embedded mode (mhc.jobs.embedded.EmbeddedWorker): it starts threads that enqueue.
        self.background = None

    def queue(self, name: str = "default") -> Queue:
        """The RQ queue for a logical name ("default", "scrape") on our connection."""
        return Queue(self.prefix + name, connection=self.connection)

    def ping(self) -> bool:
        """True when Redis answers."""
        try:
            return bool(self.connection.ping())
        except redis.RedisError:
            return False

    def make_worker(self, connection=None, worker_class=SimpleWorker):
        """A worker listening on every queue of this app."""
        conn = connection or self.connection
        return worker_class([Queue(n, connection=conn) for n in self.names], connection=conn)

    def ensure_embedded_worker(self) -> None:
        """Start the in-process worker thread once (embedded mode only)."""
        if self.background is not None:
            self.background.ensure_worker()

    def ensure_scheduler(self) -> None:
        """Start the interval scheduler beside the embedded worker (embedded mode, SCHEDULER_ENABLED)."""
        if self.background is not None:
            self.background.ensure_scheduler()

    def wait_idle(self, timeout: float = 60.0) -> bool:
        """Wait until the embedded worker has nothing queued or running (tests call this before cleanup)."""
        return self.background is None or self.background.wait_idle(timeout)

    def close(self) -> None:
        """Stop the threads that write to the database (heartbeat, scheduler); the app is going away."""
        if self.background is not None:
            self.background.close()


def queues() -> JobQueues:
    """The current app's queues."""
    return current_app.extensions["mhc_jobs"]
