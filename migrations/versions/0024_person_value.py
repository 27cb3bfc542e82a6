"""Per-person value: lifetime tokens tipped, tips, last tip, first seen in the owner's room.

Four columns on `persons`, kept by ingestion from `interactions` (docs/domain.md#fan-value), and the indexes
their list sorts read: (column, id) for every one, plus (column DESC NULLS LAST, id DESC) on PostgreSQL for
the two nullable times (SQLite sorts NULLs last when descending, so there it is (column DESC, id DESC), as
in 0006). On PostgreSQL the follow tabs' partial indexes on profiles get INCLUDE (person_id). The existing
rows are backfilled from `interactions` by the service that owns the rule, with the configured owner
(`OWNER_USERNAME`), in this migration's transaction.

Revision ID: 0024
Revises: 0023
"""

import sqlalchemy as sa
from alembic import op
from flask import current_app

from mhc import sqlcompat
from mhc.services.users import value

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None

COLUMNS = (
    sa.Column(
        "tipped_tokens",
        sa.BigInteger(),
        server_default="0",
        nullable=False,
        comment="Lifetime tokens tipped in the owner's room",
    ),
    sa.Column("tips_count", sa.Integer(), server_default="0", nullable=False, comment="Tips in the owner's room"),
    sa.Column("last_tip_at", sa.DateTime(timezone=True), nullable=True, comment="Newest tip in the owner's room"),
    sa.Column(
        "first_seen_in_room_at",
        sa.DateTime(timezone=True),
        nullable=True,
        comment="Earliest event of this person in the owner's room",
    ),
)
INDEXES = {
    "ix_persons_tipped_tokens": "tipped_tokens",
    "ix_persons_tips_count": "tips_count",
    "ix_persons_last_tip": "last_tip_at",
    "ix_persons_first_seen_in_room": "first_seen_in_room_at",
}
INCLUDE = {"ix_persons_tips_count": ["role"]}  # the paying-fans filter's Models/Viewers counts (PostgreSQL)
DESC_INDEXES = {
    "ix_persons_last_tip_desc": "last_tip_at",
    "ix_persons_first_seen_in_room_desc": "first_seen_in_room_at",
}


# PostgreSQL only (SQLite has no INCLUDE): the follow tabs' partial indexes also carry the person id, so the
# "tokens from fans who left" sum and the paying-fans count join persons without reading profiles' rows.
COVERING = {
    "idx_profiles_unfollowed": ("unfollower_at", "unfollower_at IS NOT NULL"),
    "ix_profiles_follower": ("follower_since", "follower"),
}


def _covering(include: str) -> None:
    if not sqlcompat.is_postgres(op.get_bind()):
        return
    for name, (column, where) in COVERING.items():
        op.execute(f"DROP INDEX IF EXISTS {name}")
        op.execute(f"CREATE INDEX {name} ON profiles ({column}){include} WHERE {where}")


def upgrade():
    # ADD COLUMN and CREATE INDEX need no table rebuild on SQLite, so v_person_current_state stays.
    for column in COLUMNS:
        op.add_column("persons", column)
    value.recompute(op.get_bind(), current_app.config["OWNER_USERNAME"])
    for name, column in INDEXES.items():
        op.create_index(name, "persons", [column, "id"], unique=False, postgresql_include=INCLUDE.get(name, []))
    nulls = " NULLS LAST" if sqlcompat.is_postgres(op.get_bind()) else ""
    for name, column in DESC_INDEXES.items():
        op.execute(f"CREATE INDEX {name} ON persons ({column} DESC{nulls}, id DESC)")
    _covering(" INCLUDE (person_id)")


def downgrade():
    _covering("")
    for name in [*DESC_INDEXES, *INDEXES]:
        op.execute(f"DROP INDEX IF EXISTS {name}")
    # DROP COLUMN needs no table rebuild on SQLite (3.35+) once the column's indexes are gone (as in 0012).
    for column in reversed(COLUMNS):
        op.execute(f"ALTER TABLE persons DROP COLUMN {column.name}")
