"""Named saved views of the Users lists, per system user (docs/operator.md#saved-views-and-columns).

`saved_views` keeps, for one system user, a name and a Users list's validated URL query string (filters,
search, sort, page size, chosen columns), and whether it is the view its tab opens with; deleting the user
deletes their views.

Revision ID: 0031
Revises: 0030
"""

import sqlalchemy as sa
from alembic import op

revision = "0031"
down_revision = "0030"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "saved_views",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("tab", sa.String(length=32), nullable=False, comment="The Users list: directory, following, ..."),
        sa.Column(
            "query", sa.Text(), nullable=False, comment="The list URL's query string, only known parameters kept"
        ),
        sa.Column(
            "is_default",
            sa.Boolean(),
            server_default=sa.text("false"),
            nullable=False,
            comment="Opened when its tab is opened bare",
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["system_users.id"], name=op.f("fk_saved_views_user_id_system_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_saved_views")),
        sa.UniqueConstraint("user_id", "name", name="uq_saved_views_user_name"),
    )
    op.create_index("ix_saved_views_user_tab", "saved_views", ["user_id", "tab"], unique=False)


def downgrade():
    op.drop_index("ix_saved_views_user_tab", table_name="saved_views")
    op.drop_table("saved_views")
