"""Each system user's theme (light, dark or follow the system) (docs/operator.md#light-and-dark-theme).

Revision ID: 0029
Revises: 0028
"""

import sqlalchemy as sa
from alembic import op

revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None

COMMENT = "The panel's colours for this user: light, dark, or system (follow the device's setting)"


def upgrade():
    with op.batch_alter_table("system_users") as batch:
        batch.add_column(
            sa.Column("theme", sa.Text(), nullable=False, server_default=sa.text("'system'"), comment=COMMENT)
        )


def downgrade():
    with op.batch_alter_table("system_users") as batch:
        batch.drop_column("theme")
