"""Helpers shared by the command modules."""

from __future__ import annotations

import sys

import click

from mhc.database import DatabaseUnavailable, check_database


def require_database() -> None:
    """Exit with a one-line message (status 2) when the database cannot be reached."""
    try:
        check_database()
    except DatabaseUnavailable as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(2)
