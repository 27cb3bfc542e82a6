"""Database commands: check-db, demo-data, recompute-value."""

from __future__ import annotations

import sys

import click
from flask import current_app

from mhc.cli.common import require_database
from mhc.extensions import db
from mhc.services import demo, demo_scene
from mhc.services.users import value


@click.command("check-db")
def check_db():
    """Exit 0 if the database answers, else print one line and exit 2."""
    require_database()
    click.echo("database ok")


@click.command("demo-data")
@click.option("--persons", "n_persons", type=click.IntRange(1), default=500, show_default=True)
@click.option("--seed", type=int, default=1, show_default=True)
@click.option(
    "--force",
    is_flag=True,
    help="Add the demo persons even though the database already holds data: new persons only, never a username "
    "or id already stored; existing rows are kept as they are.",
)
@click.option("--if-empty", is_flag=True, help="Do nothing (and succeed) when the database is not empty.")
@click.option("--snapshots-per-model", type=click.IntRange(0), default=None, help="Affiliate snapshots per model.")
def demo_data(n_persons, seed, force, if_empty, snapshots_per_model):
    """Fill an empty database with realistic generated data (set-based)."""
    require_database()
    empty = demo.is_empty(db.session)
    if not empty:
        if if_empty:
            click.echo("database already holds data; demo data not loaded")
            return
        if not force:
            click.echo("Error: the database is not empty; use --force to add demo data anyway", err=True)
            sys.exit(1)
    result = demo.load(
        db.session,
        n_persons=n_persons,
        seed=seed,
        snapshots_per_model=snapshots_per_model,
        owner=current_app.config["OWNER_USERNAME"],
        progress=lambda msg: click.echo(msg, err=True),
    )
    click.echo(result.summary())
    if empty:  # the owner's own pages (broadcasts, stats, sample runs, a held sync, alerts) once, on a new panel
        scene = demo_scene.load(db.session, owner=current_app.config["OWNER_USERNAME"], seed=seed)
        click.echo("demo scene: " + ", ".join(f"{k} {v:,}" for k, v in scene.counts.items()))


@click.command("recompute-value")
def recompute_value():
    """Recompute every person's tokens, tips, last tip and first sighting from the stored events (a repair)."""
    require_database()
    changed = value.repair(db.session, current_app.config["OWNER_USERNAME"])
    click.echo(f"fan value recomputed: {changed} persons changed")


COMMANDS = [check_db, demo_data, recompute_value]
