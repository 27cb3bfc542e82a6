"""Table counts for the dashboard: exact when cheap, estimated (and labelled) when not."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mhc import sqlcompat
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


def table_count(session: Session, model) -> Count:
    """Count a whole table; use the statistics estimate for big tables where the database keeps one."""
    estimate = sqlcompat.table_rows_estimate(session, model.__tablename__)
    if estimate is not None and estimate > EXACT_LIMIT:
        return Count(estimate, approximate=True)
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
