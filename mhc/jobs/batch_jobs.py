"""Batch actions from the Users lists that are too big to run inside a request."""

from __future__ import annotations

import uuid

from mhc.extensions import db
from mhc.jobs.runner import set_progress
from mhc.jobs.runs import enqueue
from mhc.models import JobRun, parse_uuid
from mhc.services.users import batch

BATCH_ACTION = "batch_action"
CHUNK = 1_000
ACTIONS = batch.CHANGES


def enqueue_batch(action: str, person_ids, actor_id: uuid.UUID | None = None) -> JobRun:
    """Queue one batch run of `action` over these persons."""
    if action not in ACTIONS:
        raise ValueError(f"unknown batch action {action!r}")
    ids = list(dict.fromkeys(str(pid) for pid in person_ids))
    return enqueue(BATCH_ACTION, {"action": action, "person_ids": ids}, actor_id=actor_id)


def batch_action(run_id, action: str, person_ids: list[str]) -> dict:
    """Apply the action chunk by chunk (one commit each), reporting progress."""
    run = db.session.get(JobRun, parse_uuid(run_id))
    actor_id = run.started_by_id if run else None
    changed = 0
    for start in range(0, len(person_ids), CHUNK):
        chunk = person_ids[start : start + CHUNK]
        changed += batch.apply_change(db.session, action, chunk, actor_id=actor_id)
        done = min(start + CHUNK, len(person_ids))
        set_progress(run_id, done * 100 // max(len(person_ids), 1), f"{done:,}/{len(person_ids):,} persons")
    return {"action": action, "persons": len(person_ids), "changed": changed}
