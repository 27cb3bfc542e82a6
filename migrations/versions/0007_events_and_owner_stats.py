"""Events API ingestion and the owner dashboard: broadcast sessions and segments, Stats API samples, an index
for the Events page's Direct/Private tabs (docs/domain.md#events-api, docs/domain.md#stats-api).

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade():
    op.create_table(
        "broadcast_sessions",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("segments_count", sa.Integer(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_broadcast_sessions")),
    )
    with op.batch_alter_table("broadcast_sessions", schema=None) as batch_op:
        batch_op.create_index("ix_broadcast_sessions_started", ["started_at"], unique=False)

    op.create_table(
        "broadcast_segments",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("session_id", BIG_ID, nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("start_event_id", sa.String(length=64), nullable=False),
        sa.Column("stop_event_id", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["broadcast_sessions.id"],
            name=op.f("fk_broadcast_segments_session_id_broadcast_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_broadcast_segments")),
        sa.UniqueConstraint("start_event_id", name=op.f("uq_broadcast_segments_start_event_id")),
    )
    with op.batch_alter_table("broadcast_segments", schema=None) as batch_op:
        batch_op.create_index("ix_broadcast_segments_session", ["session_id", "started_at"], unique=False)
        batch_op.create_index("ix_broadcast_segments_started", ["started_at"], unique=False)

    op.create_table(
        "owner_stats",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("observed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("token_balance", sa.Integer(), nullable=True),
        sa.Column("tips_in_last_hour", sa.Integer(), nullable=True),
        sa.Column("votes_up", sa.Integer(), nullable=True),
        sa.Column("votes_down", sa.Integer(), nullable=True),
        sa.Column("satisfaction_score", sa.Integer(), nullable=True),
        sa.Column("last_broadcast", sa.DateTime(timezone=True), nullable=True),
        sa.Column("time_online", sa.Integer(), nullable=True),
        sa.Column("num_followers", sa.Integer(), nullable=True),
        sa.Column("num_viewers", sa.Integer(), nullable=True),
        sa.Column("num_registered_viewers", sa.Integer(), nullable=True),
        sa.Column("raw", JSON, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_owner_stats")),
    )
    with op.batch_alter_table("owner_stats", schema=None) as batch_op:
        batch_op.create_index("ix_owner_stats_observed", ["observed_at"], unique=False)
    # A plain CREATE INDEX (no table rebuild), so v_person_current_state is untouched on SQLite.
    op.create_index(
        "ix_interactions_type_direct_occurred", "interactions", ["type", "is_direct", "occurred_at", "id"], unique=False
    )


def downgrade():
    op.drop_index("ix_interactions_type_direct_occurred", table_name="interactions")
    with op.batch_alter_table("owner_stats", schema=None) as batch_op:
        batch_op.drop_index("ix_owner_stats_observed")
    op.drop_table("owner_stats")
    with op.batch_alter_table("broadcast_segments", schema=None) as batch_op:
        batch_op.drop_index("ix_broadcast_segments_started")
        batch_op.drop_index("ix_broadcast_segments_session")
    op.drop_table("broadcast_segments")
    with op.batch_alter_table("broadcast_sessions", schema=None) as batch_op:
        batch_op.drop_index("ix_broadcast_sessions_started")
    op.drop_table("broadcast_sessions")
