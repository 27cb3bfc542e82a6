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
    object_label: str | None = None,
) -> AuditLog:
    """Add one audit row for what `actor_id` (None: the system) did (the caller commits).

    The row keeps the actor's username as it is now, so it still reads right after a rename or deletion;
    `username` overrides it (a refused login records the name typed). `object_label` is the object's name
    now, shown once the object is gone (docs/operator.md#reading-the-audit-log)."""
    if username is None and actor_id is not None:
        actor = session.get(SystemUser, actor_id)
        username = actor.username if actor is not None else None
    entry = AuditLog(
        at=utcnow(),
        user_id=actor_id,
        username=username,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        object_label=None if object_label is None else str(object_label)[:LABEL_MAX],
        action=action,
        diff=changes or None,
        remote_addr=remote_addr,
    )
    session.add(entry)
    return entry


# The log names a kind of stored object by its table, except system users and roles, which it has always
# named in the singular: kept, so filters and old rows still match.
OBJECT_TYPES = {"system_users": "system_user", "system_roles": "system_role"}


# Sign-ins are their own list in the log (they would drown the changes): these actions are sign-ins.
SIGN_IN_ACTIONS = ("login", "login_password", "login_failed", "login_throttled", "logout")
LABEL_MAX = 200


def label_of(obj) -> str | None:
    """The name a person reads for a stored object: a username, a name, a job run's kind; a profile by its
    person's username. None when the object has none."""
    if obj.__tablename__ == "profiles":
        person = getattr(obj, "person", None)
        return person.username if person is not None else None
    for attr in ("username", "name", "kind"):
        value = getattr(obj, attr, None)
        if isinstance(value, str) and value:
            return value
    return None


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
        **{"object_label": label_of(obj), **extra},
    )


__all__ = ["SIGN_IN_ACTIONS", "diff", "label_of", "object_type", "record", "record_change"]
