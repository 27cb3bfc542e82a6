"""Schema changes for Events API ingestion and the owner dashboard (issue 8); empty until that work needs one.

Revision ID: 0007
Revises: 0006
"""

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
