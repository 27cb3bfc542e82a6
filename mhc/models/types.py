"""Column types and helpers shared by every model."""

import uuid
from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy import JSON, BigInteger, DateTime, Integer
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.types import TypeDecorator

# JSONB on PostgreSQL (indexable, compact), JSON text on SQLite.
JSONType = JSON().with_variant(JSONB(), "postgresql")
# SQLite only autoincrements INTEGER PRIMARY KEY, PostgreSQL needs BIGINT for big tables.
BigId = BigInteger().with_variant(Integer(), "sqlite")


def utcnow() -> datetime:
    """The current time, timezone-aware UTC: the only clock the application reads."""
    return datetime.now(UTC)


def parse_uuid(value) -> uuid.UUID:
    """A UUID from a UUID or its text (ids arrive as text from forms, URLs, job arguments and SQLite).

    Raises ValueError naming the value when it is not one, so callers turn it into a 404 or a refusal.
    """
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value).strip())
    except ValueError:
        raise ValueError(f"not a valid id: {str(value)[:64]!r}") from None


def parse_uuids(values: Iterable) -> list[uuid.UUID]:
    """The values that are UUIDs, as UUIDs and in their order; the others are dropped (they cannot be our ids)."""
    out = []
    for value in values:
        try:
            out.append(parse_uuid(value))
        except ValueError:
            continue
    return out


class UTCDateTime(TypeDecorator):
    """A timezone-aware UTC timestamp on every backend (SQLite drops the offset on its own)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where a UTC timestamp is required")
        return value.astimezone(UTC)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)
