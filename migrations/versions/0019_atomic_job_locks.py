"""One queued or running run per lock key, guaranteed by a unique index.

Before this, enqueue checked for a run holding the key and then inserted its own: two clicks at the same
moment could both pass the check and start the same sync twice. The partial unique index makes the database
refuse the second insert. Rows that already break the rule (duplicates left by that race) are settled
first: per lock key the newest active run keeps it, the others are marked failed with the reason.

Revision ID: 0019
Revises: 0018
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

ACTIVE_LOCK_WHERE = "status IN ('queued', 'running') AND lock_key IS NOT NULL"
DUPLICATE = "superseded: another run held the same lock key when one run per lock key became a rule; not started"


def upgrade():
    _fail_duplicate_active_runs()
    op.create_index(
        "ux_job_runs_active_lock",
        "job_runs",
        ["lock_key"],
        unique=True,
        postgresql_where=sa.text(ACTIVE_LOCK_WHERE),
        sqlite_where=sa.text(ACTIVE_LOCK_WHERE),
    )


def downgrade():
    op.drop_index("ux_job_runs_active_lock", table_name="job_runs")


def _fail_duplicate_active_runs():
    """Keep the newest active run per lock key; mark the older ones failed."""
    runs = sa.table(
        "job_runs",
        sa.column("id", sa.Uuid()),
        sa.column("lock_key", sa.String()),
        sa.column("status", sa.String()),
        sa.column("created_at", sa.DateTime(timezone=True)),
        sa.column("finished_at", sa.DateTime(timezone=True)),
        sa.column("error", sa.Text()),
    )
    conn = op.get_bind()
    active = runs.c.status.in_(("queued", "running")) & runs.c.lock_key.is_not(None)
    rows = conn.execute(
        sa.select(runs.c.id, runs.c.lock_key)
        .where(active)
        .order_by(runs.c.lock_key, runs.c.created_at.desc(), runs.c.id.desc())
    ).all()
    seen, losers = set(), []
    for run_id, key in rows:
        if key in seen:
            losers.append(run_id)
        seen.add(key)
    if losers:
        now = datetime.now(UTC)
        conn.execute(
            runs.update().where(runs.c.id.in_(losers)).values(status="failed", error=DUPLICATE, finished_at=now)
        )
