"""Saved views: a system user's named Users-list states (tab, filters, search, sort, columns).

Each row belongs to one system user and is only ever read or changed for that user; `query` holds the list
URL's query string after validation (docs/operator.md#saved-views-and-columns)."""

from __future__ import annotations

import uuid

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint, Uuid, text
from sqlalchemy.orm import Mapped, mapped_column

from mhc.extensions import db
from mhc.models.types import UTCDateTime, utcnow

NAME_MAX = 80


class SavedView(db.Model):
    """One named list state of one system user; at most one per tab is that tab's default."""

    __tablename__ = "saved_views"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("system_users.id", ondelete="CASCADE"), nullable=False)
    name: Mapped[str] = mapped_column(String(NAME_MAX), nullable=False)
    tab: Mapped[str] = mapped_column(String(32), nullable=False, comment="The Users list: directory, following, ...")
    query: Mapped[str] = mapped_column(
        Text, nullable=False, comment="The list URL's query string, only known parameters kept"
    )
    is_default: Mapped[bool] = mapped_column(
        Boolean, nullable=False, default=False, server_default=text("false"), comment="Opened when its tab is opened bare"
    )
    created_at: Mapped[object] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    updated_at: Mapped[object] = mapped_column(UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow)

    __table_args__ = (
        UniqueConstraint("user_id", "name", name="uq_saved_views_user_name"),
        Index("ix_saved_views_user_tab", "user_id", "tab"),
    )

    def __str__(self) -> str:
        return self.name
