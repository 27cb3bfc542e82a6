"""The owner's own account: broadcast segments and sessions (Events API), Stats API samples."""

from __future__ import annotations

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from mhc.extensions import db
from mhc.models.types import BigId, JSONType, UTCDateTime


class BroadcastSession(db.Model):
    """Broadcast segments no more than BROADCAST_SESSION_GAP_MINUTES apart; ended_at is None while live."""

    __tablename__ = "broadcast_sessions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    started_at: Mapped[object] = mapped_column(UTCDateTime, nullable=False)
    ended_at: Mapped[object | None] = mapped_column(UTCDateTime)
    segments_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0, server_default="0")

    __table_args__ = (Index("ix_broadcast_sessions_started", "started_at"),)


class BroadcastSegment(db.Model):
    """One broadcastStart..broadcastStop span of the owner's room."""

    __tablename__ = "broadcast_segments"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    session_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("broadcast_sessions.id", ondelete="CASCADE"), nullable=False
    )
    started_at: Mapped[object] = mapped_column(UTCDateTime, nullable=False)
    ended_at: Mapped[object | None] = mapped_column(UTCDateTime)
    start_event_id: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    stop_event_id: Mapped[str | None] = mapped_column(String(64))

    __table_args__ = (
        Index("ix_broadcast_segments_session", "session_id", "started_at"),
        Index("ix_broadcast_segments_started", "started_at"),
    )


class OwnerStatsSample(db.Model):
    """One Stats API reading of the owner's account (-1 values stored as null)."""

    __tablename__ = "owner_stats"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    observed_at: Mapped[object] = mapped_column(UTCDateTime, nullable=False)
    username: Mapped[str] = mapped_column(String(64), nullable=False)
    token_balance: Mapped[int | None] = mapped_column(Integer)
    tips_in_last_hour: Mapped[int | None] = mapped_column(Integer)
    votes_up: Mapped[int | None] = mapped_column(Integer)
    votes_down: Mapped[int | None] = mapped_column(Integer)
    satisfaction_score: Mapped[int | None] = mapped_column(Integer)
    last_broadcast: Mapped[object | None] = mapped_column(UTCDateTime)
    time_online: Mapped[int | None] = mapped_column(Integer)
    num_followers: Mapped[int | None] = mapped_column(Integer)
    num_viewers: Mapped[int | None] = mapped_column(Integer)
    num_registered_viewers: Mapped[int | None] = mapped_column(Integer)
    raw: Mapped[dict | None] = mapped_column(JSONType)

    __table_args__ = (Index("ix_owner_stats_observed", "observed_at"),)
