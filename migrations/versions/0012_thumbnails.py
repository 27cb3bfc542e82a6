"""Thumbnails downloaded while a room is online, served by the panel (docs/domain.md#placeholder-images).

A room's thumbnail URL serves the live picture only while the room is online and a branded placeholder
afterwards, so hot-linking it showed placeholders as photos. `thumbnails` keeps the last real image per
person; `persons.thumbnail_sha256` tells the list pages that one exists (and busts the browser cache)
without a join.

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "thumbnails",
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("content_type", sa.String(length=32), nullable=False, comment="From the bytes, not the server"),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("source_url", sa.Text(), nullable=False),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_thumbnails_person_id_persons"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("person_id", name=op.f("pk_thumbnails")),
    )
    # ADD COLUMN / DROP COLUMN need no table rebuild on SQLite (3.35+), so v_person_current_state stays.
    op.add_column(
        "persons",
        sa.Column(
            "thumbnail_sha256",
            sa.String(length=64),
            nullable=True,
            comment="Digest of the stored thumbnail (table thumbnails), when there is one",
        ),
    )


def downgrade():
    op.execute("ALTER TABLE persons DROP COLUMN thumbnail_sha256")
    op.drop_table("thumbnails")
