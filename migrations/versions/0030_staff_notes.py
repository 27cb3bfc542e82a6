"""Staff notes on platform users, shown on the Profile header (docs/operator.md#staff-notes).

Written by system users who may edit platform users (manage_users), read by anyone who may view them;
no new permission.

Revision ID: 0030
Revises: 0029
"""

import sqlalchemy as sa
from alembic import op

revision = "0030"
down_revision = "0029"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "staff_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("author_id", sa.Uuid(), nullable=True),
        sa.Column("author_name", sa.Text(), nullable=True, comment="Who wrote it, kept if the user is deleted"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True, comment="Last edit; NULL when never edited"),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_staff_notes_person_id_persons"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["author_id"], ["system_users.id"], name=op.f("fk_staff_notes_author_id_system_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_notes")),
    )
    op.create_index("ix_staff_notes_person_created", "staff_notes", ["person_id", "created_at"])


def downgrade():
    op.drop_index("ix_staff_notes_person_created", table_name="staff_notes")
    op.drop_table("staff_notes")
