"""Audit log writes: part of the caller's transaction, secrets redacted."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from mhc.models import AuditLog, SystemUser, utcnow

SECRET_FIELDS = {"password", "password_hash", "value", "cookies", "token", "next_url"}
SECRET_FIELDS |= {"secret", "totp_secret", "recovery_codes"}  # two-factor login
REDACTED = "[redacted]"


def _jsonable(value):
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (list, tuple, set)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def diff(old: dict, new: dict) -> dict:
    """Field-by-field {field: [old, new]} for the fields that changed, secrets redacted."""
    out = {}
    for key in sorted(set(old) | set(new)):
        before, after = _jsonable(old.get(key)), _jsonable(new.get(key))
        if before != after:
            out[key] = [REDACTED, REDACTED] if key in SECRET_FIELDS else [before, after]
    return out


def record(
    session: Session,
    *,
    action: str,
    object_type: str,
    object_id=None,
    actor_id: uuid.UUID | None = None,
    changes: dict | None = None,
    remote_addr: str | None = None,
    username: str | None = None,
) -> AuditLog:
    """Add one audit row for what `actor_id` (None: the system) did (the caller commits).

    The row keeps the actor's username as it is now, so it still reads right after a rename or deletion;
    `username` overrides it (a refused login records the name typed)."""
    if username is None and actor_id is not None:
        actor = session.get(SystemUser, actor_id)
        username = actor.username if actor is not None else None
    entry = AuditLog(
        at=utcnow(),
        user_id=actor_id,
        username=username,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        action=action,
        diff=changes or None,
        remote_addr=remote_addr,
    )
    session.add(entry)
    return entry


# The log names a kind of stored object by its table, except system users and roles, which it has always
# named in the singular: kept, so filters and old rows still match.
OBJECT_TYPES = {"system_users": "system_user", "system_roles": "system_role"}


def object_type(obj) -> str:
    """The audit log's name for the kind of a stored object."""
    table = obj.__tablename__
    return OBJECT_TYPES.get(table, table)


def record_change(
    session: Session, obj, action: str, *, actor_id: uuid.UUID | None, changes: dict | None = None, **extra
) -> AuditLog:
    """`record` for one stored object, named by its kind and its id (the caller commits)."""
    return record(
        session,
        action=action,
        object_type=object_type(obj),
        object_id=obj.id,
        actor_id=actor_id,
        changes=changes,
        **extra,
    )


__all__ = ["diff", "object_type", "record", "record_change"]
