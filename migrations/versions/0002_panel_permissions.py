"""Permissions the panel needs beyond the seed's six: manage_system_users, view_audit_log (admin gets them).

Revision ID: 0002
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

PANEL_PERMISSIONS = [
    ("manage_system_users", "system_users", "write", "Create, edit and deactivate system users, roles and grants"),
    ("view_audit_log", "audit_log", "read", "Read the audit log"),
]


def upgrade():
    conn = op.get_bind()
    for name, resource, action, description in PANEL_PERMISSIONS:
        conn.execute(
            sa.text("INSERT INTO system_permissions (name, resource, action, description) SELECT :n, :r, :a, :d "
                    "WHERE NOT EXISTS (SELECT 1 FROM system_permissions WHERE name = :n)"),
            {"n": name, "r": resource, "a": action, "d": description},
        )
        conn.execute(
            sa.text("INSERT INTO system_role_permissions (role_id, permission_id) "
                    "SELECT r.id, p.id FROM system_roles r, system_permissions p WHERE r.name = 'admin' AND p.name = :n "
                    "AND NOT EXISTS (SELECT 1 FROM system_role_permissions x WHERE x.role_id = r.id AND x.permission_id = p.id)"),
            {"n": name},
        )


def downgrade():
    conn = op.get_bind()
    for name, *_ in PANEL_PERMISSIONS:
        conn.execute(
            sa.text("DELETE FROM system_role_permissions WHERE permission_id IN "
                    "(SELECT id FROM system_permissions WHERE name = :n)"),
            {"n": name},
        )
        conn.execute(sa.text("DELETE FROM system_permissions WHERE name = :n"), {"n": name})
