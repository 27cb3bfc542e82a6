"""Optional TOTP two-factor login for system users.

`system_two_factor` holds each enrolled user's TOTP secret (encrypted), pending until confirmed with a
current code, and the time step of the last accepted code so a code is never accepted twice;
`system_recovery_codes` holds single-use recovery codes as SHA-256 digests; `system_roles.require_two_factor`
makes a role's members turn two-factor login on before they can use the panel.

Revision ID: 0020
Revises: 0019
"""

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade():
    # ADD COLUMN needs no table rebuild on SQLite, so the grants that refer to roles stay untouched.
    op.add_column(
        "system_roles",
        sa.Column("require_two_factor", sa.Boolean(), server_default=sa.text("false"), nullable=False),
    )
    op.create_table(
        "system_two_factor",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("secret", sa.Text(), nullable=False, comment="Encrypted TOTP secret; never shown again"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True, comment="NULL while enrolment is pending"),
        sa.Column(
            "last_used_step",
            sa.BigInteger(),
            nullable=True,
            comment="TOTP time step of the last accepted code; older or equal steps are replays",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["system_users.id"], name=op.f("fk_system_two_factor_user_id_system_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_system_two_factor")),
    )
    op.create_table(
        "system_recovery_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["system_users.id"],
            name=op.f("fk_system_recovery_codes_user_id_system_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_system_recovery_codes")),
    )
    op.create_index("idx_system_recovery_codes_user", "system_recovery_codes", ["user_id", "code_hash"], unique=False)


def downgrade():
    op.drop_index("idx_system_recovery_codes_user", table_name="system_recovery_codes")
    op.drop_table("system_recovery_codes")
    op.drop_table("system_two_factor")
    # A batch rebuild would drop system_roles and, with foreign keys on, cascade into the grants.
    op.execute("ALTER TABLE system_roles DROP COLUMN require_two_factor")
