"""One row per background run: what the panel reads for status and progress."""

from __future__ import annotations

import uuid

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint, Uuid, text
from sqlalchemy.orm import Mapped, mapped_column

from mhc.extensions import db
from mhc.models.types import BigId, JSONType, UTCDateTime, utcnow

ACTIVE_STATUSES = ("queued", "running")
STATUSES = ("queued", "running", "finished", "failed", "cancelled", "held")
# One queued or running run per lock key, as a database guarantee (docs/production.md, "One run per lock").
ACTIVE_LOCK_WHERE = "status IN ('queued', 'running') AND lock_key IS NOT NULL"
ARTIFACT_KINDS = ("screenshot", "html")


class JobRun(db.Model):
    """A background run; its id is also the RQ job id."""

    __tablename__ = "job_runs"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    kind: Mapped[str] = mapped_column(String(64), nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="queued")
    lock_key: Mapped[str | None] = mapped_column(String(128))
    args: Mapped[dict | None] = mapped_column(JSONType)
    progress: Mapped[int] = mapped_column(Integer, nullable=False, default=0, server_default="0")
    progress_text: Mapped[str | None] = mapped_column(Text)
    counts: Mapped[dict | None] = mapped_column(JSONType)
    error: Mapped[str | None] = mapped_column(Text)
    traceback: Mapped[str | None] = mapped_column(Text)
    artifacts: Mapped[dict | None] = mapped_column(JSONType)
    started_by_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("system_users.id", ondelete="SET NULL"))
    retry_of_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("job_runs.id", ondelete="SET NULL"))
    created_at: Mapped[object] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    started_at: Mapped[object | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[object | None] = mapped_column(UTCDateTime)
    heartbeat_at: Mapped[object | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index("ix_job_runs_created", "created_at"),
        Index("ix_job_runs_kind_status", "kind", "status"),
        Index("ix_job_runs_lock_key", "lock_key", "status"),
        # Finding runs whose heartbeat went silent reads only the few running rows.
        Index("ix_job_runs_status_heartbeat", "status", "heartbeat_at"),
        Index(
            "ux_job_runs_active_lock",
            "lock_key",
            unique=True,
            postgresql_where=text(ACTIVE_LOCK_WHERE),
            sqlite_where=text(ACTIVE_LOCK_WHERE),
        ),
    )

    def progress_payload(self) -> dict:
        """What the panel's progress bars poll (one shape for every page that shows a run)."""
        return {
            "id": str(self.id),
            "kind": self.kind,
            "status": self.status,
            "progress": self.progress,
            "text": self.progress_text or "",
            "counts": self.counts,
            "error": self.error,
        }

    @property
    def duration_seconds(self) -> float | None:
        """Seconds between start and finish, when both are known."""
        if self.started_at and self.finished_at:
            return (self.finished_at - self.started_at).total_seconds()
        return None


class WorkerHeartbeat(db.Model):
    """One row per live worker process, rewritten every WORKER_HEARTBEAT_SECONDS; readable without Redis."""

    __tablename__ = "worker_heartbeats"

    name: Mapped[str] = mapped_column(String(128), primary_key=True)
    host: Mapped[str] = mapped_column(String(255), nullable=False)
    pid: Mapped[int] = mapped_column(Integer, nullable=False)
    started_at: Mapped[object] = mapped_column(UTCDateTime, nullable=False)
    beat_at: Mapped[object] = mapped_column(UTCDateTime, nullable=False)
    run_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("job_runs.id", ondelete="SET NULL"))


class JobArtifact(db.Model):
    """A file kept with a failed run for diagnosis (screenshot, saved HTML), stored in the database."""

    __tablename__ = "job_artifacts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    run_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("job_runs.id", ondelete="CASCADE"), nullable=False)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    content: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    content_type: Mapped[str] = mapped_column(String(64), nullable=False)
    size: Mapped[int] = mapped_column(Integer, nullable=False)
    # Set when the content was larger than ARTIFACT_MAX_BYTES and only its start was kept.
    original_size: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[object] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    __table_args__ = (
        UniqueConstraint("run_id", "kind", name="uq_job_artifacts_run_kind"),
        Index("ix_job_artifacts_created", "created_at"),
    )
