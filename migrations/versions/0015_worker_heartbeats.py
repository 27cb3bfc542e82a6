"""Workers: heartbeats every process writes, so any process can tell a dead worker's runs.

`worker_heartbeats` holds one row per worker process (`python worker.py`, the embedded worker thread,
`python worker.py events`), rewritten every WORKER_HEARTBEAT_SECONDS with the run it is executing. The
index on job_runs (status, heartbeat_at) lets the web, the scheduler and every worker find running runs
whose heartbeat went silent without reading the whole history of runs.

Revision ID: 0015
Revises: 0014
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "worker_heartbeats",
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("beat_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("run_id", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["run_id"], ["job_runs.id"], name=op.f("fk_worker_heartbeats_run_id_job_runs"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_worker_heartbeats")),
    )
    op.create_index("ix_job_runs_status_heartbeat", "job_runs", ["status", "heartbeat_at"])


def downgrade():
    op.drop_index("ix_job_runs_status_heartbeat", table_name="job_runs")
    op.drop_table("worker_heartbeats")
