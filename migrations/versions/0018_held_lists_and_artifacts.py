"""Nothing on local disk: held follow lists and job artifacts as database rows.

`held_follow_lists` keeps the complete list a sync read when the mass-removal guard held it, until an
admin confirms it (who, when and what it applied are recorded on the row). `job_artifacts` keeps the
screenshot and saved HTML of a failed browser run. Before this, both were files under the instance
folder of whichever host ran the worker, so another web node could not confirm or show them.

Upgrading imports the files this host still has (best effort: a host without them imports nothing; the
held run can then be synced again). Downgrading drops the tables; nothing is written back to disk.

Revision ID: 0018
Revises: 0017
"""

import json
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
LEGACY_MAX_BYTES = 5 * 1024 * 1024
LEGACY_TYPES = {"screenshot": "image/png", "html": "text/html; charset=utf-8"}


def upgrade():
    op.create_table(
        "held_follow_lists",
        sa.Column("run_id", sa.Uuid(), nullable=False),
        sa.Column("direction", sa.String(length=16), nullable=False),
        sa.Column("observed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("usernames", JSON, nullable=False),
        sa.Column("pending_minutes", sa.Float(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("confirmed_by_id", sa.Uuid(), nullable=True),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("applied", JSON, nullable=True),
        sa.ForeignKeyConstraint(
            ["run_id"], ["job_runs.id"], name=op.f("fk_held_follow_lists_run_id_job_runs"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["confirmed_by_id"],
            ["system_users.id"],
            name=op.f("fk_held_follow_lists_confirmed_by_id_system_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("run_id", name=op.f("pk_held_follow_lists")),
    )
    op.create_table(
        "job_artifacts",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("run_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("content_type", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("original_size", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"], ["job_runs.id"], name=op.f("fk_job_artifacts_run_id_job_runs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job_artifacts")),
        sa.UniqueConstraint("run_id", "kind", name="uq_job_artifacts_run_kind"),
    )
    op.create_index("ix_job_artifacts_created", "job_artifacts", ["created_at"])
    _import_legacy_files()


def downgrade():
    op.drop_index("ix_job_artifacts_created", table_name="job_artifacts")
    op.drop_table("job_artifacts")
    op.drop_table("held_follow_lists")


def _import_legacy_files():
    """Copy held lists and artifacts still on this host's disk into the new tables."""
    runs = sa.table(
        "job_runs", sa.column("id", sa.Uuid()), sa.column("status", sa.String()), sa.column("artifacts", JSON)
    )
    held = sa.table(
        "held_follow_lists",
        sa.column("run_id", sa.Uuid()),
        sa.column("direction", sa.String()),
        sa.column("observed_at", sa.DateTime(timezone=True)),
        sa.column("usernames", JSON),
        sa.column("pending_minutes", sa.Float()),
        sa.column("created_at", sa.DateTime(timezone=True)),
    )
    stored = sa.table(
        "job_artifacts",
        sa.column("run_id", sa.Uuid()),
        sa.column("kind", sa.String()),
        sa.column("content", sa.LargeBinary()),
        sa.column("content_type", sa.String()),
        sa.column("size", sa.Integer()),
        sa.column("original_size", sa.Integer()),
        sa.column("created_at", sa.DateTime(timezone=True)),
    )
    conn, now = op.get_bind(), datetime.now(UTC)
    rows = conn.execute(sa.select(runs.c.id, runs.c.status, runs.c.artifacts).where(runs.c.artifacts.is_not(None)))
    for run_id, status, paths in rows.all():
        paths = paths if isinstance(paths, dict) else {}
        if status == "held" and (data := _read_json(paths.get("held_list"))):
            conn.execute(held.insert().values(run_id=run_id, **_held_values(data), created_at=now))
        for kind, content_type in LEGACY_TYPES.items():
            if (content := _read_bytes(paths.get(kind))) is not None:
                size = len(content)
                capped = content[:LEGACY_MAX_BYTES]
                conn.execute(
                    stored.insert().values(
                        run_id=run_id,
                        kind=kind,
                        content=capped,
                        content_type=content_type,
                        size=len(capped),
                        original_size=size if size > LEGACY_MAX_BYTES else None,
                        created_at=now,
                    )
                )


def _held_values(data: dict) -> dict:
    return {
        "direction": data["direction"],
        "observed_at": datetime.fromisoformat(data["observed_at"]).astimezone(UTC),
        "usernames": list(data["usernames"]),
        "pending_minutes": data.get("pending_minutes"),
    }


def _read_bytes(path) -> bytes | None:
    if not isinstance(path, str) or not path:
        return None
    try:
        return Path(path).read_bytes()
    except OSError:
        return None


def _read_json(path) -> dict | None:
    content = _read_bytes(path)
    try:
        data = json.loads(content) if content is not None else None
    except ValueError:
        return None
    return data if isinstance(data, dict) and {"direction", "observed_at", "usernames"} <= set(data) else None
