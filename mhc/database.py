"""Database wiring: engine settings per backend and a clear message when the database is down."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError

from mhc.extensions import db, migrate

MIGRATIONS_DIR = str(Path(__file__).resolve().parent.parent / "migrations")


class DatabaseUnavailable(RuntimeError):
    """The configured database cannot be reached; the message is one line."""


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record):
    # Foreign keys are off by default in SQLite; WAL and a busy timeout let the web and a worker write together.
    if isinstance(dbapi_connection, sqlite3.Connection):
        cur = dbapi_connection.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA busy_timeout=15000")
        cur.close()


def init_database(app: Flask) -> None:
    """Bind SQLAlchemy and Alembic; create the SQLite directory when needed."""
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("sqlite:///") and not uri.startswith("sqlite:///:memory:"):
        Path(uri[len("sqlite:///") :]).parent.mkdir(parents=True, exist_ok=True)
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"connect_args": {"timeout": 15}}
    db.init_app(app)
    migrate.init_app(app, db, directory=MIGRATIONS_DIR, render_as_batch=True, compare_type=True)
    app.register_error_handler(OperationalError, _database_down)


def _database_down(exc: OperationalError):
    """A page (not a traceback) when the database stops answering mid-flight."""
    db.session.rollback()
    reason = str(exc.orig).strip().splitlines()[0] if exc.orig else "unknown error"
    return f"Database unavailable: {reason}", 503, {"Content-Type": "text/plain; charset=utf-8"}


def check_database() -> None:
    """Open one connection or raise DatabaseUnavailable with a one-line reason."""
    try:
        with db.engine.connect():
            pass
    except OperationalError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        url = db.engine.url.render_as_string(hide_password=True)
        raise DatabaseUnavailable(f"cannot connect to the database {url}: {reason}") from None


def is_postgres() -> bool:
    """True when the bound engine is PostgreSQL."""
    return db.engine.dialect.name == "postgresql"
