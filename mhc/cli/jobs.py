"""`flask jobs ...`: background jobs."""

from __future__ import annotations

import sys
import time

import click
from flask.cli import AppGroup

from mhc.extensions import db
from mhc.jobs import enqueue
from mhc.models import JobRun

jobs_cli = AppGroup("jobs", help="Background jobs.")


@jobs_cli.command("selftest")
@click.option("--wait", type=float, default=10.0, show_default=True, help="Seconds to wait for the result.")
def jobs_selftest(wait):
    """Enqueue a tiny job and wait for a worker to finish it."""
    run = enqueue("selftest", {"value": 21})
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        db.session.expire_all()
        status = db.session.get(JobRun, run.id).status
        if status in ("finished", "failed"):
            click.echo(f"job {run.id} {status}")
            sys.exit(0 if status == "finished" else 1)
        time.sleep(0.2)
    click.echo(f"job {run.id} still {status} after {wait}s: is a worker running?", err=True)
    sys.exit(1)


COMMANDS = [jobs_cli]
