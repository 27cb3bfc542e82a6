"""Rules that fire on the clock, checked by the scheduler's tick: no follow sync for days, and the daily
digest at the owner's local time (docs/alerts.md#rule-kinds)."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from mhc.models import AlertDelivery, FollowEvent, Interaction, JobRun, Person
from mhc.services.alerts.firing import FOLLOW_SYNC, FOLLOWER, active_rules, current_settings
from mhc.services.alerts.messages import SHOWN, Named, name_lines, plural
from mhc.services.alerts.outbox import add_delivery
from mhc.services.users import value


def fire_scheduled(session: Session, now: datetime, timezone: str) -> int:
    """Write the stale-sync and digest deliveries that are due (each once, by its key); commits; return how many."""
    written = sum(_stale(session, rule, now) for rule in active_rules(session, ("sync_stale",)))
    written += sum(_digest(session, rule, now, timezone) for rule in active_rules(session, ("digest",)))
    session.commit()
    return written


def _stale(session: Session, rule, now: datetime) -> int:
    """Once per stretch without a successful sync: the key names the last success (or 'never')."""
    last = session.scalar(
        select(func.max(JobRun.finished_at)).where(JobRun.kind == FOLLOW_SYNC, JobRun.status == "finished")
    )
    since = max(last, rule.created_at) if last else rule.created_at
    if now - since < timedelta(days=rule.stale_days):
        return 0
    when = f"{last:%Y-%m-%d %H:%M} UTC" if last else "never (since this rule was made)"
    body = f"No follow list sync has succeeded for {plural(rule.stale_days, 'day')}. Last success: {when}."
    return add_delivery(
        session,
        key=f"r{rule.id}:sync_stale:{last.isoformat() if last else 'never'}",
        channel_id=rule.channel_id,
        title=f"No follow sync for {plural(rule.stale_days, 'day')}",
        body=f"{body}\n\nRule: {rule.name}",
        rule_id=rule.id,
    )


def digest_moment(rule, now: datetime, timezone: str) -> tuple[str, datetime] | None:
    """(local date, UTC moment) of the digest due now: today's, once its local time has passed and if the
    rule existed by then; None before that."""
    zone = ZoneInfo(timezone)
    local = now.astimezone(zone)
    hour, minute = (int(x) for x in rule.digest_time.split(":"))
    moment = datetime.combine(local.date(), time(hour, minute), tzinfo=zone).astimezone(now.tzinfo)
    if now < moment or moment < rule.created_at:
        return None
    return local.date().isoformat(), moment


def _digest(session: Session, rule, now: datetime, timezone: str) -> int:
    due = digest_moment(rule, now, timezone)
    if due is None:
        return 0
    day, end = due
    key = f"r{rule.id}:digest:{day}"
    if session.scalar(select(AlertDelivery.id).where(AlertDelivery.idempotency_key == key)) is not None:
        return 0  # the usual answer: built once a day, not on every tick
    title, body, events = digest_message(session, end - timedelta(days=1), end)
    return add_delivery(
        session,
        key=key,
        channel_id=rule.channel_id,
        title=f"{title} ({day})",
        body=f"{body}\n\nRule: {rule.name}",
        rule_id=rule.id,
        event_count=events,
    )


def digest_message(session: Session, start: datetime, end: datetime) -> tuple[str, str, int]:
    """(title, body, events) of the digest for [start, end): new followers, unfollowers with what they tipped,
    tips, net change."""
    in_window = [FollowEvent.direction == FOLLOWER, FollowEvent.observed_at >= start, FollowEvent.observed_at < end]
    people = (
        select(
            FollowEvent.action,
            Person.username,
            Person.tipped_tokens,
            func.count().over(partition_by=FollowEvent.action),
        )
        .join(Person, Person.id == FollowEvent.person_id)
        .where(*in_window)
        .order_by(FollowEvent.action, Person.tipped_tokens.desc(), Person.username)
    )
    follows, unfollows, totals = [], [], {"follow": 0, "unfollow": 0}
    for action, username, tokens, total in session.execute(people):
        bucket = follows if action == "follow" else unfollows
        totals[action] = int(total)
        if len(bucket) < SHOWN:
            bucket.append(Named(username, tokens))
    tokens, tips = _tips(session, start, end)
    net = totals["follow"] - totals["unfollow"]
    lines = [f"New followers: {totals['follow']:,}"]
    lines += [f"- {p.username}" for p in follows] + (
        [f"and {totals['follow'] - len(follows):,} more"] if totals["follow"] > len(follows) else []
    )
    lines += ["", f"Unfollowed: {totals['unfollow']:,} (tokens they tipped in total)"]
    lines += name_lines(unfollows, totals["unfollow"], "tokens")
    lines += ["", f"Tips: {plural(tips, 'tip')}, {tokens:,} tokens", f"Net change in followers: {net:+,}"]
    title = f"Daily digest: {net:+,} followers, {tokens:,} tokens"
    return title, "\n".join(lines), totals["follow"] + totals["unfollow"] + tips


def _tips(session: Session, start: datetime, end: datetime) -> tuple[int, int]:
    """(tokens, tips) in the owner's room in [start, end), by value.py's rule of what counts."""
    settings = current_settings()
    if settings is None:
        return 0, 0
    stmt = select(
        func.coalesce(func.sum(case((value.is_tip(), Interaction.amount), else_=0)), 0),
        func.count(case((value.is_tip(), 1))),
    ).where(value.in_room(settings.owner), Interaction.occurred_at >= start, Interaction.occurred_at < end)
    tokens, tips = session.execute(stmt).one()
    return int(tokens or 0), int(tips or 0)
