"""Artifacts of failed runs (a screenshot, the saved HTML) as database rows: capped, listed, served, expired.

They live in the database, not on the disk of the host that ran the browser, so any web node shows them
(docs/production.md, "Nothing on local disk")."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from mhc.models import JobArtifact, utcnow

TRUNCATED_NOTE = "\n<!-- truncated by MHC Control Panel: the first {kept} of {size} bytes were kept -->\n"


@dataclass(frozen=True)
class ArtifactInfo:
    """What the run's page lists about one stored artifact (not its content)."""

    kind: str
    size: int
    original_size: int | None
    created_at: datetime

    @property
    def truncated(self) -> bool:
        """True when only the start of a larger content was kept."""
        return self.original_size is not None


def cap(kind: str, content: bytes, max_bytes: int) -> tuple[bytes, int | None]:
    """The bytes to keep and, when they were cut, the original size; saved HTML says where it was cut."""
    if len(content) <= max_bytes:
        return content, None
    note = b""
    if kind == "html":
        note = TRUNCATED_NOTE.format(kept=max_bytes, size=len(content)).encode()
    kept = max(0, max_bytes - len(note))
    return content[:kept] + note[:max_bytes], len(content)


def store(
    session: Session, run_id: uuid.UUID, kind: str, content: bytes, content_type: str, max_bytes: int
) -> JobArtifact:
    """Keep one artifact of a run, replacing an earlier one of the same kind; one commit."""
    kept, original = cap(kind, content, max_bytes)
    session.execute(delete(JobArtifact).where(JobArtifact.run_id == run_id, JobArtifact.kind == kind))
    row = JobArtifact(
        run_id=run_id,
        kind=kind,
        content=kept,
        content_type=content_type,
        size=len(kept),
        original_size=original,
        created_at=utcnow(),
    )
    session.add(row)
    session.commit()
    return row


def fetch(session: Session, run_id: uuid.UUID, kind: str) -> JobArtifact | None:
    """The stored artifact of this kind for the run, with its content."""
    stmt = select(JobArtifact).where(JobArtifact.run_id == run_id, JobArtifact.kind == kind)
    return session.scalars(stmt).first()


def listed(session: Session, run_id: uuid.UUID) -> list[ArtifactInfo]:
    """The run's stored artifacts, without reading their content."""
    cols = (JobArtifact.kind, JobArtifact.size, JobArtifact.original_size, JobArtifact.created_at)
    rows = session.execute(select(*cols).where(JobArtifact.run_id == run_id).order_by(JobArtifact.kind))
    return [ArtifactInfo(*row) for row in rows]


def delete_older_than(session: Session, cutoff: datetime) -> int:
    """Delete artifacts created before the cutoff; return how many; one commit."""
    deleted = session.execute(delete(JobArtifact).where(JobArtifact.created_at < cutoff)).rowcount
    session.commit()
    return deleted
