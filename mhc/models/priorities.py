"""Priority lookups: P1 one-shot population, P2 active tracking."""

from __future__ import annotations

import uuid

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mhc.extensions import db
from mhc.models.types import UTCDateTime, utcnow

STATUSES = ("queued", "processing", "complete", "failed")


class PriorityLookup(db.Model):
    """The one priority a person has; re-adding overwrites level and status."""

    __tablename__ = "priority_lookups"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("persons.id", ondelete="CASCADE"), nullable=False, unique=True
    )
    priority: Mapped[int] = mapped_column(Integer, nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="queued")
    requested_by_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("system_users.id", ondelete="SET NULL"))
    note: Mapped[str | None] = mapped_column(Text)
    failure_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[object] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    updated_at: Mapped[object] = mapped_column(UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow)
    completed_at: Mapped[object | None] = mapped_column(UTCDateTime)
    last_checked_at: Mapped[object | None] = mapped_column(UTCDateTime)

    person = relationship("Person", backref="priority_lookup")

    __table_args__ = (
        CheckConstraint("priority IN (1, 2)", name="priority"),
        CheckConstraint("status IN ('queued', 'processing', 'complete', 'failed')", name="status"),
        Index("ix_priority_lookups_status", "priority", "status", "created_at"),
    )
