"""Server-side secrets and settings (session cookies, Events API token and cursor)."""

from __future__ import annotations

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from mhc.extensions import db
from mhc.models.types import UTCDateTime, utcnow


class StoredSecret(db.Model):
    """A secret kept in the database; never rendered back, logged or put into job arguments.

    `value` holds Fernet ciphertext (prefixed `fernet:`), written and read only through mhc.services.secrets."""

    __tablename__ = "stored_secrets"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text, nullable=False)
    updated_at: Mapped[object] = mapped_column(UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow)
