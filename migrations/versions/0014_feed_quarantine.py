"""Feeds: events and rooms that cannot be stored are quarantined with their raw JSON and the reason.

One poison item (a 10 KB username, a NUL byte, a negative count) used to fail its whole Events API batch
or Affiliate API cycle, again on every retry. Now it is set aside in `feed_quarantine`, as received
(JSON text with control characters escaped, which PostgreSQL accepts), and the rest is stored. The
same item breaking the same rule again updates its row (`times_seen`, `last_seen_at`).

Revision ID: 0014
Revises: 0013
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "feed_quarantine",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False, comment="events or affiliate"),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column(
            "item", sa.String(length=64), nullable=True, comment="Event id or room username, cut to 64 characters"
        ),
        sa.Column("rule", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("raw", sa.Text(), nullable=False, comment="JSON text as received, cut at 64 KiB"),
        sa.Column("raw_chars", sa.Integer(), nullable=False, comment="Length of the whole JSON text"),
        sa.Column("times_seen", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("job_run_id", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["job_run_id"], ["job_runs.id"], name=op.f("fk_feed_quarantine_job_run_id_job_runs"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feed_quarantine")),
        sa.UniqueConstraint("fingerprint", name=op.f("uq_feed_quarantine_fingerprint")),
    )
    op.create_index("ix_feed_quarantine_last_seen", "feed_quarantine", ["last_seen_at", "id"], unique=False)


def downgrade():
    op.drop_index("ix_feed_quarantine_last_seen", table_name="feed_quarantine")
    op.drop_table("feed_quarantine")
