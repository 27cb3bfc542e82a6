"""Platform users (Chaturbate models and viewers) and their profiles."""

from __future__ import annotations

import enum
import re
import uuid

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, Text, Uuid, and_, case, literal, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mhc.extensions import db
from mhc.models.types import JSONType, UTCDateTime, utcnow

# persons.platform of every account we track: the app reads one site (docs/domain.md#persons).
PLATFORM = "chaturbate"
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


# The role-merge rule, written once: the role a person has after being seen as one of SEEN_AS, by the
# role stored so far (None: no person yet). A model seen as a viewer (or the reverse) is BOTH; UNKNOWN
# never overrides what we know. merge_role (Python) and merge_role_sql (SQL) are both generated from it.
# Where each source's evidence of a role comes from: docs/domain.md#roles.
SEEN_AS = ("UNKNOWN", "MODEL", "VIEWER", "BOTH")
_MERGE_ROWS = {  # current role -> result when seen as UNKNOWN, MODEL, VIEWER, BOTH
    None: ("UNKNOWN", "MODEL", "VIEWER", "BOTH"),
    "UNKNOWN": ("UNKNOWN", "MODEL", "VIEWER", "BOTH"),
    "MODEL": ("MODEL", "MODEL", "BOTH", "BOTH"),
    "VIEWER": ("VIEWER", "BOTH", "VIEWER", "BOTH"),
    "BOTH": ("BOTH", "BOTH", "BOTH", "BOTH"),
}
ROLE_MERGE = {
    (current, seen): result for current, row in _MERGE_ROWS.items() for seen, result in zip(SEEN_AS, row, strict=True)
}


def merge_role(current: str | None, seen_as: str) -> str:
    """Role after seeing a person as `seen_as` (ROLE_MERGE); ValueError for a value that is not a role."""
    try:
        return ROLE_MERGE[(None if current is None else str(current), str(seen_as))]
    except KeyError:
        raise ValueError(f"not a role pair: {current!r}, {seen_as!r}") from None


def merge_role_sql(current, seen_as):
    """ROLE_MERGE as a SQL expression over `current` (a column, or None for a new person) and `seen_as`
    (a column or a role name). Only the pairs that change the role get a CASE branch; the rest keep `current`."""
    if isinstance(seen_as, str):  # one role for every row: the table's column for it
        merged = {cur: result for (cur, seen), result in ROLE_MERGE.items() if seen == str(seen_as)}
        if current is None:
            return literal(merged[None], String(16))
        pairs = [(cur, None, result) for cur, result in merged.items()]
    else:
        pairs = [(cur, seen, result) for (cur, seen), result in ROLE_MERGE.items()]
    if current is None:  # a new person: the table's row for "no person yet"
        return case(*[(seen_as == seen, result) for cur, seen, result in pairs if cur is None])
    branches = []
    for cur, seen, result in pairs:
        if result != cur:
            test = current.is_(None) if cur is None else current == cur
            branches.append((test if seen is None else and_(test, seen_as == seen), result))
    return case(*branches, else_=current)


def role_changes_sql(current, seen_as: str):
    """True where seeing a stored person as `seen_as` changes `current` (ROLE_MERGE): an IN list, which the
    planner estimates well, so a filter on it keeps index probes where a CASE comparison would not."""
    stored = [cur for (cur, seen), result in ROLE_MERGE.items() if cur is not None and seen == str(seen_as)]
    return current.in_([cur for cur in stored if ROLE_MERGE[(cur, str(seen_as))] != cur])


class Person(db.Model):
    """A Chaturbate account we have seen; current-state columns are kept true by the services."""

    __tablename__ = "persons"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    username: Mapped[str] = mapped_column(String(64), nullable=False)
    platform: Mapped[str] = mapped_column(String(32), nullable=False, default=PLATFORM, server_default=PLATFORM)
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
    # What this person is worth to the owner, kept by ingestion from `interactions`; which rows count is
    # defined once in mhc/services/users/value.py (docs/domain.md#fan-value).
    tipped_tokens: Mapped[int] = mapped_column(
        BigInteger, nullable=False, default=0, server_default="0", comment="Lifetime tokens tipped in the owner's room"
    )
    tips_count: Mapped[int] = mapped_column(
        Integer, nullable=False, default=0, server_default="0", comment="Tips in the owner's room"
    )
    last_tip_at: Mapped[object | None] = mapped_column(UTCDateTime, comment="Newest tip in the owner's room")
    first_seen_in_room_at: Mapped[object | None] = mapped_column(
        UTCDateTime, comment="Earliest event of this person in the owner's room"
    )

    profile: Mapped[Profile] = relationship(back_populates="person", uselist=False)

    __table_args__ = (
        db.UniqueConstraint("platform", "username", name="uq_persons_platform_username"),
        Index("ix_persons_last_seen", "last_seen_at", "id"),
        Index("ix_persons_age", "age", "id"),
        Index("ix_persons_num_followers", "num_followers", "id"),
        Index("ix_persons_rank", "rank", "id"),
        Index("ix_persons_rank_observed", "rank_observed_at"),
        # Fan value sorts (migration 0024): NOT NULL counts read one index both ways. The paying-fans filter
        # (tips_count > 0) and its Models/Viewers counts read the tips index alone (role INCLUDEd on PostgreSQL).
        Index("ix_persons_tipped_tokens", "tipped_tokens", "id"),
        Index("ix_persons_tips_count", "tips_count", "id", postgresql_include=["role"]),
        Index("ix_persons_last_tip", "last_tip_at", "id"),
        Index("ix_persons_first_seen_in_room", "first_seen_in_room_at", "id"),
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


# "Largest first, unknown last" sorts read these in order on PostgreSQL (migrations 0006, 0024); on SQLite the
# migration creates them as (column DESC, id DESC), which already puts NULLs last.
for _name, _column in (
    ("ix_persons_last_seen_desc", Person.last_seen_at),
    ("ix_persons_age_desc", Person.age),
    ("ix_persons_num_followers_desc", Person.num_followers),
    ("ix_persons_rank_desc", Person.rank),
    ("ix_persons_last_tip_desc", Person.last_tip_at),
    ("ix_persons_first_seen_in_room_desc", Person.first_seen_in_room_at),
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
        # INCLUDE (person_id) on PostgreSQL (migration 0024): the Unfollowed tab's "tokens from fans who left"
        # and the Followers tab's paying-fans count join persons from these two without visiting profiles.
        Index(
            "idx_profiles_unfollowed",
            "unfollower_at",
            postgresql_where=text("unfollower_at IS NOT NULL"),
            sqlite_where=text("unfollower_at IS NOT NULL"),
            postgresql_include=["person_id"],
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
            postgresql_include=["person_id"],
        ),
        Index(
            "ix_profiles_tags",
            "tags",
            postgresql_using="gin",
            postgresql_where=text("tags IS NOT NULL"),
            sqlite_where=text("tags IS NOT NULL"),
        ),
    )
