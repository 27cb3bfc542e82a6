"""System users: a session version, and one row per login session, so sessions end when they should.

Flask keeps its session in a signed cookie, so logging out could not stop a copied cookie. Each login now
gets a `system_sessions` row (the cookie carries a random token, the row its digest) that logout, idle and
absolute lifetimes end; `system_users.session_version` is bumped on password, role and (de)activation
changes and on "log out everywhere", and a session opened under an older version is refused.

Revision ID: 0016
Revises: 0015
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade():
    # ADD COLUMN needs no table rebuild on SQLite (3.35+), so rows referring to system users stay untouched.
    op.add_column(
        "system_users", sa.Column("session_version", sa.Integer(), server_default=sa.text("1"), nullable=False)
    )
    op.create_table(
        "system_sessions",
        sa.Column("id", sa.String(length=64), nullable=False, comment="SHA-256 hex digest of the cookie's token"),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("session_version", sa.Integer(), nullable=False, comment="The user's version at login"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False, comment="Updated at most once a minute"),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("end_reason", sa.String(length=32), nullable=True),
        sa.Column("remote_addr", sa.String(length=64), nullable=True),
        sa.Column("user_agent", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["system_users.id"], name=op.f("fk_system_sessions_user_id_system_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_system_sessions")),
    )
    with op.batch_alter_table("system_sessions", schema=None) as batch_op:
        batch_op.create_index("idx_system_sessions_user", ["user_id", "ended_at"], unique=False)


def downgrade():
    with op.batch_alter_table("system_sessions", schema=None) as batch_op:
        batch_op.drop_index("idx_system_sessions_user")
    op.drop_table("system_sessions")
    # A batch rebuild would drop system_users and, with foreign keys on, cascade into the rows that refer to it.
    op.execute("ALTER TABLE system_users DROP COLUMN session_version")
