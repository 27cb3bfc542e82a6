"""Platform users (Chaturbate models and viewers) and their profiles."""

from __future__ import annotations

import enum
import re
import uuid

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, Uuid, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mhc.extensions import db
from mhc.models.types import JSONType, UTCDateTime, utcnow

USERNAME_RE = re.compile(r"^[a-z0-9_]+$")
# The longest username we store (persons.username is String(64)); a longer "username" is not one.
MAX_USERNAME_LENGTH = 64


class Role(enum.StrEnum):
    """What a platform user is to us; BOTH once seen as a model and as a viewer."""

    MODEL = "MODEL"
    VIEWER = "VIEWER"
    BOTH = "BOTH"
    UNKNOWN = "UNKNOWN"


ROLE_VALUES = tuple(r.value for r in Role)


def normalise_username(raw: str) -> str:
    """Lowercase and trim a username; raise ValueError unless it is [a-z0-9_]+ of at most 64 characters."""
    name = (raw or "").strip().strip("/").lower()
    if len(name) > MAX_USERNAME_LENGTH:
        raise ValueError(f"not a Chaturbate username: {len(name)} characters (at most {MAX_USERNAME_LENGTH})")
    if not USERNAME_RE.match(name):
        raise ValueError(f"not a Chaturbate username: {raw!r}")
    return name


def merge_role(current: str | None, seen_as: str) -> str:
    """Role after seeing a person as `seen_as`: a model seen as a viewer (or the reverse) is BOTH."""
    if current in (None, Role.UNKNOWN.value) or current == seen_as:
        return seen_as
    if seen_as == Role.UNKNOWN.value:
        return current
    return Role.BOTH.value


class Person(db.Model):
    """A Chaturbate account we have seen; current-state columns are kept true by the services."""

    __tablename__ = "persons"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    username: Mapped[str] = mapped_column(String(64), nullable=False)
    platform: Mapped[str] = mapped_column(String(32), nullable=False, default="chaturbate", server_default="chaturbate")
    role: Mapped[str] = mapped_column(String(16), nullable=False, default="UNKNOWN", server_default="UNKNOWN")
    rid: Mapped[int | None] = mapped_column(Integer, comment="Chaturbate room id, when known")
    did: Mapped[int | None] = mapped_column(Integer, comment="Chaturbate account id, when known")
    first_seen_at: Mapped[object] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    last_seen_at: Mapped[object | None] = mapped_column(UTCDateTime)
    is_excluded: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False, server_default=text("false"))
    # Current state, denormalised so list pages sort and filter on indexed columns.
    age: Mapped[int | None] = mapped_column(Integer, comment="Newest Affiliate API age, else profile age")
    num_followers: Mapped[int | None] = mapped_column(Integer, comment="Latest known follower count")
    image_url: Mapped[str | None] = mapped_column(Text)
    rank: Mapped[int | None] = mapped_column(Integer, comment="Position in the latest Affiliate API cycle")
    rank_observed_at: Mapped[object | None] = mapped_column(UTCDateTime, comment="Time of the cycle that gave `rank`")
    interactions_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0, server_default="0")
    snapshots_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0, server_default="0")
    thumbnail_sha256: Mapped[str | None] = mapped_column(
        String(64), comment="Digest of the stored thumbnail (table thumbnails), when there is one"
    )

    profile: Mapped[Profile] = relationship(back_populates="person", uselist=False)

    __table_args__ = (
        db.UniqueConstraint("platform", "username", name="uq_persons_platform_username"),
        Index("ix_persons_last_seen", "last_seen_at", "id"),
        Index("ix_persons_age", "age", "id"),
        Index("ix_persons_num_followers", "num_followers", "id"),
        Index("ix_persons_rank", "rank", "id"),
        Index("ix_persons_rank_observed", "rank_observed_at"),
        Index("ix_persons_role", "role", "username"),
        # Noise accounts left out of aggregates (migration 0011): few, so a partial index lists them.
        Index("ix_persons_excluded", "id", postgresql_where=text("is_excluded"), sqlite_where=text("is_excluded = 1")),
        # Trigram index for username substring search (plain b-tree on SQLite); see migration 0006.
        Index(
            "ix_persons_username_trgm", "username", postgresql_using="gin", postgresql_ops={"username": "gin_trgm_ops"}
        ),
    )

    def __str__(self) -> str:
        return self.username


# "Largest first, unknown last" sorts read these in order on PostgreSQL (migration 0006); on SQLite the
# migration creates them as (column DESC, id DESC), which already puts NULLs last.
for _name, _column in (
    ("ix_persons_last_seen_desc", Person.last_seen_at),
    ("ix_persons_age_desc", Person.age),
    ("ix_persons_num_followers_desc", Person.num_followers),
    ("ix_persons_rank_desc", Person.rank),
):
    Index(_name, _column.desc().nullslast(), Person.id.desc()).ddl_if(dialect="postgresql")


class Profile(db.Model):
    """What the profile page and the follow lists tell us about one person."""

    __tablename__ = "profiles"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("persons.id", ondelete="CASCADE"), nullable=False, unique=True
    )
    display_name: Mapped[str | None] = mapped_column(Text)
    age: Mapped[int | None] = mapped_column(Integer, comment="Age from the profile page")
    age_flagged: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False, server_default=text("false"))
    birth_date: Mapped[str | None] = mapped_column(String(10))
    gender: Mapped[str | None] = mapped_column(String(8))
    gender_raw: Mapped[str | None] = mapped_column(Text)
    interested_in: Mapped[list | None] = mapped_column(JSONType)
    location: Mapped[str | None] = mapped_column(Text)
    country: Mapped[str | None] = mapped_column(String(2))
    languages: Mapped[list | None] = mapped_column(JSONType)
    body_type: Mapped[str | None] = mapped_column(Text)
    smoke_drink: Mapped[str | None] = mapped_column(Text)
    body_decorations: Mapped[str | None] = mapped_column(Text)
    bio: Mapped[str | None] = mapped_column(Text)
    wish_list_url: Mapped[str | None] = mapped_column(Text)
    room_subject: Mapped[str | None] = mapped_column(Text)
    tags: Mapped[list | None] = mapped_column(JSONType)
    image_url: Mapped[str | None] = mapped_column(Text)
    follower_count: Mapped[int | None] = mapped_column(Integer)
    social_links: Mapped[list | None] = mapped_column(JSONType)
    photo_sets: Mapped[list | None] = mapped_column(JSONType)
    has_fan_club: Mapped[bool | None] = mapped_column(Boolean)
    is_new: Mapped[bool | None] = mapped_column(Boolean)
    online: Mapped[bool | None] = mapped_column(Boolean)
    notes: Mapped[str | None] = mapped_column(Text)
    last_scraped_at: Mapped[object | None] = mapped_column(UTCDateTime)
    # Follow tracking (the seed's migration 019, with its comments).
    following: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False, server_default=text("false"))
    follower: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False, server_default=text("false"))
    following_since: Mapped[object | None] = mapped_column(UTCDateTime, comment="When I started following this user")
    follower_since: Mapped[object | None] = mapped_column(UTCDateTime, comment="When this user started following me")
    unfollowed_at: Mapped[object | None] = mapped_column(
        UTCDateTime, comment="When I unfollowed this user (if applicable)"
    )
    unfollower_at: Mapped[object | None] = mapped_column(
        UTCDateTime, comment="When this user unfollowed me (if applicable)"
    )
    following_checked_at: Mapped[object | None] = mapped_column(UTCDateTime)
    follower_checked_at: Mapped[object | None] = mapped_column(UTCDateTime)

    person: Mapped[Person] = relationship(back_populates="profile")

    __table_args__ = (
        Index(
            "idx_profiles_unfollowed",
            "unfollower_at",
            postgresql_where=text("unfollower_at IS NOT NULL"),
            sqlite_where=text("unfollower_at IS NOT NULL"),
        ),
        # Partial (migration 0008): a follow-list apply rewrites many profiles, and each index entry costs.
        Index(
            "ix_profiles_following",
            "following_since",
            postgresql_where=text("following"),
            sqlite_where=text("following = 1"),
        ),
        Index(
            "ix_profiles_follower",
            "follower_since",
            postgresql_where=text("follower"),
            sqlite_where=text("follower = 1"),
        ),
        Index(
            "ix_profiles_tags",
            "tags",
            postgresql_using="gin",
            postgresql_where=text("tags IS NOT NULL"),
            sqlite_where=text("tags IS NOT NULL"),
        ),
    )
