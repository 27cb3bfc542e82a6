"""Append-only history of every follow-state change."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import BigInteger, CheckConstraint, Date, Float, ForeignKey, Index, Integer, String, Uuid, text
from sqlalchemy.orm import Mapped, mapped_column

from mhc.extensions import db
from mhc.models.types import BigId, JSONType, UTCDateTime, utcnow

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
        # Migration 0023: follower changes by time across both actions (the Hudson page).
        Index("ix_follow_events_direction_observed", "direction", "observed_at", "id"),
        Index(
            "ix_follow_events_event_id",
            "event_id",
            postgresql_where=text("event_id IS NOT NULL"),
            sqlite_where=text("event_id IS NOT NULL"),
        ),
    )


class FollowDaily(db.Model):
    """Per UTC day and direction: how many follows and unfollows the history holds, and the summed length
    of the follow periods those unfollows ended. Defined in mhc/services/follows/daily.py, which generates
    the database triggers on `follow_events` that keep it equal to that aggregate in the same statement as
    every insert, update or delete; the insights read it instead of every row."""

    __tablename__ = "follow_daily"

    direction: Mapped[str] = mapped_column(String(16), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    follows: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    unfollows: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    periods: Mapped[int] = mapped_column(
        Integer, nullable=False, server_default="0", comment="Unfollows with a recorded period start"
    )
    period_seconds: Mapped[float] = mapped_column(
        Float, nullable=False, server_default="0", comment="Summed length of those periods"
    )


class FollowPeriod(db.Model):
    """One stretch of following in one direction: from a follow to the unfollow that ended it (or still
    going). Derived from `follow_events` by mhc/services/follows/period_table.py, whose database triggers
    recompute the periods of every person and direction a statement on the history touches
    (docs/domain.md#follow-periods-table); nothing else writes it."""

    __tablename__ = "follow_periods"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    person_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("persons.id", ondelete="CASCADE"), nullable=False)
    direction: Mapped[str] = mapped_column(String(16), nullable=False)
    started_at: Mapped[object] = mapped_column(UTCDateTime, nullable=False, comment="The follow that began it")
    ended_at: Mapped[object | None] = mapped_column(UTCDateTime, comment="The unfollow that ended it; NULL: going on")
    previous_started_at: Mapped[object | None] = mapped_column(
        UTCDateTime, comment="When this person's previous period in this direction began"
    )
    lasted_seconds: Mapped[int | None] = mapped_column(
        BigInteger, comment="Whole seconds from its start to its end (NULL while it goes on)"
    )
    back_after_seconds: Mapped[int | None] = mapped_column(
        BigInteger, comment="Whole seconds from its start to the start of the next period (NULL: none)"
    )

    __table_args__ = (
        CheckConstraint("direction IN ('following', 'follower')", name="direction"),
        Index("ix_follow_periods_person", "person_id", "direction", "started_at"),
        # The retention cohorts read every follower period begun in a year from this index alone.
        Index(
            "ix_follow_periods_started",
            "direction",
            "started_at",
            postgresql_include=["person_id", "previous_started_at", "lasted_seconds", "back_after_seconds"],
        ),
    )


class FollowPending(db.Model):
    """A marked person a browser read with no count to check against did not list: not yet unfollowed.

    A later complete read at least FOLLOW_PENDING_MINUTES after `first_missed_at` that still misses the
    person marks them unfollowed (at `first_missed_at`); any complete read that lists them deletes the row
    (docs/reliability.md, "Follow lists: removals must be proven")."""

    __tablename__ = "follow_pending"

    person_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("persons.id", ondelete="CASCADE"), primary_key=True)
    direction: Mapped[str] = mapped_column(String(16), primary_key=True)
    first_missed_at: Mapped[object] = mapped_column(
        UTCDateTime, nullable=False, comment="When the first read that did not list the person was taken"
    )
    job_run_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("job_runs.id", ondelete="SET NULL"))

    __table_args__ = (CheckConstraint("direction IN ('following', 'follower')", name="direction"),)


class HeldFollowList(db.Model):
    """A complete list waiting for an admin's yes: a manual import's preview, or a list a sync read that
    the mass-removal guard held (then `id` = `run_id`). Applied only through services/follows/sync.py,
    which refuses it when `fingerprint` no longer matches the list and the follow state, once applied, or
    after `expires_at`."""

    __tablename__ = "held_follow_lists"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    run_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("job_runs.id", ondelete="CASCADE"), unique=True, comment="The sync that held it"
    )
    source: Mapped[str] = mapped_column(String(32), nullable=False, server_default="list_scrape")
    direction: Mapped[str] = mapped_column(String(16), nullable=False)
    observed_at: Mapped[object] = mapped_column(UTCDateTime, nullable=False)
    usernames: Mapped[list] = mapped_column(JSONType, nullable=False)
    pending_minutes: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[object] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("system_users.id", ondelete="SET NULL"))
    expires_at: Mapped[object | None] = mapped_column(UTCDateTime)
    fingerprint: Mapped[str | None] = mapped_column(
        String(64), comment="SHA-256 of the list and of the follow state it was previewed against"
    )
    confirmed_by_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("system_users.id", ondelete="SET NULL"))
    confirmed_at: Mapped[object | None] = mapped_column(UTCDateTime)
    applied: Mapped[dict | None] = mapped_column(JSONType)  # the counts the confirmed list applied
