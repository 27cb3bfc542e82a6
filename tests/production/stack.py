"""The production stack of the rehearsal: the commands the README's Production section (or the systemd units in
deploy/) runs, started as separate processes on one throwaway PostgreSQL database and the real Redis.

Which command lines run: when deploy/*.service exist, their ExecStart lines, with the install folder
(WorkingDirectory) replaced by this checkout, the virtualenv's programs by this one's, gunicorn's bind address
by a free local port and its worker count by the rehearsal's; until then the README's gunicorn and worker lines.
"""

from __future__ import annotations

import configparser
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import requests
import sqlalchemy as sa

from tests.waiting import wait_until

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
# Settings a developer's shell may carry that would point a child somewhere else.
INHERITED_PREFIXES = (
    "MHC_",
    "FLASK_",
    "DATABASE_URL",
    "REDIS_URL",
    "SECRET_KEY",
    "SQLITE_",
    "CHATURBATE_",
    "AFFILIATE_",
    "EVENTS_",
    "STATS_",
    "WORKER_",
    "BROWSER_",
    "THUMBNAIL",
)
PYTHONS = {"python", "python3", f"python3.{sys.version_info.minor}"}


@dataclass
class Commands:
    """argv of each long-running service, the environment its unit sets, and where each line came from."""

    web: list[str]
    worker: list[str]
    events: list[str]
    sources: dict[str, str] = field(default_factory=dict)
    unit_env: dict[str, dict[str, str]] = field(default_factory=dict)


def production_commands(web_port: int, web_workers: int) -> Commands:
    """The services' command lines: from deploy/*.service when they exist, else from the README."""
    found: dict[str, tuple[list[str], str, dict]] = {}
    for unit in sorted((ROOT / "deploy").glob("*.service")):
        argv, workdir, env = _unit_service(unit)
        if argv:
            found.setdefault(_service_kind(argv), (_localise(argv, workdir), f"deploy/{unit.name}", env))
    for kind, (argv, source) in _readme_commands().items():
        found.setdefault(kind, (argv, source, {}))
    missing = {"web", "worker", "events"} - found.keys()
    assert not missing, f"no command line found for {sorted(missing)} in deploy/*.service or README.md"
    web = _with_bind(found["web"][0], web_port, web_workers)
    return Commands(
        web,
        found["worker"][0],
        found["events"][0],
        {k: v[1] for k, v in found.items()},
        {k: v[2] for k, v in found.items()},
    )


def _service_kind(argv: list[str]) -> str:
    if any(Path(a).name == "gunicorn" for a in argv):
        return "web"
    if any(a.endswith("worker.py") for a in argv):
        return "events" if "events" in argv else "worker"
    return "other"


def _specifiers(text: str, unit: str) -> str:
    """Resolve systemd specifiers as systemd would: %% is one %, %i/%I the instance ("1"); others refused."""

    def one(match: re.Match) -> str:
        char = match.group(1)
        if char in ("i", "I"):
            return "1"
        assert char == "%", f"{unit}: specifier %{char} in {text!r} (write %% for a literal %)"
        return "%"

    return re.sub(r"%(.)", one, text)


def _unit_service(unit: Path) -> tuple[list[str] | None, str | None, dict]:
    """A systemd unit's ExecStart as argv, its WorkingDirectory and its Environment= settings."""
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str
    parser.read_string(unit.read_text().replace("\\\n", " "))
    if not parser.has_option("Service", "ExecStart"):
        return None, None, {}
    line = _specifiers(parser.get("Service", "ExecStart").strip().lstrip("-@+!:"), unit.name)
    workdir = parser.get("Service", "WorkingDirectory", fallback=None)
    env = dict(item.split("=", 1) for item in shlex.split(parser.get("Service", "Environment", fallback="")))
    return shlex.split(line), workdir.lstrip("-") if workdir else None, env


def _localise(argv: list[str], workdir: str | None) -> list[str]:
    """This checkout for the install folder, this virtualenv's python/gunicorn/flask for the installed ones."""
    out = []
    for i, arg in enumerate(argv):
        if workdir and (arg == workdir or arg.startswith(workdir.rstrip("/") + "/")):
            arg = str(ROOT) + arg[len(workdir.rstrip("/")) :]
        if i == 0 and Path(arg).name in PYTHONS:
            arg = sys.executable
        elif i == 0 and Path(arg).name in ("gunicorn", "flask"):
            arg = str(BIN / Path(arg).name)
        out.append(arg)
    return out


def example_env() -> dict[str, str]:
    """deploy/mhc.env.example as a dict (empty when there is none): the settings production sets."""
    path = ROOT / "deploy" / "mhc.env.example"
    if not path.exists():
        return {}
    pairs = (line.split("=", 1) for line in path.read_text().splitlines() if "=" in line and line[:1] not in "#;")
    return {key.strip(): value.strip() for key, value in pairs}


def _readme_commands() -> dict[str, tuple[list[str], str]]:
    """The gunicorn and `python worker.py` lines of the README's Production section."""
    text = (ROOT / "README.md").read_text()
    section = text.split("## Production", 1)[1].split("\n## ", 1)[0]
    found = {}
    for raw in section.splitlines():
        line = raw.split("#", 1)[0].strip()
        if line.startswith(("gunicorn ", "python worker.py")):
            argv = _localise(shlex.split(line), None)
            found.setdefault(_service_kind(argv), (argv, "README.md"))
    return found


def _with_bind(argv: list[str], port: int, workers: int) -> list[str]:
    """gunicorn's argv with the bind address and worker count replaced (or added)."""
    out, skip = [], False
    for arg in argv:
        if skip:
            skip = False
            continue
        if arg in ("-b", "--bind", "-w", "--workers"):
            skip = True
            continue
        if re.match(r"^(--bind|--workers)=", arg) or re.match(r"^-[bw]\S", arg):
            continue
        out.append(arg)
    return [out[0], "--bind", f"127.0.0.1:{port}", "--workers", str(workers), *out[1:]]


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def clean_env(**settings: str) -> dict:
    """The test runner's environment without any of our settings, plus `settings`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(INHERITED_PREFIXES)}
    env.update(PYTHONUNBUFFERED="1", **settings)
    return env


def flask_cli(args: list[str], env: dict, stdin: str | None = None, timeout: float = 120) -> str:
    """Run `flask --app wsgi ARGS` as the README does; fail with its output unless it exits 0."""
    cmd = [str(BIN / "flask"), "--app", "wsgi", *args]
    done = subprocess.run(cmd, cwd=ROOT, env=env, input=stdin, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{shlex.join(cmd)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


class Processes:
    """Long-running children, each in its own process group (a kill also ends the Chromium it started)."""

    def __init__(self, log_dir: Path):
        self.log_dir = log_dir
        self.procs: dict[str, subprocess.Popen] = {}

    def start(self, name: str, argv: list[str], env: dict) -> subprocess.Popen:
        """Start `argv` in this checkout with its output in LOG_DIR/NAME.log."""
        log = self.log_dir / f"{name}.log"
        with open(log, "w") as out:
            proc = subprocess.Popen(
                argv, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        proc.log_path = log
        self.procs[name] = proc
        return proc

    def log_tail(self, name: str, chars: int = 3000) -> str:
        """The end of a child's output, for failure messages."""
        return self.procs[name].log_path.read_text(errors="replace")[-chars:]

    def stop_all(self) -> None:
        """SIGTERM every process group, then SIGKILL what is left after a few seconds."""
        for sig, grace in ((signal.SIGTERM, 5.0), (signal.SIGKILL, 10.0)):
            for proc in self.procs.values():
                try:
                    os.killpg(proc.pid, sig)
                except ProcessLookupError:
                    pass
            deadline = time.monotonic() + grace
            for proc in self.procs.values():
                try:
                    proc.wait(max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    pass


def wait_for_http(url: str, proc: subprocess.Popen, timeout: float = 30) -> None:
    """Until `url` answers 200; fail early when the process exits."""

    def up():
        assert proc.poll() is None, f"exited with {proc.returncode}"
        try:
            return requests.get(url, timeout=2).status_code == 200
        except requests.RequestException:  # not listening yet, or still starting its workers
            return False

    wait_until(up, timeout, message=url)


class ThrowawayDatabase:
    """A PostgreSQL database of its own on the test server, dropped (even with connections left) at the end."""

    def __init__(self, server_url: str):
        self.name = f"mhc_rehearsal_{uuid.uuid4().hex[:10]}"
        self._admin = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
        with self._admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{self.name}"'))
        self.url = sa.engine.make_url(server_url).set(database=self.name).render_as_string(hide_password=False)
        self.engine = sa.create_engine(self.url)

    def drop(self) -> None:
        self.engine.dispose()
        with self._admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
        self._admin.dispose()

    def scalar(self, sql: str, **params):
        """One value of a read-only query."""
        with self.engine.connect() as conn:
            return conn.execute(sa.text(sql), params).scalar()

    def rows(self, sql: str, **params) -> list:
        """All rows of a read-only query."""
        with self.engine.connect() as conn:
            return list(conn.execute(sa.text(sql), params))
