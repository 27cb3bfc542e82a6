"""Alerts: channels, rules and deliveries, and the manage_alerts permission (the admin role gets it).

`alert_deliveries` is the outbox: rows are written in the transaction that saw the event and sent by a job;
the unique `idempotency_key` keeps a rule from writing (or sending) one event twice (docs/alerts.md).

Revision ID: 0025
Revises: 0024
"""

import sqlalchemy as sa
from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
RULE_KINDS = "kind IN ('tipper_unfollow', 'any_unfollow', 'model_follow', 'sync_failed', 'sync_held', 'sync_stale', 'digest')"
STATUSES = "status IN ('pending', 'sending', 'sent', 'failed')"
PERMISSION = ("manage_alerts", "alerts", "write", "Configure alert channels and rules, send test alerts")


def upgrade():
    op.create_table(
        "alert_channels",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False, comment="The URL scheme, for display"),
        sa.Column("url_secret", sa.Text(), nullable=False, comment="The Apprise URL, Fernet ciphertext"),
        sa.Column("enabled", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by"], ["system_users.id"], name=op.f("fk_alert_channels_created_by_system_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_channels")),
        sa.UniqueConstraint("name", name=op.f("uq_alert_channels_name")),
    )
    op.create_table(
        "alert_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("channel_id", sa.Integer(), nullable=False),
        sa.Column("enabled", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("min_tokens", sa.Integer(), nullable=True),
        sa.Column("window_days", sa.Integer(), nullable=True, comment="NULL: lifetime tokens"),
        sa.Column("min_followers", sa.Integer(), nullable=True),
        sa.Column("stale_days", sa.Integer(), nullable=True),
        sa.Column("digest_time", sa.String(length=5), nullable=True, comment="HH:MM in OWNER_TIMEZONE"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(RULE_KINDS, name=op.f("ck_alert_rules_kind")),
        sa.ForeignKeyConstraint(
            ["channel_id"], ["alert_channels.id"], name=op.f("fk_alert_rules_channel_id_alert_channels")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_rules")),
    )
    op.create_index("ix_alert_rules_kind", "alert_rules", ["kind", "enabled"], unique=False)
    op.create_table(
        "alert_deliveries",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("rule_id", sa.Integer(), nullable=True, comment="NULL: a test message"),
        sa.Column("channel_id", sa.Integer(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), server_default="pending", nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("next_try_at", sa.DateTime(timezone=True), nullable=True, comment="When a pending or failed row is due"),
        sa.Column("event_count", sa.Integer(), server_default="1", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(STATUSES, name=op.f("ck_alert_deliveries_status")),
        sa.ForeignKeyConstraint(
            ["channel_id"], ["alert_channels.id"], name=op.f("fk_alert_deliveries_channel_id_alert_channels"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["rule_id"], ["alert_rules.id"], name=op.f("fk_alert_deliveries_rule_id_alert_rules"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_deliveries")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_alert_deliveries_idempotency_key")),
    )
    op.create_index("ix_alert_deliveries_created", "alert_deliveries", ["created_at", "id"], unique=False)
    op.create_index("ix_alert_deliveries_due", "alert_deliveries", ["status", "next_try_at"], unique=False)
    _grant()


def _grant():
    conn = op.get_bind()
    name, resource, action, description = PERMISSION
    conn.execute(
        sa.text(
            "INSERT INTO system_permissions (name, resource, action, description) SELECT :n, :r, :a, :d "
            "WHERE NOT EXISTS (SELECT 1 FROM system_permissions WHERE name = :n)"
        ),
        {"n": name, "r": resource, "a": action, "d": description},
    )
    conn.execute(
        sa.text(
            "INSERT INTO system_role_permissions (role_id, permission_id) "
            "SELECT r.id, p.id FROM system_roles r, system_permissions p WHERE r.name = 'admin' AND p.name = :n "
            "AND NOT EXISTS (SELECT 1 FROM system_role_permissions x WHERE x.role_id = r.id AND x.permission_id = p.id)"
        ),
        {"n": name},
    )


def downgrade():
    conn = op.get_bind()
    conn.execute(
        sa.text(
            "DELETE FROM system_role_permissions WHERE permission_id IN "
            "(SELECT id FROM system_permissions WHERE name = :n)"
        ),
        {"n": PERMISSION[0]},
    )
    conn.execute(sa.text("DELETE FROM system_permissions WHERE name = :n"), {"n": PERMISSION[0]})
    op.drop_index("ix_alert_deliveries_due", table_name="alert_deliveries")
    op.drop_index("ix_alert_deliveries_created", table_name="alert_deliveries")
    op.drop_table("alert_deliveries")
    op.drop_index("ix_alert_rules_kind", table_name="alert_rules")
    op.drop_table("alert_rules")
    op.drop_table("alert_channels")
