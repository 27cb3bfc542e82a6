"""`python worker.py` while Redis is unreachable: one line per try on stderr, no traceback, a clean exit on
SIGTERM; its database heartbeat is written meanwhile; and when Redis drops under a working worker and comes
back, the worker takes jobs again without a restart."""

from __future__ import annotations

import os
import re
import signal
import socket
import threading

import pytest

from mhc.extensions import db
from mhc.jobs import enqueue
from mhc.models import WorkerHeartbeat
from tests.jobs.helpers import WorkerProcesses
from tests.waiting import wait_for_run, wait_until

REDIS_URL = os.environ.get("MHC_TEST_REDIS_URL")
UNREACHABLE = re.compile(r"^Redis at (\S+) is unreachable \(([^()]+)\); retrying in 1 s$")


@pytest.fixture
def app_config(request):
    beats = {"WORKER_HEARTBEAT_SECONDS": 1, "WORKER_DEAD_AFTER_SECONDS": 5}
    if "redis" in request.keywords:
        if not REDIS_URL:
            pytest.skip("MHC_TEST_REDIS_URL is not set")
        return {**beats, "REDIS_URL": REDIS_URL}
    return {**beats, "REDIS_URL": "redis://127.0.0.1:1/0"}


@pytest.fixture
def workers(app, tmp_path):
    procs = WorkerProcesses(app, tmp_path)
    yield procs
    procs.stop_all()


def worker_rows() -> list[WorkerHeartbeat]:
    db.session.expire_all()
    return list(db.session.query(WorkerHeartbeat).filter(WorkerHeartbeat.name.like("worker.%")))


def stop(proc) -> str:
    """SIGTERM, as a supervisor stops it; return its output after it exited with 0."""
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(15) == 0
    return proc.log_path.read_text()


def test_worker_waits_for_redis_with_one_line_and_stops_on_sigterm(app, workers):
    proc = workers.start(REDIS_URL="redis://:s3cret@127.0.0.1:1/0", WORKER_REDIS_RETRY_SECONDS=1)
    wait_until(lambda: proc.log_path.read_text().count("is unreachable") >= 3, message="three tries")
    assert proc.poll() is None, "the worker gave up instead of retrying"
    assert len(rows := wait_until(worker_rows, message="a heartbeat row")) == 1  # the database is not Redis
    assert (rows[0].pid, rows[0].run_id) == (proc.pid, None)

    output = stop(proc)
    lines = output.splitlines()
    assert lines and all(UNREACHABLE.match(line) for line in lines), output
    assert UNREACHABLE.match(lines[0]).groups() == ("redis://:***@127.0.0.1:1/0", "Connection refused")
    assert "s3cret" not in output and "Traceback" not in output
    assert worker_rows() == []  # a clean stop removes its row


class TcpProxy:
    """Forwards a local port to Redis; stop() cuts every connection and refuses new ones, start() resumes."""

    def __init__(self, target: tuple[str, int]):
        self.target, self.port = target, 0
        self.listener: socket.socket | None = None
        self.open: list[socket.socket] = []

    def start(self) -> TcpProxy:
        self.listener = socket.create_server(("127.0.0.1", self.port))
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._accept, args=(self.listener,), daemon=True).start()
        return self

    def stop(self) -> None:
        self.listener.close()
        for sock in self.open:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()
        self.open.clear()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            self.open += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        for sock in (src, dst):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


@pytest.mark.redis
def test_worker_survives_redis_dropping_and_coming_back(app, workers):
    from urllib.parse import urlsplit

    real = urlsplit(REDIS_URL)
    proxy = TcpProxy((real.hostname, real.port or 6379)).start()
    try:
        via_proxy = f"redis://127.0.0.1:{proxy.port}{real.path or '/0'}"
        proc = workers.start(REDIS_URL=via_proxy, WORKER_REDIS_RETRY_SECONDS=1)
        before = enqueue("selftest", {"value": 1})
        assert wait_for_run(before.id, lambda r: r.status == "finished").counts == {"value": 2}

        proxy.stop()
        wait_until(lambda: "is unreachable" in proc.log_path.read_text(), message="the worker noticing")
        assert proc.poll() is None
        proxy.start()
        after = enqueue("selftest", {"value": 5})
        assert wait_for_run(after.id, lambda r: r.status == "finished").counts == {"value": 10}
        output = stop(proc)
    finally:
        proxy.stop()
    assert "Traceback" not in output, output
    assert f"Redis at {via_proxy} is unreachable (Connection refused); retrying in 1 s" in output
