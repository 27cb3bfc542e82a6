"""Triggers that keep a table derived from another equal to its definition, written for each backend
(docs/architecture.md#database-differences): summary tables (sums per key) and tables recomputed per key from
the rows a statement touched.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa

from mhc.sqlcompat import Bind, is_postgres, render

RowsFn = Callable[[sa.TableClause], dict[str, sa.ColumnElement]]
WhereFn = Callable[[sa.TableClause], sa.ColumnElement]
# The rows each trigger takes away (old) and adds (new): PostgreSQL's transition tables, once per statement;
# SQLite has none, so once per row.
_EVENTS = {"insert": ("", "new"), "update": ("old", "new"), "delete": ("old", "")}


@dataclass(frozen=True)
class TableTriggers:
    """The triggers that keep a table derived from a source table (a summary, or rows recomputed per key)
    equal to its definition."""

    source: str
    triggers: dict[str, str]  # name -> CREATE TRIGGER statement
    function: str | None = None  # PostgreSQL: the plpgsql function the triggers run
    function_body: str | None = None  # ... and its source, as pg_proc.prosrc holds it

    def statements(self, bind: Bind) -> list[str]:
        """Drop these triggers if they exist, then (re)create the function and the triggers."""
        on = f" ON {self.source}" if is_postgres(bind) else ""
        out = [f"DROP TRIGGER IF EXISTS {name}{on}" for name in self.triggers]
        if self.function:
            head = f"CREATE OR REPLACE FUNCTION {self.function}() RETURNS trigger LANGUAGE plpgsql AS "
            out.append(f"{head}$${self.function_body}$$")
        return out + list(self.triggers.values())

    def drop_statements(self, bind: Bind) -> list[str]:
        """Drop these triggers and their function, if they exist (a migration's downgrade)."""
        function = [f"DROP FUNCTION IF EXISTS {self.function}()"] if self.function else []
        return self.statements(bind)[: len(self.triggers)] + function  # statements() drops the triggers first


def summary_triggers(
    bind: Bind, target: sa.Table, source: sa.Table, keys: RowsFn, sums: RowsFn, where: WhereFn | None = None
) -> TableTriggers:
    """Triggers keeping `target` equal to: per keys(row), the sum of each of sums(row), over the `source` rows
    where where(row) holds (all when None). Each builds expressions over a table-like with the source's `.c`."""
    triggers, head, fns = {}, f"{target.name}_", (keys, sums, where)
    if not is_postgres(bind):
        for event, rows in _EVENTS.items():
            body = " ".join(_upsert(bind, target, source, fns, r, r == "old") + ";" for r in rows if r)
            triggers[head + event] = (
                f"CREATE TRIGGER {head}{event} AFTER {event.upper()} ON {source.name} FOR EACH ROW BEGIN {body} END"
            )
        return TableTriggers(source.name, triggers)
    body = "\nBEGIN\n"
    for ops, rows in (("'UPDATE', 'DELETE'", "old_rows"), ("'INSERT', 'UPDATE'", "new_rows")):
        upsert = _upsert(bind, target, source, fns, rows, rows == "old_rows")
        body += f"    IF TG_OP IN ({ops}) THEN\n        {upsert};\n    END IF;\n"
    body += "    RETURN NULL;\nEND\n"
    return _statement_triggers(target, source, body)


def _upsert(bind: Bind, target: sa.Table, source: sa.Table, fns: tuple, rows: str, minus: bool):
    """Add the sums of `rows` to their keys' totals, or take them away (`minus`): on PostgreSQL `rows` is a
    transition table, summed per key; on SQLite it is the trigger's one row (old or new). `fns` holds keys,
    sums and where (None, or the condition a row must meet to count)."""
    keys, sums, where = fns
    table = sa.table(rows, *(sa.column(c.name, c.type) for c in source.columns))
    key_sql, sum_sql = keys(table), sums(table)
    sign, columns = "-" if minus else "", ", ".join([*key_sql, *sum_sql])
    keys_text, on_conflict = [render(bind, e) for e in key_sql.values()], f"ON CONFLICT ({', '.join(key_sql)})"
    condition = f" WHERE {render(bind, where(table))}" if where is not None else ""
    if not is_postgres(bind):
        values = ", ".join(keys_text + [f"{sign}({render(bind, e)})" for e in sum_sql.values()])
        added = ", ".join(f"{c} = {c} + excluded.{c}" for c in sum_sql)
        # Filtered: SELECT the one row only when it counts (no FROM, so ON CONFLICT cannot read as a join).
        head = f"SELECT {values}{condition}" if where is not None else f"VALUES ({values})"
        return f"INSERT INTO {target.name} ({columns}) {head} {on_conflict} DO UPDATE SET {added}"
    selected = ", ".join(keys_text + [f"{sign}sum({render(bind, e)})" for e in sum_sql.values()])
    positions = ", ".join(str(i + 1) for i in range(len(key_sql)))
    added = ", ".join(f"{c} = d.{c} + EXCLUDED.{c}" for c in sum_sql)
    return (
        f"INSERT INTO {target.name} AS d ({columns}) SELECT {selected} FROM {rows}{condition} GROUP BY {positions} "
        f"ORDER BY {positions} {on_conflict} DO UPDATE SET {added}"
    )


ScopeFn = Callable[[sa.TableClause], sa.ColumnElement]


def recompute_triggers(
    bind: Bind, target: sa.Table, source: sa.Table, keys: tuple[str, ...], derive: Callable[[ScopeFn], sa.Select]
) -> TableTriggers:
    """Triggers keeping `target` equal to derive(every source row): after each insert, update or delete on
    `source`, the target rows of every key (say person and direction) the statement touched are deleted and
    derived again from that key's source rows. derive(scope) selects the target's columns by name from the
    source rows where scope(rows) holds; `keys` name columns both tables have."""
    if not is_postgres(bind):
        triggers = {}
        for event, rows in _EVENTS.items():
            body = " ".join(_recompute(bind, target, keys, derive, r.upper()) for r in rows if r)
            triggers[f"{target.name}_{event}"] = (
                f"CREATE TRIGGER {target.name}_{event} AFTER {event.upper()} ON {source.name} "
                f"FOR EACH ROW BEGIN {body} END"
            )
        return TableTriggers(source.name, triggers)
    body = "\nBEGIN\n"
    for op, rows in (("INSERT", ("new",)), ("DELETE", ("old",)), ("UPDATE", ("old", "new"))):
        body += f"    IF TG_OP = '{op}' THEN\n        {_recompute(bind, target, keys, derive, rows)}\n    END IF;\n"
    body += "    RETURN NULL;\nEND\n"
    return _statement_triggers(target, source, body)


def _recompute(bind: Bind, target: sa.Table, keys: tuple[str, ...], derive, rows) -> str:
    """Delete and derive again the target rows of the keys in `rows`: on SQLite the trigger's one row ("OLD"
    or "NEW"); on PostgreSQL the names of the statement's transition tables (old, new or both)."""
    if isinstance(rows, str):

        def scope(table):
            return sa.and_(*(table.c[k] == sa.literal_column(f"{rows}.{k}") for k in keys))

    else:
        touched = sa.union(*(sa.select(*(sa.column(k) for k in keys)).select_from(sa.table(f"{r}_rows")) for r in rows))

        def scope(table):
            return sa.tuple_(*(table.c[k] for k in keys)).in_(touched)

    derived = derive(scope)
    columns = ", ".join(c.name for c in derived.selected_columns)
    delete = target.delete().where(scope(target))
    return f"{render(bind, delete)}; INSERT INTO {target.name} ({columns}) {render(bind, derived)};"


def _statement_triggers(target: sa.Table, source: sa.Table, body: str) -> TableTriggers:
    """PostgreSQL: one plpgsql function run once per statement by an insert, an update and a delete trigger,
    with the statement's rows as transition tables (old_rows, new_rows)."""
    triggers, head = {}, f"{target.name}_"
    for event, rows in _EVENTS.items():
        tables = " ".join(f"{r.upper()} TABLE AS {r}_rows" for r in rows if r)
        triggers[head + event] = (
            f"CREATE TRIGGER {head}{event} AFTER {event.upper()} ON {source.name} REFERENCING {tables} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {head}apply()"
        )
    return TableTriggers(source.name, triggers, f"{head}apply", body)


def installed_triggers(bind: Bind, table: str) -> dict[str, str]:
    """The triggers on a table as the database reports them (name -> CREATE TRIGGER statement)."""
    if is_postgres(bind):
        sql = (
            "SELECT tgname, pg_get_triggerdef(oid) FROM pg_trigger WHERE NOT tgisinternal AND tgrelid = "
            "(SELECT oid FROM pg_class WHERE relname = :t AND pg_table_is_visible(oid))"
        )
    else:
        sql = "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = :t"
    return dict(bind.execute(sa.text(sql), {"t": table}).all())


def installed_function(bind: Bind, name: str) -> str | None:
    """A PostgreSQL function's source as stored (prosrc); None on SQLite or when it does not exist."""
    if not is_postgres(bind):
        return None
    return bind.execute(sa.text("SELECT prosrc FROM pg_proc WHERE proname = :n"), {"n": name}).scalar()
