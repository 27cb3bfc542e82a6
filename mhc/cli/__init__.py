"""Operator commands: `flask --app wsgi COMMAND` (or plain `flask COMMAND` in the virtualenv).

Each group lives in its own module; init_cli registers them all, each wrapped so that an expected failure
(database down or locked, unreadable input, job queue down) prints one `Error: ...` line, not a traceback."""

from __future__ import annotations

from flask import Flask

from mhc.cli import database, follows, jobs, profiles, users
from mhc.cli import secrets as secrets_commands
from mhc.cli.common import one_line_errors


def init_cli(app: Flask) -> None:
    """Register every command group."""
    for module in (database, users, jobs, profiles, follows, secrets_commands):
        for command in module.COMMANDS:
            app.cli.add_command(one_line_errors(command))
