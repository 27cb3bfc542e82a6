"""Audit rows keep the name of the object they are about (a person's username, a channel's name), so the
audit log still names an object after it is deleted (docs/operator.md#reading-the-audit-log).

Older rows keep NULL: the log names their objects from the tables while the objects exist.

Revision ID: 0027
Revises: 0026
"""

import sqlalchemy as sa
from alembic import op

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None

COMMENT = "The object's name when the row was written, shown once the object is gone"


def upgrade():
    with op.batch_alter_table("audit_log") as batch:
        batch.add_column(sa.Column("object_label", sa.Text(), nullable=True, comment=COMMENT))


def downgrade():
    with op.batch_alter_table("audit_log") as batch:
        batch.drop_column("object_label")
