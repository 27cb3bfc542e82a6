"""Batch actions from the Users lists that are too big to run inside a request."""

from __future__ import annotations

from mhc.extensions import db
from mhc.jobs import enqueue
from mhc.jobs.runner import job_kind, set_progress
from mhc.models import JobRun, SystemUser
from mhc.services.users import directory, priorities

BATCH_ACTION = "batch_action"
CHUNK = 1_000
ACTIONS = ("add_p1", "add_p2", "exclude", "include")


def enqueue_batch(action: str, person_ids, started_by=None) -> JobRun:
    """Queue one batch run of `action` over these persons."""
    if action not in ACTIONS:
        raise ValueError(f"unknown batch action {action!r}")
    ids = list(dict.fromkeys(str(pid) for pid in person_ids))
    return enqueue(BATCH_ACTION, {"action": action, "person_ids": ids}, started_by=started_by)


@job_kind(BATCH_ACTION)
def batch_action(run_id, action: str, person_ids: list[str]) -> dict:
    """Apply the action chunk by chunk (one commit each), reporting progress."""
    run = db.session.get(JobRun, directory.parse_uuid(run_id))
    user = db.session.get(SystemUser, run.started_by_id) if run and run.started_by_id else None
    changed = 0
    for start in range(0, len(person_ids), CHUNK):
        chunk = person_ids[start : start + CHUNK]
        changed += _apply(action, chunk, user)
        done = min(start + CHUNK, len(person_ids))
        set_progress(run_id, done * 100 // max(len(person_ids), 1), f"{done:,}/{len(person_ids):,} persons")
    return {"action": action, "persons": len(person_ids), "changed": changed}


def _apply(action: str, ids: list[str], user) -> int:
    if action in ("add_p1", "add_p2"):
        level = 1 if action == "add_p1" else 2
        return priorities.set_priority(db.session, ids, level, requested_by=getattr(user, "id", None))
    return directory.set_excluded(db.session, ids, action == "exclude", user=user)
