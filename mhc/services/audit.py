"""Audit log writes: part of the caller's transaction, secrets redacted."""

from __future__ import annotations

from sqlalchemy.orm import Session

from mhc.models import AuditLog, utcnow

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
    user=None,
    changes: dict | None = None,
    remote_addr: str | None = None,
    username: str | None = None,
) -> AuditLog:
    """Add one audit row to the session (the caller commits)."""
    entry = AuditLog(
        at=utcnow(),
        user_id=getattr(user, "id", None),
        username=username or getattr(user, "username", None),
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        action=action,
        diff=changes or None,
        remote_addr=remote_addr,
    )
    session.add(entry)
    return entry


__all__ = ["diff", "record"]
