"""Alert rules: validated per kind (only the kind's fields are kept), audited (docs/alerts.md#rule-kinds)."""

from __future__ import annotations

import re
import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from mhc.models import AlertChannel, AlertRule
from mhc.services import audit
from mhc.services.alerts.kinds import FIELDS, RULE_KINDS, AlertError

TIME_RE = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
# (smallest, largest) accepted for each number field.
LIMITS = {"min_tokens": (1, 10_000_000), "window_days": (1, 3650), "min_followers": (1, 1_000_000_000)}
LIMITS["stale_days"] = (1, 365)
REQUIRED = {"min_tokens", "min_followers", "stale_days", "digest_time"}  # window_days empty = lifetime
SAVED = ("name", "kind", "channel_id", "enabled", *FIELDS)


def save_rule(session: Session, rule_id: int | None, values: dict, actor_id: uuid.UUID | None) -> AlertRule:
    """Create (rule_id None) or update a rule from plain values; fields the kind does not use are cleared; commits."""
    clean = _validated(session, values)
    if rule_id is None:
        rule = AlertRule(**clean)
        session.add(rule)
        session.flush()
        changes = {k: [None, v] for k, v in clean.items() if v is not None}
        audit.record_change(session, rule, "create", actor_id=actor_id, changes=changes)
    else:
        rule = get_rule(session, rule_id)
        before = {k: getattr(rule, k) for k in SAVED}
        for key, value in clean.items():
            setattr(rule, key, value)
        if changes := audit.diff(before, clean):
            audit.record_change(session, rule, "update", actor_id=actor_id, changes=changes)
    session.commit()
    return rule


def remove_rule(session: Session, rule_id: int, actor_id: uuid.UUID | None) -> None:
    """Delete a rule and its delivery log; commits."""
    rule = get_rule(session, rule_id)
    audit.record_change(session, rule, "delete", actor_id=actor_id, changes={"name": [rule.name, None]})
    session.delete(rule)
    session.commit()


def list_rules(session: Session) -> list[AlertRule]:
    """Every rule by name."""
    return list(session.scalars(select(AlertRule).order_by(AlertRule.name, AlertRule.id)))


def get_rule(session: Session, rule_id) -> AlertRule:
    """One rule by id; AlertError when there is none."""
    try:
        rule = session.get(AlertRule, int(rule_id))
    except (TypeError, ValueError):
        rule = None
    if rule is None:
        raise AlertError("no such rule")
    return rule


def _validated(session: Session, values: dict) -> dict:
    kind = values.get("kind")
    if kind not in RULE_KINDS:
        raise AlertError("choose what the rule watches")
    name = str(values.get("name") or "").strip()
    if not name or len(name) > 100:
        raise AlertError("give the rule a name of at most 100 characters")
    try:
        channel = session.get(AlertChannel, int(values.get("channel_id")))
    except (TypeError, ValueError):
        channel = None
    if channel is None:
        raise AlertError("choose a channel for the rule")
    clean = {"name": name, "kind": kind, "channel_id": channel.id, "enabled": bool(values.get("enabled", True))}
    used = RULE_KINDS[kind].fields
    for field in FIELDS:
        clean[field] = _field(field, values.get(field)) if field in used else None
    return clean


def _field(field: str, raw):
    label = field.replace("_", " ")
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        if field in REQUIRED:
            raise AlertError(f"{label} is needed for this kind of rule")
        return None
    if field == "digest_time":
        match = TIME_RE.match(str(raw).strip())
        if not match:
            raise AlertError("digest time must be HH:MM, 00:00 to 23:59")
        return match.group(0)
    try:
        number = int(str(raw).strip()) if not isinstance(raw, int) or isinstance(raw, bool) else raw
    except ValueError:
        raise AlertError(f"{label} must be a whole number") from None
    low, high = LIMITS[field]
    if not low <= number <= high:
        raise AlertError(f"{label} must be between {low:,} and {high:,}")
    return number
