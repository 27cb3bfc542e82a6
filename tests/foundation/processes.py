"""Run the real `flask` CLI and the real panel as separate processes, on a database of the test's choosing."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import uuid
from contextlib import contextmanager
from pathlib import Path

import requests
import sqlalchemy as sa

from config import TestConfig
from tests.waiting import wait_until

ROOT = Path(__file__).resolve().parents[2]
# Settings a developer's shell may carry that would point the child somewhere else.
_INHERITED_PREFIXES = ("MHC_", "FLASK_", "DATABASE_URL", "REDIS_URL", "SECRET_KEY", "SQLITE_")


def child_env(database_url: str, instance_dir: Path, **extra: str) -> dict:
    """Environment for a child `flask` process: this database, this instance folder, embedded jobs."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(_INHERITED_PREFIXES)}
    env.update(
        DATABASE_URL=database_url,
        MHC_INSTANCE_DIR=str(instance_dir),
        SECRET_KEY="process-test-key",
        MHC_SECRETS_KEY=",".join(TestConfig.SECRETS_KEYS),  # reads what the test process stored
        MHC_OWNER_USERNAME="hudson",
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


def flask(args: list[str], env: dict, timeout: float = 60.0, stdin: str | None = None) -> subprocess.CompletedProcess:
    """Run `flask --app wsgi ARGS` in a child process and return its exit code and output."""
    cmd = [sys.executable, "-m", "flask", "--app", "wsgi", *args]
    return subprocess.run(  # noqa: S603 (our own CLI)
        cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, input=stdin, check=False
    )


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def panel(env: dict, log_path: Path):
    """Serve the panel (`flask run`, threaded, embedded worker) in a child process; yield its base URL."""
    port = free_port()
    cmd = [sys.executable, "-m", "flask", "--app", "wsgi", "run", "--port", str(port), "--no-reload", "--no-debugger"]
    with open(log_path, "w") as log:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603
        base = f"http://127.0.0.1:{port}"
        try:
            _wait_until_up(base, proc, log_path)
            yield base
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)


def _wait_until_up(base: str, proc: subprocess.Popen, log_path: Path) -> None:
    def answers() -> bool:
        if proc.poll() is not None:
            raise AssertionError(f"the panel exited early:\n{log_path.read_text()}")
        try:
            return requests.get(f"{base}/healthz", timeout=2).status_code < 500
        except requests.ConnectionError:
            return False

    wait_until(answers, 30, message=lambda: f"the panel to answer:\n{log_path.read_text()}")


@contextmanager
def fresh_database(server_url: str | None, tmp_path: Path):
    """An empty database of the test backend: a new SQLite file, or a new PostgreSQL database dropped after."""
    if not server_url:
        yield f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
        return
    name = f"mhc_proc_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield sa.engine.make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
