"""When rules fire: hooks called inside the transactions that change the follow state or end a run. Each
writes at most one pending delivery per rule (the outbox) and sends nothing itself (docs/alerts.md).

- a complete list apply (`on_list_apply`): one small query per rule over the apply's own table of who was
  added or removed;
- single observations (`on_observations`): the same query over the persons just recorded;
- a follow sync's end (`on_run_outcome`): failed or held.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mhc.logs import redact
from mhc.models import AlertChannel, AlertRule, Interaction, Person
from mhc.services.alerts.messages import SHOWN, Named, person_message
from mhc.services.alerts.outbox import add_delivery
from mhc.services.users import value

FOLLOWER = "follower"  # every person rule is about the owner's followers
BY_ACTION = {"unfollow": ("tipper_unfollow", "any_unfollow"), "follow": ("model_follow",)}
FOLLOW_SYNC = "follow_sync"
SYNC_KINDS = {"failed": "sync_failed", "held": "sync_held"}


@dataclass(frozen=True)
class AlertSettings:
    """What firing needs from the configuration: the owner's username (whose room tips count)."""

    owner: str


_settings: Callable[[], AlertSettings | None] = lambda: None  # noqa: E731  replaced by the job layer


def set_settings_source(fn: Callable[[], AlertSettings | None]) -> None:
    """Install where firing reads its settings (the job layer reads the app's configuration)."""
    global _settings
    _settings = fn


def current_settings() -> AlertSettings | None:
    """The settings of the running app, or None outside one (then window and tip sums are not evaluated)."""
    return _settings()


def active_rules(session: Session, kinds) -> list[AlertRule]:
    """Enabled rules of these kinds whose channel is on (one small query)."""
    stmt = (
        select(AlertRule)
        .join(AlertChannel, AlertChannel.id == AlertRule.channel_id)
        .where(AlertRule.kind.in_(kinds), AlertRule.enabled.is_(True), AlertChannel.enabled.is_(True))
        .order_by(AlertRule.id)
    )
    return list(session.scalars(stmt))


def on_list_apply(session: Session, direction: str, changed: Callable[[str], sa.Select], at: datetime) -> int:
    """Rules fired by one complete list apply; `changed(action)` selects the person ids it followed or
    unfollowed. Returns the deliveries written (in the caller's transaction)."""
    if direction != FOLLOWER:
        return 0
    rules = active_rules(session, (*BY_ACTION["unfollow"], *BY_ACTION["follow"]))
    written = 0
    for rule in rules:
        action = "follow" if rule.kind in BY_ACTION["follow"] else "unfollow"
        persons = Person.id.in_(changed(action).scalar_subquery())
        written += _fire_people(session, rule, persons, at, f"list:{direction}:{at.isoformat()}")
    return written


def on_observations(session: Session, rows: list[dict]) -> int:
    """Rules fired by single observations just recorded (FollowEvent rows as dicts), grouped per call."""
    rows = [r for r in rows if r["direction"] == FOLLOWER]
    if not rows:
        return 0
    written = 0
    for rule in active_rules(session, (*BY_ACTION["unfollow"], *BY_ACTION["follow"])):
        action = "follow" if rule.kind in BY_ACTION["follow"] else "unfollow"
        mine = [r for r in rows if r["action"] == action]
        if not mine:
            continue
        first = mine[0]
        event = f"obs:{first.get('event_id') or first['person_id']}:{first['observed_at'].isoformat()}"
        persons = Person.id.in_([r["person_id"] for r in mine])
        written += _fire_people(session, rule, persons, max(r["observed_at"] for r in mine), event)
    return written


def _fire_people(session: Session, rule: AlertRule, persons, at: datetime, event: str) -> int:
    """One grouped delivery for the persons (a condition on `persons`) that match the rule, if any."""
    amount = _amount(rule, at)
    if amount is None:
        return 0
    where = [persons]
    if rule.kind == "tipper_unfollow":
        # Tokens within a window never exceed the lifetime total (the same tips, fewer of them), so only
        # those whose lifetime total reaches the threshold have their window summed.
        where.append(Person.tipped_tokens >= rule.min_tokens)
    elif rule.kind == "model_follow":
        where.append(Person.num_followers >= rule.min_followers)
    matched = select(Person.username.label("username"), amount.label("amount")).where(*where).subquery("matched")
    stmt = (
        select(matched.c.username, matched.c.amount, func.count().over().label("total"))
        .order_by(matched.c.amount.desc(), matched.c.username)
        .limit(SHOWN)
    )
    if rule.kind == "tipper_unfollow":
        stmt = stmt.where(matched.c.amount >= rule.min_tokens)
    found = session.execute(stmt).all()
    if not found:
        return 0
    total = int(found[0].total)
    title, body = person_message(rule.kind, rule, [Named(r.username, r.amount) for r in found], total)
    key = f"r{rule.id}:{rule.kind}:{event}:{found[0].username}:{total}"
    return add_delivery(
        session, key=key, channel_id=rule.channel_id, title=title, body=body, rule_id=rule.id, event_count=total
    )


def _amount(rule: AlertRule, at: datetime):
    """The number shown (and, for the tipper rule, tested) per person: lifetime tokens, tokens within the
    rule's window (value.py's rule of what counts), or followers. None when the window cannot be evaluated."""
    if rule.kind == "model_follow":
        return func.coalesce(Person.num_followers, 0)
    if rule.kind != "tipper_unfollow" or not rule.window_days:
        return Person.tipped_tokens
    settings = current_settings()
    if settings is None:
        return None
    since = at - timedelta(days=rule.window_days)
    return (
        select(func.coalesce(func.sum(Interaction.amount), 0))
        .where(
            Interaction.person_id == Person.id,
            value.in_room(settings.owner),
            value.is_tip(),
            Interaction.occurred_at >= since,
            Interaction.occurred_at <= at,
        )
        .correlate(Person)
        .scalar_subquery()
    )


def on_run_outcome(session: Session, kind: str, run_id, status: str, error: str | None, args: dict | None) -> int:
    """Rules fired by a follow sync that failed or was held (in the transaction that records the outcome)."""
    if kind != FOLLOW_SYNC or status not in SYNC_KINDS:
        return 0
    direction = (args or {}).get("direction") or "?"
    written = 0
    for rule in active_rules(session, (SYNC_KINDS[status],)):
        if status == "failed":
            title = f"The {direction} list sync failed"
            body = f"The {direction} list sync failed, so the list was not updated:\n{redact(error or 'no reason')}"
        else:
            title = f"The {direction} list sync waits for you"
            body = (
                f"The {direction} list sync would mark many people as unfollowed, so it was held: "
                f"confirm or discard it under Admin → Jobs.\n{redact(error or '')}".rstrip()
            )
        written += add_delivery(
            session,
            key=f"r{rule.id}:{rule.kind}:{run_id}",
            channel_id=rule.channel_id,
            title=title,
            body=f"{body}\n\nRule: {rule.name}",
            rule_id=rule.id,
        )
    return written
