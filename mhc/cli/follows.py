"""`flask follows ...`: import a complete follow list, print unfollow insights, run a sync in the foreground."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime

import click
from flask import current_app
from flask.cli import AppGroup

from mhc.cli.common import CommandError, require_database
from mhc.extensions import db
from mhc.jobs import JobAlreadyRunning
from mhc.jobs.follow_jobs import run_follow_sync_here
from mhc.models import utcnow
from mhc.services.follows import sync as follow_sync
from mhc.services.follows.direction import Direction
from mhc.services.follows.follow_ledger import FollowListError
from mhc.services.follows.insights import unfollow_insights

follows_cli = AppGroup("follows", help="Follow lists: import, insights, sync.")


class DirectionChoice(click.Choice):
    """`following` or `followers`, as screens spell them; parsed into a Direction here, once."""

    def __init__(self):
        super().__init__([d.label for d in Direction])

    def convert(self, value, param, ctx) -> Direction:
        """Click's own "is not one of" message for anything else."""
        return Direction.parse(super().convert(value, param, ctx))


DIRECTION = DirectionChoice()


def _as_of(value: str | None) -> datetime:
    if not value:
        return utcnow()
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"not an ISO 8601 time: {value!r}", param_hint="--as-of") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@follows_cli.command("import")
@click.argument("direction", type=DIRECTION)
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--as-of", "as_of", default=None, help="When the list was observed (ISO 8601; default now).")
@click.option("--confirm-mass-removal", is_flag=True, help="Apply even if it unfollows more than the guard allows.")
def import_list(direction: Direction, files, as_of, confirm_mass_removal):
    """Apply saved list pages or username files (together one complete list); print added/removed/unchanged."""
    require_database()
    texts = []
    for path in files:
        with open(path, encoding="utf-8", errors="replace") as handle:
            texts.append((path, handle.read()))
    settings = follow_sync.FollowSettings.from_config(current_app.config)
    listed = follow_sync.read_import(db.session, texts, direction, settings)
    if not listed.ok:
        raise CommandError("; ".join(listed.problems) + "; nothing was applied")
    try:  # the panel's path without the page in between: nobody saw counts that could go stale
        result = follow_sync.apply_now(
            db.session,
            listed,
            _as_of(as_of),
            actor_id=None,
            settings=settings,
            confirm_mass_removal=confirm_mass_removal,
        )
    except FollowListError as exc:
        raise CommandError(f"{exc}; nothing was applied") from None
    if result.held:
        click.echo(f"Held, nothing applied: {result.reason} (use --confirm-mass-removal)", err=True)
        sys.exit(3)
    click.echo(f"added {result.added}, removed {result.removed}, unchanged {result.unchanged}")


@follows_cli.command("insights")
@click.option("--as-of", "as_of", default=None, help="Compute as of this time (ISO 8601; default now).")
@click.option("--window", type=click.Choice(["7", "30", "90"]), default="30", show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the insights object as JSON.")
def insights(as_of, window, as_json):
    """Unfollows in 7/30 days, average follow length, unfollow rate over the window."""
    require_database()
    result = unfollow_insights(db.session, _as_of(as_of), int(window))
    if as_json:
        click.echo(json.dumps(result.to_dict(), indent=2))
        return
    for key, value in result.to_dict().items():
        click.echo(f"{key}: {'-' if value is None else value}")


@follows_cli.command("sync")
@click.argument("direction", type=DIRECTION)
def sync(direction):
    """Scrape the complete list in Chromium now (foreground, with progress) and apply it."""
    require_database()
    try:
        run = run_follow_sync_here(direction, echo=click.echo)
    except JobAlreadyRunning as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(1)
    if run.status == "failed":
        click.echo(f"Aborted, nothing changed: {run.error}", err=True)
        sys.exit(1)
    counts = run.counts or {}
    if run.status == "held":
        click.echo(f"Held, nothing applied: {counts.get('reason')} (confirm run {run.id} in the panel)", err=True)
        sys.exit(3)
    line = f"added {counts.get('added')}, removed {counts.get('removed')}, unchanged {counts.get('unchanged')}"
    if counts.get("pending"):  # missing from a read with no count: not unfollowed yet
        line += f", pending {counts['pending']}"
    click.echo(line)


COMMANDS = [follows_cli]
