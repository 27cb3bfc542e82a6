"""Append-only history of every follow-state change."""

from __future__ import annotations

import uuid

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Uuid, text
from sqlalchemy.orm import Mapped, mapped_column

from mhc.extensions import db
from mhc.models.types import BigId, UTCDateTime, utcnow

DIRECTIONS = ("following", "follower")
ACTIONS = ("follow", "unfollow")
SOURCES = ("list_scrape", "events_api", "profile_scrape", "manual_import")


class FollowEvent(db.Model):
    """One follow or unfollow, in one direction, as one source observed it."""

    __tablename__ = "follow_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    person_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("persons.id", ondelete="CASCADE"), nullable=False)
    direction: Mapped[str] = mapped_column(String(16), nullable=False)
    action: Mapped[str] = mapped_column(String(16), nullable=False)
    source: Mapped[str] = mapped_column(String(32), nullable=False)
    observed_at: Mapped[object] = mapped_column(UTCDateTime, nullable=False)
    job_run_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("job_runs.id", ondelete="SET NULL"))
    event_id: Mapped[str | None] = mapped_column(String(64))
    period_started_at: Mapped[object | None] = mapped_column(
        UTCDateTime, comment="On unfollow rows: when the follow period this unfollow ended began"
    )
    created_at: Mapped[object] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    __table_args__ = (
        CheckConstraint("direction IN ('following', 'follower')", name="direction"),
        CheckConstraint("action IN ('follow', 'unfollow')", name="action"),
        CheckConstraint("source IN ('list_scrape', 'events_api', 'profile_scrape', 'manual_import')", name="source"),
        Index("ix_follow_events_person_direction", "person_id", "direction", "observed_at"),
        # INCLUDE on PostgreSQL (migration 0009): the Unfollowed insights read only this index.
        Index(
            "ix_follow_events_direction_action",
            "direction",
            "action",
            "observed_at",
            postgresql_include=["period_started_at"],
        ),
        Index(
            "ix_follow_events_event_id",
            "event_id",
            postgresql_where=text("event_id IS NOT NULL"),
            sqlite_where=text("event_id IS NOT NULL"),
        ),
    )
