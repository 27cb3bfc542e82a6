"""Staff notes: what the panel's users write about a platform user, shown on the Profile header."""

from __future__ import annotations

import uuid

from sqlalchemy import ForeignKey, Index, Integer, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from mhc.extensions import db
from mhc.models.types import UTCDateTime, utcnow

NOTE_MAX = 4000  # characters in one note


class StaffNote(db.Model):
    """One dated note on one person, with its author (docs/operator.md#staff-notes)."""

    __tablename__ = "staff_notes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("persons.id", ondelete="CASCADE"), nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False)
    author_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("system_users.id", ondelete="SET NULL"))
    author_name: Mapped[str | None] = mapped_column(Text, comment="Who wrote it, kept if the user is deleted")
    created_at: Mapped[object] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    updated_at: Mapped[object | None] = mapped_column(UTCDateTime, comment="Last edit; NULL when never edited")

    __table_args__ = (Index("ix_staff_notes_person_created", "person_id", "created_at"),)
