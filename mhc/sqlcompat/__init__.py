"""Every difference between SQLite and PostgreSQL the application relies on, and nothing else.

No other module asks which database it runs on: it calls a function here, or uses an expression from here
that compiles to each backend's own SQL (docs/architecture.md#database-differences). Functions take a
Session, a Connection or an Engine (`bind`), so migrations use them too. The triggers that keep derived tables
equal to their definitions are generated in `mhc.sqlcompat.triggers`.
"""

from __future__ import annotations

import csv
import io
import json
import uuid
from collections.abc import Mapping
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Dialect, Engine
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import ClauseElement, Executable, FunctionElement

Bind = Session | Connection | Engine


def _dialect(bind: Bind) -> Dialect:
    return (bind if isinstance(bind, (Connection, Engine)) else bind.get_bind()).dialect  # a (scoped) Session


def is_postgres(bind: Bind) -> bool:
    """True on PostgreSQL, False on SQLite: the one place the question is asked."""
    return _dialect(bind).name == "postgresql"


def render(bind: Bind, expression: ClauseElement) -> str:
    """An expression as this backend's SQL text, values inlined (for DDL and hand-written statements)."""
    return str(expression.compile(dialect=_dialect(bind), compile_kwargs={"literal_binds": True}))


def _quote(bind: Bind, name: str) -> str:
    return _dialect(bind).identifier_preparer.quote(name)


# ----------------------------------------------------------------------------------------- temporary tables


def temp_table(name: str, *columns: sa.Column) -> sa.Table:
    """A temporary table: PostgreSQL drops it at commit; SQLite keeps it for the connection (drop it)."""
    return sa.Table(name, sa.MetaData(), *columns, prefixes=["TEMPORARY"], postgresql_on_commit="DROP")


def create_temp_table(session: Session, table: sa.Table) -> None:
    """Create a temporary table in the session's transaction, replacing one an earlier use left behind.

    Only SQLite can have one left behind (it keeps them for the connection); on PostgreSQL a temporary
    table ends with its transaction, and every user drops or releases its own before that."""
    if not is_postgres(session):
        drop_temp_table(session, table.name)
    table.create(session.connection())


def create_temp_table_as(session: Session, name: str) -> str:
    """The head of a `CREATE TEMPORARY TABLE ... AS` statement; append the SELECT (same life as temp_table)."""
    on_commit = " ON COMMIT DROP" if is_postgres(session) else ""
    return f"CREATE TEMPORARY TABLE {_quote(session, name)}{on_commit} AS"


def release_temp_table(session: Session, name: str) -> None:
    """Done with a temporary table that this transaction will not create again: SQLite drops it now,
    PostgreSQL at commit (or rollback), without a statement."""
    if not is_postgres(session):
        drop_temp_table(session, name)


def drop_temp_table(session: Session, name: str) -> None:
    """Drop a temporary table if it exists (SQLite keeps them for the connection's life)."""
    session.execute(sa.text(f"DROP TABLE IF EXISTS {_quote(session, name)}"))


def analyze(session: Session, *tables: str) -> None:
    """Give PostgreSQL's planner real row counts (temporary and freshly filled tables); SQLite plans without."""
    if is_postgres(session):
        for name in tables:
            session.execute(sa.text(f"ANALYZE {_quote(session, name)}"))


# ----------------------------------------------------------------------------------------- writing rows


def conflict_insert(bind: Bind, table: sa.Table):
    """An INSERT accepting on_conflict_do_nothing / on_conflict_do_update and `.excluded` (spelt alike)."""
    return (postgresql if is_postgres(bind) else sqlite).insert(table)


def insert_or_ignore(bind: Bind, table: sa.Table, keys: list[str]):
    """An INSERT that skips rows whose `keys` already exist."""
    return conflict_insert(bind, table).on_conflict_do_nothing(index_elements=keys)


NULL = "\\N"  # how COPY spells NULL here (a CSV empty string would be an empty string)


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


def insert_rows(session: Session, table: sa.Table, rows: list[dict], columns: list[str] | None = None) -> int:
    """Insert many rows in the session's transaction (COPY on PostgreSQL, executemany on SQLite); return how many."""
    if not rows:
        return 0
    columns = columns or list(rows[0])
    if not is_postgres(session):
        session.execute(sa.insert(table), rows)
        return len(rows)
    buffer = io.StringIO()
    csv.writer(buffer).writerows([_copy_value(row.get(c)) for c in columns] for row in rows)
    buffer.seek(0)
    cols = ", ".join(_quote(session, c) for c in columns)
    cursor = session.connection().connection.cursor()
    cursor.copy_expert(
        f"COPY {_quote(session, table.name)} ({cols}) FROM STDIN WITH (FORMAT csv, NULL '{NULL}')", buffer
    )
    return len(rows)


def add_by_key(session: Session, table: sa.Table, key: str, column: str, amounts: Mapping) -> None:
    """`column += amount` for each row whose `key` is in `amounts`, in one statement where the backend can."""
    if not amounts:
        return
    target, key_column = table.c[column], table.c[key]
    if is_postgres(session):
        rows = sa.values(sa.column("k", key_column.type), sa.column("n", target.type), name="amounts")
        rows = rows.data(list(amounts.items()))
        session.execute(table.update().where(key_column == rows.c.k).values({column: target + rows.c.n}))
        return
    # SQLite cannot name the columns of a VALUES list; its executemany runs in-process (no round trips).
    stmt = table.update().where(key_column == sa.bindparam("k")).values({column: target + sa.bindparam("n")})
    session.execute(stmt, [{"k": k, "n": n} for k, n in amounts.items()])


# ----------------------------------------------------------------------------------------- expressions


def _compiled_as(*, on_postgresql: str, on_sqlite: str):
    """Class decorator for a SQL function element: on each backend it compiles to that backend's template
    with the compiled arguments filled in as {0}, {1}, ..."""

    def register(element_class):
        for dialect, template in (("postgresql", on_postgresql), ("sqlite", on_sqlite)):
            compiles(element_class, dialect)(_filled(template))
        return element_class

    return register


def _filled(template: str):
    def compile_element(element, compiler, **kw) -> str:
        return template.format(*(compiler.process(c, **kw) for c in element.clauses))

    return compile_element


@_compiled_as(on_postgresql="extract(epoch FROM {0} - {1})", on_sqlite="(julianday({0}) - julianday({1})) * 86400")
class seconds_between(FunctionElement):  # noqa: N801 (used like a SQL function)
    """Seconds from the second timestamp to the first (`later - earlier`), as a number."""

    type = sa.Float()
    name = "seconds_between"
    inherit_cache = True


@_compiled_as(on_postgresql="({0} AT TIME ZONE 'UTC')::date", on_sqlite="date({0})")
class utc_date(FunctionElement):  # noqa: N801
    """The UTC calendar day of a timestamp (stored as UTC on both backends)."""

    type = sa.Date()
    name = "utc_date"
    inherit_cache = True


@_compiled_as(on_postgresql="({0} ? {1})", on_sqlite="EXISTS (SELECT 1 FROM json_each({0}) AS j WHERE j.value = {1})")
class json_array_contains(FunctionElement):  # noqa: N801
    """True when a JSON array column holds this string (GIN-indexed `?` on PostgreSQL's JSONB)."""

    type = sa.Boolean()
    name = "json_array_contains"
    inherit_cache = True

    def __init__(self, column, value: str):
        super().__init__(column, sa.literal(value, sa.String()))


# SQLite stores UUIDs as 32 hex digits (version nibble 13th, variant nibble 17th).
_SQLITE_UUID4 = (
    "lower(hex(randomblob(6)) || '4' || substr(hex(randomblob(2)), 2) || substr('89ab', abs(random()) % 4 + 1, 1) "
    "|| substr(hex(randomblob(2)), 2) || hex(randomblob(6)))"
)


@_compiled_as(on_postgresql="gen_random_uuid()", on_sqlite=_SQLITE_UUID4)
class random_uuid(FunctionElement):  # noqa: N801
    """A new random (version 4) id made by the database: generating 100,000 in Python costs half a second."""

    type = sa.Uuid()
    name = "random_uuid"
    inherit_cache = True


# strftime('%s') drops the fraction of a second, as floor() does: both give whole seconds, never rounded up.
@_compiled_as(on_postgresql="floor(date_part('epoch', {0}))::bigint", on_sqlite="CAST(strftime('%s', {0}) AS INTEGER)")
class epoch_seconds(FunctionElement):  # noqa: N801
    """Whole seconds from the Unix epoch to a timestamp, as an integer (integer arithmetic is then the same
    on both backends)."""

    type = sa.BigInteger()
    name = "epoch_seconds"
    inherit_cache = True


# ----------------------------------------------------------------------------------------- row estimates


class _Explain(Executable, ClauseElement):
    """EXPLAIN (FORMAT JSON) of a statement; the statement keeps its bound parameters, so a searched value
    is sent as a value and never becomes part of the SQL text."""

    # Not cached: a cached compiled form would be adapted to the next call's columns, which EXPLAIN does not have.
    inherit_cache = False

    def __init__(self, statement):
        self.statement = statement


@compiles(_Explain, "postgresql")
def _compile_explain(element: _Explain, compiler, **kw) -> str:
    return "EXPLAIN (FORMAT JSON) " + compiler.process(element.statement, **kw)


def planner_rows(session: Session, statement) -> int | None:
    """PostgreSQL's row estimate for a SELECT (planned, not executed); None on SQLite, which has none."""
    if not is_postgres(session):
        return None
    plan = session.execute(_Explain(statement)).scalar()
    if isinstance(plan, str):
        plan = json.loads(plan)
    return int(plan[0]["Plan"]["Plan Rows"])


def planner_rows_each(session: Session, statements: list) -> list[int] | None:
    """planner_rows of each statement, in order (one EXPLAIN each); None on SQLite."""
    if not is_postgres(session):
        return None
    return [planner_rows(session, statement) for statement in statements]


def table_rows_estimate(session: Session, table: str) -> int | None:
    """PostgreSQL's statistics estimate of a table's rows; None on SQLite and before the first ANALYZE."""
    if not is_postgres(session):
        return None
    # By name and visibility (not to_regclass, which rejects a malformed name with an error).
    sql = "SELECT reltuples::bigint FROM pg_class WHERE relname = :t AND pg_table_is_visible(oid)"
    rows = session.scalar(sa.text(sql), {"t": table})
    return None if rows is None or rows < 0 else int(rows)  # reltuples is -1 until the table is analysed


def value_shares(session: Session, table: str, column: str) -> dict[str, float]:
    """Share of rows per most common value of a column, from PostgreSQL's statistics; {} on SQLite or before
    the first ANALYZE."""
    if not is_postgres(session):
        return {}
    row = session.execute(
        sa.text(
            "SELECT most_common_vals::text::text[], most_common_freqs FROM pg_stats "
            "WHERE schemaname = current_schema() AND tablename = :t AND attname = :c"
        ),
        {"t": table, "c": column},
    ).first()
    if row is None or row[0] is None:
        return {}
    return dict(zip(row[0], row[1], strict=True))
