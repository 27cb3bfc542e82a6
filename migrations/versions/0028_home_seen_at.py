"""When each system user last opened Home, so Home can say what happened since (new unfollowers)
(docs/operator.md#home-what-needs-attention).

Revision ID: 0028
Revises: 0027
"""

import sqlalchemy as sa
from alembic import op

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None

COMMENT = "When this user last opened Home: its 'since your last visit' starts here"


def upgrade():
    with op.batch_alter_table("system_users") as batch:
        batch.add_column(sa.Column("home_seen_at", sa.DateTime(timezone=True), nullable=True, comment=COMMENT))


def downgrade():
    with op.batch_alter_table("system_users") as batch:
        batch.drop_column("home_seen_at")
