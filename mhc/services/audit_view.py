"""The audit log as a person reads it: objects by name, changes as "field: old → new", secrets never shown.

Names for a whole page are read with one statement per kind of object on it (never one per row). An object
that is gone keeps the name its row stored (`object_label`), else the name its own change carried
(docs/operator.md#reading-the-audit-log). Links are the view's business: this module says what an object is
and the key its page needs.
"""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import String, cast, select
from sqlalchemy.orm import Session

from mhc.models import (
    AlertChannel,
    AlertDelivery,
    AlertRule,
    AuditLog,
    HeldFollowList,
    JobRun,
    Person,
    Profile,
    SystemRole,
    SystemUser,
)
from mhc.services.audit import REDACTED, SECRET_FIELDS, SIGN_IN_ACTIONS

# How the log calls each kind of object, in words.
KIND_WORDS = {
    "persons": "person",
    "profiles": "profile",
    "system_user": "system user",
    "system_role": "role",
    "job_runs": "job run",
    "alert_channels": "alert channel",
    "alert_rules": "alert rule",
    "alert_deliveries": "alert",
    "held_follow_lists": "follow list",
    "stored_secret": "secret",
    "saved_views": "saved view",
}
# What each action did, in words (the stored action stays the filter's and the CSV export's value).
ACTION_WORDS = {
    "create": "created",
    "update": "edited",
    "delete": "deleted",
    "rename": "renamed",
    "login": "signed in",
    "login_password": "password accepted, second step next",
    "login_failed": "sign-in failed",
    "login_throttled": "sign-in refused: too many tries",
    "logout": "signed out",
    "password_change": "changed their password",
    "theme_change": "changed their theme",
    "two_factor_enabled": "turned two-step sign-in on",
    "two_factor_disabled": "turned two-step sign-in off",
    "two_factor_codes_regenerated": "made new recovery codes",
    "two_factor_reset": "reset two-step sign-in",
    "set_grants": "changed the permissions",
    "set_priority": "set the priority",
    "secret_set": "saved (value not shown)",
    "recompute_value": "recomputed fan value",
    "start": "started",
    "retry": "retried",
    "cancel": "cancelled",
    "confirm_held": "confirmed the held list",
    "apply": "applied",
    "send_test": "sent a test message",
    "note_added": "added a staff note",
    "note_edited": "edited a staff note",
    "note_deleted": "deleted a staff note",
}


def action_words(action: str | None) -> str:
    """An audit row's action as people say it ('set_priority' -> 'set the priority'; unknown ones spaced)."""
    return ACTION_WORDS.get(action or "", (action or "").replace("_", " "))


# Stored secrets and settings by their plain name (the value is never read here).
SECRET_NAMES = {
    "chaturbate_cookies": "Chaturbate cookies",
    "events_api_token": "Events API token",
    "stats_api_token": "Stats API token",
    "events_next_url": "Events API cursor",
}
SHORT_VALUE = 80  # a longer value is cut; the full one is on hover
TABS = ("changes", "signins", "all")


@dataclass(frozen=True)
class Named:
    """One object of the log: its kind in words, its name, and the key its page needs (None: no page).

    `key` is a username for persons and profiles, the id otherwise; `run_id` links a follow list to its run;
    `deleted`: the row names an object that is gone (its name is the one the log remembered)."""

    kind: str
    name: str
    key: str | None
    exists: bool
    run_id: str | None = None
    deleted: bool = False


@dataclass(frozen=True)
class Line:
    """One changed field: what it was and became (cut to SHORT_VALUE), and the full values for the hover."""

    field: str
    old: str | None
    new: str | None
    old_full: str | None
    new_full: str | None


def _as_uuid(value: str):
    try:
        return uuid.UUID(value)
    except (TypeError, ValueError):
        return None


def _as_int(value: str):
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if -(2**63) <= number < 2**63 else None


def _lookup(session: Session, object_type: str, ids: list[str]) -> dict[str, tuple[str, str | None, str | None]]:
    """{object_id: (name, key, run_id)} for the objects of one kind that still exist: one statement."""
    if object_type in ("persons", "system_user", "job_runs", "held_follow_lists"):
        keys = [k for k in map(_as_uuid, ids) if k is not None]
    else:
        keys = [k for k in map(_as_int, ids) if k is not None]
    if not keys:
        return {}
    if object_type == "persons":
        rows = session.execute(select(Person.id, Person.username).where(Person.id.in_(keys)))
        return {str(i): (name, name, None) for i, name in rows}
    if object_type == "profiles":
        stmt = select(Profile.id, Person.username).join(Person, Person.id == Profile.person_id)
        return {str(i): (name, name, None) for i, name in session.execute(stmt.where(Profile.id.in_(keys)))}
    if object_type == "held_follow_lists":
        stmt = select(HeldFollowList.id, HeldFollowList.direction, HeldFollowList.source, HeldFollowList.run_id)
        out = {}
        for i, direction, source, run_id in session.execute(stmt.where(HeldFollowList.id.in_(keys))):
            how = "read by a sync" if run_id else "imported by hand" if source == "manual_import" else source
            out[str(i)] = (f"{direction} list {how}", str(i), str(run_id) if run_id else None)
        return out
    if object_type == "alert_deliveries":
        stmt = select(AlertDelivery.id, AlertDelivery.title, AlertChannel.name).join(
            AlertChannel, AlertChannel.id == AlertDelivery.channel_id
        )
        rows = session.execute(stmt.where(AlertDelivery.id.in_(keys)))
        return {str(i): (f"{title} (to {channel})", str(i), None) for i, title, channel in rows}
    model, column = {
        "system_user": (SystemUser, SystemUser.username),
        "system_role": (SystemRole, SystemRole.name),
        "job_runs": (JobRun, JobRun.kind),
        "alert_channels": (AlertChannel, AlertChannel.name),
        "alert_rules": (AlertRule, AlertRule.name),
    }[object_type]
    return {
        str(i): (name, str(i), None) for i, name in session.execute(select(model.id, column).where(model.id.in_(keys)))
    }


LOOKED_UP = {"persons", "profiles", "system_user", "system_role", "job_runs"}
LOOKED_UP |= {"alert_channels", "alert_rules", "alert_deliveries", "held_follow_lists"}


def _remembered(row: AuditLog) -> str | None:
    """The name a row stored, or the one its own change carried (a delete keeps the old name)."""
    if row.object_label:
        return row.object_label
    changes = row.diff if isinstance(row.diff, dict) else {}
    for field in ("username", "name"):
        pair = changes.get(field)
        if isinstance(pair, list) and len(pair) == 2:
            found = pair[0] if pair[0] is not None else pair[1]
            if isinstance(found, str) and found:
                return found
    return None


def names(session: Session, rows: list[AuditLog]) -> dict[tuple[str, str | None], Named]:
    """{(object_type, object_id): Named} for every row's object, one statement per kind of object."""
    wanted: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        if row.object_type in LOOKED_UP and row.object_id:
            wanted[row.object_type].add(row.object_id)
    found = {kind: _lookup(session, kind, sorted(ids)) for kind, ids in wanted.items()}
    out = {}
    for row in rows:
        key = (row.object_type, row.object_id)
        if key not in out:
            out[key] = _named(row, found.get(row.object_type, {}))
    return out


def _named(row: AuditLog, found: dict) -> Named:
    kind = KIND_WORDS.get(row.object_type, row.object_type.replace("_", " "))
    if row.object_type == "stored_secret":
        name = SECRET_NAMES.get(row.object_id or "", row.object_id or "secret")
        return Named(kind, name, row.object_id, True)
    if row.object_id is None:
        return Named(kind, "all", None, False)
    if row.object_id in found:
        name, key, run_id = found[row.object_id]
        return Named(kind, name, key, True, run_id)
    return Named(kind, _remembered(row) or f"#{row.object_id[:8]}", None, False, deleted=row.object_type in LOOKED_UP)


def _text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True)


def _cut(text: str | None) -> str | None:
    if text is None or len(text) <= SHORT_VALUE:
        return text
    return text[: SHORT_VALUE - 1] + "…"


def _is_secret(row: AuditLog, field: str) -> bool:
    return field in SECRET_FIELDS or (row.object_type == "stored_secret" and field != "count")


def _pair(value) -> tuple:
    """(old, new) of a change; a value that is not a pair (a login refusal's reason) is the new value."""
    return (value[0], value[1]) if isinstance(value, list) and len(value) == 2 else (None, value)


def redacted(row: AuditLog) -> dict:
    """The row's changes with every secret field redacted whatever the row holds (for the CSV export)."""
    changes = row.diff if isinstance(row.diff, dict) else {}
    return {field: [REDACTED, REDACTED] if _is_secret(row, field) else value for field, value in changes.items()}


def lines(row: AuditLog) -> list[Line]:
    """The row's changes as lines, sorted by field; a secret field or any value of a stored secret shows as
    redacted whatever the row holds."""
    changes = row.diff if isinstance(row.diff, dict) else {}
    out = []
    for field in sorted(changes):
        old, new = _pair(changes[field])
        if _is_secret(row, field):
            old, new = (REDACTED if old is not None else None), REDACTED
        old, new = _text(old), _text(new)
        out.append(Line(field, _cut(old), _cut(new), old, new))
    return out


def summary(row: AuditLog) -> str | None:
    """A one-line account for rows whose diff says little: a stored secret saved, never its value."""
    if row.object_type != "stored_secret" or row.action != "secret_set":
        return None
    changes = row.diff if isinstance(row.diff, dict) else {}
    count = _pair(changes.get("count"))[1]
    name = SECRET_NAMES.get(row.object_id or "", "secret")
    if isinstance(count, int):
        return f"{name}: saved ({count} {'cookie' if count == 1 else 'cookies'})"
    return f"{name}: saved"


def parse_object(value: str | None) -> tuple[str, str] | None:
    """The history filter's "type:id" (e.g. "persons:<uuid>"), or None when it is not one."""
    object_type, sep, object_id = (value or "").partition(":")
    if not sep or not object_type or not object_id or len(object_type) > 64 or len(object_id) > 64:
        return None
    return object_type, object_id


def object_filter(object_type: str, object_id: str):
    """The WHERE clause for one object's history; a person's history includes its profile's rows."""
    clause = (AuditLog.object_type == object_type) & (AuditLog.object_id == object_id)
    person_id = _as_uuid(object_id) if object_type == "persons" else None
    if person_id is not None:
        profile_ids = select(cast(Profile.id, String)).where(Profile.person_id == person_id)
        clause = clause | ((AuditLog.object_type == "profiles") & AuditLog.object_id.in_(profile_ids))
    return clause


def tab_filter(tab: str):
    """The WHERE clause of a tab: sign-ins, changes (everything else), or None for all rows."""
    if tab == "signins":
        return AuditLog.action.in_(SIGN_IN_ACTIONS)
    if tab == "changes":
        return AuditLog.action.not_in(SIGN_IN_ACTIONS)
    return None


def describe_object(session: Session, object_type: str, object_id: str) -> Named:
    """One object named for the history page's heading (its newest row remembers it when it is gone)."""
    newest = session.scalars(
        select(AuditLog)
        .where(AuditLog.object_type == object_type, AuditLog.object_id == object_id)
        .order_by(AuditLog.at.desc())
        .limit(1)
    ).first()
    row = newest or AuditLog(object_type=object_type, object_id=object_id, action="")
    return names(session, [row])[(object_type, object_id)]


__all__ = [
    "ACTION_WORDS",
    "KIND_WORDS",
    "action_words",
    "TABS",
    "Line",
    "Named",
    "describe_object",
    "lines",
    "names",
    "object_filter",
    "parse_object",
    "redacted",
    "summary",
    "tab_filter",
]
