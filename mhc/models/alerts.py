"""Alerts: where to send (channels), what to watch (rules) and what was sent (deliveries, the outbox).

The rules, their kinds and the no-double-send rule: docs/alerts.md; written only through mhc/services/alerts.
"""

from __future__ import annotations

import uuid

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text, Uuid, text
from sqlalchemy.orm import Mapped, mapped_column

from mhc.extensions import db
from mhc.models.types import BigId, UTCDateTime, utcnow

RULE_KIND_NAMES = (
    "tipper_unfollow",
    "any_unfollow",
    "model_follow",
    "sync_failed",
    "sync_held",
    "sync_stale",
    "digest",
)
DELIVERY_STATUSES = ("pending", "sending", "sent", "failed")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class AlertChannel(db.Model):
    """Where alerts go: one Apprise URL, encrypted at rest (it holds tokens and passwords), never shown again."""

    __tablename__ = "alert_channels"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), nullable=False, unique=True)
    kind: Mapped[str] = mapped_column(String(32), nullable=False, comment="The URL scheme, for display")
    url_secret: Mapped[str] = mapped_column(Text, nullable=False, comment="The Apprise URL, Fernet ciphertext")
    enabled: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True, server_default=text("true"))
    created_at: Mapped[object] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    created_by: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("system_users.id", ondelete="SET NULL"))


class AlertRule(db.Model):
    """What the owner wants to be told about, and the channel it goes to; which fields count depends on `kind`."""

    __tablename__ = "alert_rules"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    kind: Mapped[str] = mapped_column(String(32), nullable=False)
    channel_id: Mapped[int] = mapped_column(Integer, ForeignKey("alert_channels.id"), nullable=False)
    enabled: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True, server_default=text("true"))
    min_tokens: Mapped[int | None] = mapped_column(Integer)
    window_days: Mapped[int | None] = mapped_column(Integer, comment="NULL: lifetime tokens")
    min_followers: Mapped[int | None] = mapped_column(Integer)
    stale_days: Mapped[int | None] = mapped_column(Integer)
    digest_time: Mapped[str | None] = mapped_column(String(5), comment="HH:MM in OWNER_TIMEZONE")
    created_at: Mapped[object] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    updated_at: Mapped[object] = mapped_column(UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow)

    __table_args__ = (
        CheckConstraint(_in("kind", RULE_KIND_NAMES), name="kind"),
        Index("ix_alert_rules_kind", "kind", "enabled"),
    )


class AlertDelivery(db.Model):
    """One message to send (the outbox): written in the transaction that saw the event, sent by a job.

    `idempotency_key` names the rule and the event, so nothing is written (or sent) twice; a row is claimed
    ('sending', committed) before the channel is called (docs/alerts.md#never-twice)."""

    __tablename__ = "alert_deliveries"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    rule_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("alert_rules.id", ondelete="CASCADE"), comment="NULL: a test message"
    )
    channel_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("alert_channels.id", ondelete="CASCADE"), nullable=False
    )
    idempotency_key: Mapped[str] = mapped_column(String(200), nullable=False, unique=True)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="pending", server_default="pending")
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0, server_default="0")
    last_error: Mapped[str | None] = mapped_column(Text)
    next_try_at: Mapped[object | None] = mapped_column(UTCDateTime, comment="When a pending or failed row is due")
    event_count: Mapped[int] = mapped_column(Integer, nullable=False, default=1, server_default="1")
    created_at: Mapped[object] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    sent_at: Mapped[object | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        CheckConstraint(_in("status", DELIVERY_STATUSES), name="status"),
        Index("ix_alert_deliveries_created", "created_at", "id"),
        # The scheduler's due rows: pending ones and failed ones with a next try.
        Index("ix_alert_deliveries_due", "status", "next_try_at"),
    )
