"""`flask secrets ...`: the owner's cookies and API tokens encrypted at rest (MHC_SECRETS_KEY)."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from mhc.cli.common import require_database
from mhc.extensions import db
from mhc.services import crypto, secrets

secrets_cli = AppGroup("secrets", help="Stored cookies and API tokens, encrypted with MHC_SECRETS_KEY.")


@secrets_cli.command("rotate")
def rotate():
    """Re-encrypt every stored secret under the first key of MHC_SECRETS_KEY; print how many rows."""
    require_database()
    count = secrets.rotate(db.session)
    click.echo(f"re-encrypted {count} stored secret{'' if count == 1 else 's'} under the first key")


@secrets_cli.command("status")
def status():
    """How many stored secrets each key of MHC_SECRETS_KEY opens; never prints a value."""
    require_database()
    counts = secrets.key_status(db.session)
    click.echo(f"{len(current_app.config['SECRETS_KEYS'])} key(s) configured in MHC_SECRETS_KEY")
    if not counts:
        click.echo("no stored secrets")
    for label in sorted(counts):
        click.echo(f"{label}: {counts[label]}")
    if counts.get("undecryptable"):
        raise click.ClickException(crypto.UNDECRYPTABLE)


COMMANDS = [secrets_cli]
