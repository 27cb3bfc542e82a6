"""`flask users ...`: system users (people who log into the panel)."""

from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import AppGroup

from mhc.cli.common import require_database
from mhc.extensions import db
from mhc.services.access import accounts

users_cli = AppGroup("users", help="System users (people who log into the panel).")


@users_cli.command("ensure-admin")
@click.option("--username", default="admin", show_default=True)
@click.option("--email", default="admin@example.com", show_default=True)
def ensure_admin(username, email):
    """Create an admin if none exists and print its password once (MHC_ADMIN_PASSWORD if set)."""
    require_database()
    user, password = accounts.ensure_admin(db.session, username, email, current_app.config.get("ADMIN_PASSWORD"))
    if password is None:
        click.echo(f"An admin exists ({user.username}); log in with its password.")
    elif current_app.config.get("ADMIN_PASSWORD"):
        click.echo(f"Created admin {user.username!r} with the password from MHC_ADMIN_PASSWORD.")
    else:
        click.echo(f"Created admin {user.username!r}; password (shown once): {password}")


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


@users_cli.command("create-admin")
@click.argument("username")
@click.argument("email")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of stdin.")
def create_admin(username, email, password_stdin):
    """Create an admin system user (password prompted twice, or read from stdin)."""
    require_database()
    try:
        user = accounts.create_user(db.session, username, email, _read_password(password_stdin), "admin")
    except accounts.AccountError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Created admin {user.username!r}.")


@users_cli.command("create")
@click.argument("username")
@click.argument("email")
@click.option("--role", help="A role name, e.g. subscriber or admin; without it: viewer, the least privileged.")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of stdin.")
def create(username, email, role, password_stdin):
    """Create a system user, by default with the least-privileged role (password prompted twice, or from stdin)."""
    require_database()
    role = role or accounts.DEFAULT_ROLE
    try:
        user = accounts.create_user(db.session, username, email, _read_password(password_stdin), role)
    except accounts.AccountError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Created {user.username!r} with role {role}.")


@users_cli.command("list")
def list_users():
    """List system users: username, email, role, active, last login."""
    require_database()
    for user in accounts.list_users(db.session):
        role = user.role.name if user.role else "-"
        state = "active" if user.is_active else "inactive"
        last = user.last_login_at.strftime("%Y-%m-%d %H:%M UTC") if user.last_login_at else "never"
        click.echo(f"{user.username}\t{user.email}\t{role}\t{state}\tlast login: {last}")


@users_cli.command("set-role")
@click.argument("username")
@click.argument("role")
def set_role(username, role):
    """Give a system user another role (the last active admin cannot be demoted)."""
    require_database()
    try:
        user = accounts.set_role(db.session, username, role)
    except accounts.AccountError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"{user.username} is now {role}.")


COMMANDS = [users_cli]
