"""Run jobs synchronously through the real runner, for tests that assert on the JobRun row."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path

from sqlalchemy import func, select

from mhc.extensions import db
from mhc.models import JobRun, utcnow


def add_run(kind: str, status: str = "queued", **fields) -> JobRun:
    """Insert a JobRun row directly (no queue involved)."""
    run = JobRun(
        id=uuid.uuid4(),
        kind=kind,
        args=fields.pop("args", {}),
        status=status,
        created_at=fields.pop("created_at", utcnow()),
        **fields,
    )
    db.session.add(run)
    db.session.commit()
    return run


def run_job(kind: str, **args) -> JobRun:
    """Create a JobRun and execute it in this thread through the runner; return the reloaded row."""
    from mhc.jobs.runner import execute

    run_id = add_run(kind, args=args).id
    try:
        execute(str(run_id))
    except Exception:  # noqa: S110  (the runner stored the error on the row; tests read it there)
        pass
    db.session.expire_all()
    return db.session.get(JobRun, run_id)


def count(model) -> int:
    """Rows in a model's table."""
    return db.session.scalar(select(func.count()).select_from(model))


class WorkerProcesses:
    """Real `python worker.py` processes on the test's database; each in its own process group, so a test
    can SIGKILL the worker alone (as a crash does) and teardown still ends the Chromium it leaves behind."""

    def __init__(self, app, log_dir):
        self.app, self.log_dir = app, log_dir
        self.procs: list = []

    def start(self, *args: str, **env: str):
        """Start `python worker.py ARGS` with the app's settings plus `env`; stdout and stderr go to a log."""
        cfg = self.app.config
        full_env = {
            **os.environ,
            "DATABASE_URL": cfg["SQLALCHEMY_DATABASE_URI"],
            "MHC_QUEUE_PREFIX": cfg["QUEUE_PREFIX"],
            "MHC_SCHEDULER": "0",
            "MHC_INSTANCE_DIR": str(self.log_dir),
            "MHC_SECRETS_KEY": ",".join(cfg["SECRETS_KEYS"]),
            "WORKER_HEARTBEAT_SECONDS": str(cfg["WORKER_HEARTBEAT_SECONDS"]),
            "WORKER_DEAD_AFTER_SECONDS": str(cfg["WORKER_DEAD_AFTER_SECONDS"]),
            **{k: str(v) for k, v in env.items()},
        }
        for key in ("REDIS_URL", "CHATURBATE_BASE_URL", "AFFILIATE_API_URL", "AFFILIATE_WM"):
            if cfg.get(key) and key not in env:
                full_env[key] = cfg[key]
        log = self.log_dir / f"worker{len(self.procs)}.log"
        root = Path(__file__).resolve().parents[2]
        with open(log, "w") as out:
            proc = subprocess.Popen(
                [sys.executable, "worker.py", *args],
                cwd=root,
                env=full_env,
                stdout=out,
                stderr=out,
                start_new_session=True,
            )
        proc.log_path = log
        self.procs.append(proc)
        return proc

    def stop_all(self) -> None:
        """Kill every process group started (workers and the browsers they launched)."""
        for proc in self.procs:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait(10)
