"""Bulk inserts: COPY on PostgreSQL, executemany elsewhere. Part of the caller's transaction."""

from __future__ import annotations

import csv
import io
import json
import uuid
from datetime import datetime

from sqlalchemy import Table, insert
from sqlalchemy.orm import Session

NULL = "\\N"


def _copy_value(value):
    kind = type(value)
    if kind is str or kind is int or kind is float:  # the common cases first: this runs millions of times
        return value
    if value is None:
        return NULL
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def insert_rows(session: Session, table: Table, rows: list[dict], columns: list[str] | None = None) -> int:
    """Insert many rows into one table in the session's transaction; return how many."""
    if not rows:
        return 0
    columns = columns or list(rows[0])
    if session.get_bind().dialect.name == "postgresql":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        convert = _copy_value
        writer.writerows([convert(row.get(c)) for c in columns] for row in rows)
        buffer.seek(0)
        cursor = session.connection().connection.cursor()
        cols = ", ".join(f'"{c}"' for c in columns)
        cursor.copy_expert(f"COPY \"{table.name}\" ({cols}) FROM STDIN WITH (FORMAT csv, NULL '{NULL}')", buffer)
        return len(rows)
    session.execute(insert(table), rows)
    return len(rows)
