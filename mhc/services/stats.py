"""Table counts for the dashboard: exact when cheap, estimated (and labelled) when not."""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import func, select, text
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import ClauseElement, Executable

from mhc.models import AffiliateSnapshot, FollowEvent, Interaction, Person, Profile, Snapshot

EXACT_LIMIT = 200_000


@dataclass(frozen=True)
class Count:
    """A row count; `approximate` is True when it is the planner's estimate."""

    value: int
    approximate: bool = False

    def __str__(self) -> str:
        return format_count(self.value, self.approximate)


def format_count(value: int, approximate: bool) -> str:
    """'1,234' for exact counts, '≈ 1.2M' for estimates."""
    if not approximate:
        return f"{value:,}"
    for unit, size in (("B", 1e9), ("M", 1e6), ("k", 1e3)):
        if value >= size:
            return f"≈ {value / size:.1f}{unit}"
    return f"≈ {value}"


class Explain(Executable, ClauseElement):
    """EXPLAIN (FORMAT JSON) of a statement, PostgreSQL only; the statement keeps its bound parameters, so a
    searched value is sent as a value and never becomes part of the SQL text."""

    # Not cached: a cached compiled form would be adapted to the next call's columns, which EXPLAIN does not have.
    inherit_cache = False

    def __init__(self, statement):
        self.statement = statement


@compiles(Explain, "postgresql")
def _compile_explain(element: Explain, compiler, **kw) -> str:
    return "EXPLAIN (FORMAT JSON) " + compiler.process(element.statement, **kw)


def planner_rows(session: Session, statement) -> int:
    """PostgreSQL's row estimate for a SELECT (planned, not executed)."""
    plan = session.execute(Explain(statement)).scalar()
    if isinstance(plan, str):
        plan = json.loads(plan)
    return int(plan[0]["Plan"]["Plan Rows"])


def table_count(session: Session, model) -> Count:
    """Count a whole table; on PostgreSQL use the statistics estimate for big tables."""
    if session.get_bind().dialect.name == "postgresql":
        estimate = session.execute(
            text("SELECT reltuples::bigint FROM pg_class WHERE oid = to_regclass(:t)"), {"t": model.__tablename__}
        ).scalar()
        if estimate is not None and estimate > EXACT_LIMIT:
            return Count(int(estimate), approximate=True)
    return Count(session.scalar(select(func.count()).select_from(model)) or 0)


def dashboard_counts(session: Session) -> dict[str, Count]:
    """Counts shown on the index page."""
    models = {
        "Persons": Person,
        "Profiles": Profile,
        "Snapshots": Snapshot,
        "Affiliate API snapshots": AffiliateSnapshot,
        "Events": Interaction,
        "Follow history": FollowEvent,
    }
    return {label: table_count(session, model) for label, model in models.items()}
