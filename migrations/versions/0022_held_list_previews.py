"""Held follow lists become the one place a list waits for an admin's yes, manual imports included.

`held_follow_lists` gets its own `id` (existing rows keep their run id as id, so a sync's held list is still
found by its run) and `run_id` becomes optional: a manual import's preview is stored here too instead of
travelling back in the page. `fingerprint` (SHA-256 of the list and of the follow state it was previewed
against) and `expires_at` let the apply refuse a stale preview; `source` and `created_by_id` say where the
list came from and who previewed it (docs/architecture.md, "Follow sync").

Rows kept before this have no fingerprint: they are refused and the sync must run again. Downgrading
deletes the import previews (they have no run) and drops the new columns.

Revision ID: 0022
Revises: 0021
"""

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

TABLE = "held_follow_lists"
FINGERPRINT_COMMENT = "SHA-256 of the list and of the follow state it was previewed against"


def upgrade():
    with op.batch_alter_table(TABLE) as batch:
        batch.add_column(sa.Column("id", sa.Uuid(), nullable=True))
        batch.add_column(sa.Column("source", sa.String(length=32), server_default="list_scrape", nullable=False))
        batch.add_column(sa.Column("created_by_id", sa.Uuid(), nullable=True))
        batch.add_column(sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("fingerprint", sa.String(length=64), nullable=True, comment=FINGERPRINT_COMMENT))
    op.execute(sa.text(f"UPDATE {TABLE} SET id = run_id"))
    with op.batch_alter_table(TABLE) as batch:
        batch.drop_constraint("pk_held_follow_lists", type_="primary")
        batch.alter_column("id", existing_type=sa.Uuid(), nullable=False)
        batch.create_primary_key("pk_held_follow_lists", ["id"])
        batch.alter_column("run_id", existing_type=sa.Uuid(), nullable=True, comment="The sync that held it")
        batch.create_unique_constraint("uq_held_follow_lists_run_id", ["run_id"])
        batch.create_foreign_key(
            "fk_held_follow_lists_created_by_id_system_users",
            "system_users",
            ["created_by_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade():
    op.execute(sa.text(f"DELETE FROM {TABLE} WHERE run_id IS NULL"))
    with op.batch_alter_table(TABLE) as batch:
        batch.drop_constraint("fk_held_follow_lists_created_by_id_system_users", type_="foreignkey")
        batch.drop_constraint("uq_held_follow_lists_run_id", type_="unique")
        batch.drop_constraint("pk_held_follow_lists", type_="primary")
        batch.alter_column("run_id", existing_type=sa.Uuid(), nullable=False, comment=None)
        batch.create_primary_key("pk_held_follow_lists", ["run_id"])
    with op.batch_alter_table(TABLE) as batch:
        for column in ("fingerprint", "expires_at", "created_by_id", "source", "id"):
            batch.drop_column(column)
