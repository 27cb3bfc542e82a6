"""Audit log: who changed what, when, field by field."""

from __future__ import annotations

import uuid

from sqlalchemy import ForeignKey, Index, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mhc.extensions import db
from mhc.models.types import BigId, JSONType, UTCDateTime, utcnow


class AuditLog(db.Model):
    """One recorded change or security event."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    at: Mapped[object] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    user_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("system_users.id", ondelete="SET NULL"))
    username: Mapped[str | None] = mapped_column(Text, comment="Who acted, kept if the user is deleted")
    object_type: Mapped[str] = mapped_column(String(64), nullable=False)
    object_id: Mapped[str | None] = mapped_column(String(64))
    object_label: Mapped[str | None] = mapped_column(
        Text, comment="The object's name when the row was written, shown once the object is gone"
    )
    action: Mapped[str] = mapped_column(String(32), nullable=False)
    diff: Mapped[dict | None] = mapped_column(JSONType)
    remote_addr: Mapped[str | None] = mapped_column(String(64))

    user = relationship("SystemUser")

    __table_args__ = (
        Index("ix_audit_log_at", "at"),
        Index("ix_audit_log_object", "object_type", "object_id", "at"),
    )
