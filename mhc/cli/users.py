"""`flask users ...`: system users (people who log into the panel)."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from mhc.cli.common import require_database
from mhc.extensions import db

users_cli = AppGroup("users", help="System users (people who log into the panel).")


@users_cli.command("ensure-admin")
@click.option("--username", default="admin", show_default=True)
@click.option("--email", default="admin@localhost", show_default=True)
def ensure_admin(username, email):
    """Create an admin if none exists and print its password once (MHC_ADMIN_PASSWORD if set)."""
    from mhc.services import accounts

    require_database()
    user, password = accounts.ensure_admin(db.session, username, email, current_app.config.get("ADMIN_PASSWORD"))
    if password is None:
        click.echo(f"An admin exists ({user.username}); log in with its password.")
    elif current_app.config.get("ADMIN_PASSWORD"):
        click.echo(f"Created admin {user.username!r} with the password from MHC_ADMIN_PASSWORD.")
    else:
        click.echo(f"Created admin {user.username!r}; password (shown once): {password}")


COMMANDS = [users_cli]
