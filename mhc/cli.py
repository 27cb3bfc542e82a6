"""Operator commands: `flask --app wsgi COMMAND` (or plain `flask COMMAND` in the virtualenv)."""

from __future__ import annotations

import sys

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from mhc.database import DatabaseUnavailable, check_database
from mhc.extensions import db

users_cli = AppGroup("users", help="System users (people who log into the panel).")
jobs_cli = AppGroup("jobs", help="Background jobs.")


def init_cli(app: Flask) -> None:
    """Register every command group."""
    app.cli.add_command(users_cli)
    app.cli.add_command(jobs_cli)
    app.cli.add_command(demo_data)
    app.cli.add_command(check_db)


def _require_database() -> None:
    try:
        check_database()
    except DatabaseUnavailable as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(2)


@click.command("check-db")
def check_db():
    """Exit 0 if the database answers, else print one line and exit 2."""
    _require_database()
    click.echo("database ok")


@click.command("demo-data")
@click.option("--persons", "n_persons", type=click.IntRange(1), default=500, show_default=True)
@click.option("--seed", type=int, default=1, show_default=True)
@click.option("--force", is_flag=True, help="Load even though the database already holds persons.")
@click.option("--if-empty", is_flag=True, help="Do nothing (and succeed) when the database is not empty.")
@click.option("--snapshots-per-model", type=click.IntRange(0), default=None, help="Affiliate snapshots per model.")
def demo_data(n_persons, seed, force, if_empty, snapshots_per_model):
    """Fill an empty database with realistic generated data (set-based)."""
    from mhc.services import demo

    _require_database()
    if not demo.is_empty(db.session):
        if if_empty:
            click.echo("database already holds data; demo data not loaded")
            return
        if not force:
            click.echo("Error: the database is not empty; use --force to add demo data anyway", err=True)
            sys.exit(1)
    result = demo.load(
        db.session, n_persons=n_persons, seed=seed, snapshots_per_model=snapshots_per_model,
        owner=current_app.config["OWNER_USERNAME"], progress=lambda msg: click.echo(msg, err=True),
    )
    click.echo(result.summary())


@users_cli.command("ensure-admin")
@click.option("--username", default="admin", show_default=True)
@click.option("--email", default="admin@localhost", show_default=True)
def ensure_admin(username, email):
    """Create an admin if none exists and print its password once (MHC_ADMIN_PASSWORD if set)."""
    from mhc.services import accounts

    _require_database()
    user, password = accounts.ensure_admin(db.session, username, email, current_app.config.get("ADMIN_PASSWORD"))
    if password is None:
        click.echo(f"An admin exists ({user.username}); log in with its password.")
    elif current_app.config.get("ADMIN_PASSWORD"):
        click.echo(f"Created admin {user.username!r} with the password from MHC_ADMIN_PASSWORD.")
    else:
        click.echo(f"Created admin {user.username!r}; password (shown once): {password}")


@jobs_cli.command("selftest")
@click.option("--wait", type=float, default=10.0, show_default=True, help="Seconds to wait for the result.")
def jobs_selftest(wait):
    """Enqueue a tiny job and wait for a worker to finish it."""
    import time

    from mhc.jobs import enqueue
    from mhc.models import JobRun

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
