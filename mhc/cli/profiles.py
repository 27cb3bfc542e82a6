"""`flask profiles ...`: profile pages (diagnose what the parser reads from a saved page)."""

from __future__ import annotations

import json
import sys

import click
from flask.cli import AppGroup

from mhc.scraping.parsers.profile import parse_profile_page

profiles_cli = AppGroup("profiles", help="Profile pages.")


@profiles_cli.command("parse")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--username", required=True, help="The user whose profile the page should be.")
@click.option("--owner", default=None, help="The logged-in owner; the follow state is read only for this login.")
def parse_profile(file, username, owner):
    """Print what the parser reads from a saved profile page, as JSON."""
    with open(file, encoding="utf-8", errors="replace") as handle:
        result = parse_profile_page(handle.read(), username, owner)
    if not result.ok:
        click.echo(f"Error: {result.reason}", err=True)
        sys.exit(1)
    click.echo(json.dumps(result.cli_dict(), indent=2, ensure_ascii=False))


COMMANDS = [profiles_cli]
