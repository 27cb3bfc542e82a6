"""Database wiring: engine settings per backend and a clear message when the database is down."""

from __future__ import annotations

import re
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


# SQLite transactions (docs/reliability.md, "SQLite: writers wait"). The driver's own BEGIN is turned off and
# ours is sent just before the first statement that writes: BEGIN IMMEDIATE, which waits (busy timeout) for
# the single write lock instead of failing. Reads before it run outside any transaction and see the latest
# commit, as on PostgreSQL, so they never wait and never hold an old snapshot that a later write would have
# to upgrade (SQLite refuses such an upgrade at once with "database is locked", whatever the busy timeout).
_READS = frozenset({"SELECT", "VALUES", "EXPLAIN", "PRAGMA"})
# Statements that manage transactions themselves, or that SQLite refuses inside one.
_OWN_TRANSACTION = frozenset({"BEGIN", "COMMIT", "END", "ROLLBACK", "RELEASE", "VACUUM", "ATTACH", "DETACH"})
_FIRST_WORD = re.compile(r"\s*(?:(?:--[^\n]*(?:\n|$)|/\*.*?\*/)\s*)*(\w+)", re.S)


@event.listens_for(Engine, "connect")
def _sqlite_connect(dbapi_connection, _record):
    # Foreign keys are off by default in SQLite; WAL lets readers read while one writer writes.
    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.isolation_level = None  # no implicit BEGIN from the driver: _sqlite_write_lock sends ours
        cur = dbapi_connection.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA journal_mode=WAL")
        cur.close()


@event.listens_for(Engine, "checkout")
def _sqlite_checkout(dbapi_connection, _record, _proxy):
    # After an AUTOCOMMIT use SQLAlchemy hands transaction control back to the driver: take it again.
    if isinstance(dbapi_connection, sqlite3.Connection) and dbapi_connection.isolation_level is not None:
        if not dbapi_connection.in_transaction:
            dbapi_connection.isolation_level = None


@event.listens_for(Engine, "before_cursor_execute")
def _sqlite_write_lock(conn, cursor, statement, _parameters, context, _executemany):
    dbapi_connection = cursor.connection
    if not isinstance(dbapi_connection, sqlite3.Connection) or dbapi_connection.in_transaction:
        return
    if conn.get_execution_options().get("isolation_level") == "AUTOCOMMIT":
        return
    if _starts_write(statement, context):
        try:
            cursor.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:  # raised here SQLAlchemy would not wrap it: callers expect its type
            raise OperationalError("BEGIN IMMEDIATE", None, exc) from exc


def _starts_write(statement: str, context) -> bool:
    """True unless the statement only reads or manages its own transaction (unknown ones count as writes)."""
    match = _FIRST_WORD.match(statement)
    word = match.group(1).upper() if match else ""
    if word in _READS or word in _OWN_TRANSACTION:
        return False
    compiled = getattr(context, "compiled", None)
    if word == "WITH" and compiled is not None and not context.is_text:
        return bool(context.is_crud or context.isddl)  # a compiled SELECT with a CTE; raw SQL may write after WITH
    return True


def init_database(app: Flask) -> None:
    """Bind SQLAlchemy and Alembic; create the SQLite directory when needed."""
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("sqlite:///") and not uri.startswith("sqlite:///:memory:"):
        try:
            Path(uri[len("sqlite:///") :]).parent.mkdir(parents=True, exist_ok=True)
        except OSError:
            pass  # the first connection reports it, in one line (check-db, every command)
        # The busy timeout is how long a writer waits for the write lock before "database is locked".
        timeout = float(app.config.get("SQLITE_BUSY_TIMEOUT", 15))
        options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
        options["connect_args"] = {**options.get("connect_args", {}), "timeout": timeout}
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options
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
