"""The changes a Users list applies to many selected persons at once: one home for what each does, used
inline by the panel and chunk by chunk by the batch job above the inline limit."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy.orm import Session

from mhc.services.users import exclusion, priorities

CHANGES = ("add_p1", "add_p2", "exclude", "include")


def apply_change(session: Session, name: str, person_ids: Iterable, *, actor_id: uuid.UUID | None = None) -> int:
    """Apply one batch change to these persons (one commit); return how many changed."""
    if name in ("add_p1", "add_p2"):
        return priorities.set_priority(session, person_ids, 1 if name == "add_p1" else 2, actor_id=actor_id)
    if name in ("exclude", "include"):
        return exclusion.set_excluded(session, person_ids, name == "exclude", actor_id=actor_id)
    raise ValueError(f"unknown batch change {name!r}")
