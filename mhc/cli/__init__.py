"""Operator commands: `flask --app wsgi COMMAND` (or plain `flask COMMAND` in the virtualenv).

Each group lives in its own module; init_cli registers them all."""

from __future__ import annotations

from flask import Flask


def init_cli(app: Flask) -> None:
    """Register every command group."""
    from mhc.cli import database, follows, jobs, profiles, users

    for module in (database, users, jobs, profiles, follows):
        for command in module.COMMANDS:
            app.cli.add_command(command)
