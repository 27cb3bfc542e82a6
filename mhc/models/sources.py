"""What the outside sources told us: Affiliate API rows, captured snapshots, Events API events."""

from __future__ import annotations

import uuid

from sqlalchemy import Boolean, ForeignKey, Index, Integer, LargeBinary, String, Text, Uuid
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Mapped, mapped_column

from mhc.extensions import db
from mhc.models.types import BigId, JSONType, UTCDateTime, utcnow


class AffiliateSnapshot(db.Model):
    """One room row of one Affiliate API cycle, every field as the feed gave it."""

    __tablename__ = "affiliate_api_snapshots"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    person_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("persons.id", ondelete="CASCADE"), nullable=False)
    job_run_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("job_runs.id", ondelete="SET NULL"))
    observed_at: Mapped[object] = mapped_column(UTCDateTime, nullable=False)
    rank: Mapped[int | None] = mapped_column(Integer)
    username: Mapped[str] = mapped_column(String(64), nullable=False)
    display_name: Mapped[str | None] = mapped_column(Text)
    age: Mapped[int | None] = mapped_column(Integer)
    birthday: Mapped[str | None] = mapped_column(String(10))
    gender: Mapped[str | None] = mapped_column(String(2))
    location: Mapped[str | None] = mapped_column(Text)
    country: Mapped[str | None] = mapped_column(String(2))
    spoken_languages: Mapped[str | None] = mapped_column(Text)
    num_users: Mapped[int | None] = mapped_column(Integer)
    num_followers: Mapped[int | None] = mapped_column(Integer)
    is_hd: Mapped[bool | None] = mapped_column(Boolean)
    is_new: Mapped[bool | None] = mapped_column(Boolean)
    current_show: Mapped[str | None] = mapped_column(String(16))
    room_subject: Mapped[str | None] = mapped_column(Text)
    tags: Mapped[list | None] = mapped_column(JSONType)
    seconds_online: Mapped[int | None] = mapped_column(Integer)
    session_start: Mapped[object | None] = mapped_column(UTCDateTime)
    image_url: Mapped[str | None] = mapped_column(Text)
    image_url_360x270: Mapped[str | None] = mapped_column(Text)
    chat_room_url: Mapped[str | None] = mapped_column(Text)
    chat_room_url_revshare: Mapped[str | None] = mapped_column(Text)
    iframe_embed: Mapped[str | None] = mapped_column(Text)
    iframe_embed_revshare: Mapped[str | None] = mapped_column(Text)
    slug: Mapped[str | None] = mapped_column(String(64))

    __table_args__ = (Index("ix_affiliate_snapshots_person_observed", "person_id", "observed_at"),)


class Snapshot(db.Model):
    """The state of a person as one source captured it at one moment."""

    __tablename__ = "snapshots"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    person_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("persons.id", ondelete="CASCADE"), nullable=False)
    source: Mapped[str] = mapped_column(String(32), nullable=False)
    observed_at: Mapped[object] = mapped_column(UTCDateTime, nullable=False)
    job_run_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("job_runs.id", ondelete="SET NULL"))
    follower_count: Mapped[int | None] = mapped_column(Integer)
    online: Mapped[bool | None] = mapped_column(Boolean)
    data: Mapped[dict | None] = mapped_column(JSONType)

    __table_args__ = (Index("ix_snapshots_person_observed", "person_id", "observed_at"),)


class Interaction(db.Model):
    """One Events API event, stored raw and linked to the person it is about."""

    __tablename__ = "interactions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    type: Mapped[str] = mapped_column(String(32), nullable=False)
    person_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("persons.id", ondelete="SET NULL"))
    from_username: Mapped[str | None] = mapped_column(String(64))
    to_username: Mapped[str | None] = mapped_column(String(64))
    room: Mapped[str | None] = mapped_column(String(64))
    is_direct: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False, server_default=sql_text("false"))
    text: Mapped[str | None] = mapped_column(Text)
    amount: Mapped[int | None] = mapped_column(Integer)
    occurred_at: Mapped[object] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    is_flagged: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False, server_default=sql_text("false"))
    raw: Mapped[dict | None] = mapped_column(JSONType)

    __table_args__ = (
        Index("ix_interactions_occurred", "occurred_at", "id"),
        Index("ix_interactions_type_occurred", "type", "occurred_at", "id"),
        # Events page Direct/Private tabs (migration 0007): DMs are rare among private messages.
        Index("ix_interactions_type_direct_occurred", "type", "is_direct", "occurred_at", "id"),
        Index("ix_interactions_person_occurred", "person_id", "occurred_at"),
    )


class Thumbnail(db.Model):
    """A person's room thumbnail, downloaded while the room was online (the URL later serves a branded
    placeholder: docs/domain.md#placeholder-images). Only real images are stored; the panel serves them itself."""

    __tablename__ = "thumbnails"

    person_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("persons.id", ondelete="CASCADE"), primary_key=True)
    content: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    content_type: Mapped[str] = mapped_column(String(32), nullable=False, comment="From the bytes, not the server")
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    source_url: Mapped[str] = mapped_column(Text, nullable=False)
    fetched_at: Mapped[object] = mapped_column(UTCDateTime, nullable=False, default=utcnow)


class FeedQuarantine(db.Model):
    """An event or room a feed sent that could not be stored, kept as received with the reason.

    One row per item and broken rule (`fingerprint`): the same poison sent again counts up `times_seen`
    instead of piling up rows. `raw` is JSON text with every control character escaped, so a NUL byte
    that PostgreSQL refuses in text and JSONB is still kept, readable, as `\\u0000`.
    """

    __tablename__ = "feed_quarantine"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(String(16), nullable=False, comment="events or affiliate")
    fingerprint: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    item: Mapped[str | None] = mapped_column(String(64), comment="Event id or room username, cut to 64 characters")
    rule: Mapped[str] = mapped_column(String(32), nullable=False)
    reason: Mapped[str] = mapped_column(Text, nullable=False)
    raw: Mapped[str] = mapped_column(Text, nullable=False, comment="JSON text as received, cut at 64 KiB")
    raw_chars: Mapped[int] = mapped_column(Integer, nullable=False, comment="Length of the whole JSON text")
    times_seen: Mapped[int] = mapped_column(Integer, nullable=False, default=1, server_default=sql_text("1"))
    first_seen_at: Mapped[object] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    last_seen_at: Mapped[object] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    job_run_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("job_runs.id", ondelete="SET NULL"))

    __table_args__ = (Index("ix_feed_quarantine_last_seen", "last_seen_at", "id"),)
