"""What needs the owner's attention, for Home (docs/operator.md#home-what-needs-attention).

Each part is read only when the user may act on it (`Access`, from the user's permissions): failed and held
runs and follow lists (manage_jobs), missing configuration (manage_jobs; an alert channel: manage_alerts),
alert messages that could not be sent (manage_alerts: one item for all of them, not one per message), new
unfollowers since this user's last visit and today's numbers (view_users; tips: view_stats). A run "needs
attention" when it is the newest ended run of its kind and lock (a retry that finished clears it); a follow
list when it was never read completely or not for STALE_AFTER.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, select, update
from sqlalchemy.orm import Session

from mhc.models import (
    AlertChannel,
    AlertDelivery,
    FollowEvent,
    HeldFollowList,
    Interaction,
    JobRun,
    StoredSecret,
    SystemUser,
)
from mhc.services import secrets
from mhc.services.follows.direction import Direction
from mhc.services.users import value

FOLLOW_SYNC = "follow_sync"  # the job kinds (mhc/jobs/kinds.py), named here so services do not import jobs
ALERT_DELIVERY = "alert_delivery"
STALE_AFTER = timedelta(days=1)
RECENT = timedelta(days=7)  # failed runs older than this are history, not news
ENDED = ("finished", "failed", "cancelled")
MAX_RUNS = 500  # ended runs read to find each kind's newest (a week of runs is far fewer)


@dataclass(frozen=True)
class AttentionSettings:
    """What Home needs from the configuration (the view builds it)."""

    owner: str
    timezone: str = "UTC"
    affiliate_wm: str = ""
    stale_after: timedelta = STALE_AFTER

    @classmethod
    def from_config(cls, config: Mapping) -> AttentionSettings:
        """OWNER_USERNAME, OWNER_TIMEZONE, AFFILIATE_WM."""
        return cls(config["OWNER_USERNAME"], config.get("OWNER_TIMEZONE") or "UTC", config.get("AFFILIATE_WM") or "")


@dataclass(frozen=True)
class Access:
    """Which parts the user may act on (the view reads them from the user's permissions)."""

    jobs: bool = False  # manage_jobs: runs, follow lists, cookies, Events API token, AFFILIATE_WM
    alerts: bool = False  # manage_alerts: alert channels
    users: bool = False  # view_users: followers and unfollowers
    stats: bool = False  # view_stats: tips and tokens


@dataclass(frozen=True)
class HeldRun:
    """A sync whose list the mass-removal guard held, waiting for a confirmation."""

    run_id: uuid.UUID
    direction: Direction
    held_at: datetime
    removed: int | None


@dataclass(frozen=True)
class StaleList:
    """A follow list never read completely (`last_read_at` None) or not read for a while."""

    direction: Direction
    last_read_at: datetime | None
    age_seconds: float | None


@dataclass(frozen=True)
class Today:
    """Today's numbers in the owner's time zone, from its local midnight."""

    since: datetime
    new_followers: int = 0
    unfollows: int = 0
    tips: int = 0
    tokens: int = 0


@dataclass
class Attention:
    """Everything Home shows; empty lists and None where there is nothing (or the user may not see it)."""

    failed_runs: list[JobRun] = field(default_factory=list)
    failed_alerts: int = 0  # alert messages whose sending failed (one item, not one per message's run)
    held_runs: list[HeldRun] = field(default_factory=list)
    stale_lists: list[StaleList] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # of MISSING's keys, in its order
    new_unfollowers: int = 0
    last_visit: datetime | None = None
    today: Today | None = None

    @property
    def nothing(self) -> bool:
        """True when no item needs attention (today's numbers are news, not a to-do)."""
        lists = (self.failed_runs, self.held_runs, self.stale_lists, self.missing)
        return not any(lists) and not self.new_unfollowers and not self.failed_alerts


MISSING = ("cookies", "events_token", "affiliate_wm", "alert_channel")


def needs_attention(
    session: Session, user_id: uuid.UUID, settings: AttentionSettings, now: datetime, access: Access
) -> Attention:
    """What needs attention now; also records this visit as the user's last (the caller's request ends the
    transaction with one commit here: the visit time is not audited, like a login session's last-seen time)."""
    found = Attention()
    if access.jobs:
        found.failed_runs = failed_runs(session, now)
        found.held_runs = held_runs(session, now)
        found.stale_lists = stale_lists(session, now, settings.stale_after)
        found.missing = missing_settings(session, settings, access.alerts)
    elif access.alerts:
        found.missing = missing_settings(session, settings, True, secrets_too=False)
    if access.alerts:
        found.failed_alerts = failed_alerts(session, now)
    if access.users:
        found.last_visit = session.scalar(select(SystemUser.home_seen_at).where(SystemUser.id == user_id))
        if found.last_visit is not None:
            found.new_unfollowers = _follow_events(session, "unfollow", found.last_visit, by_created=True)
        found.today = today(session, settings, now, with_tips=access.stats)
    # updated_at stays: opening Home is no change to the account.
    stmt = update(SystemUser).where(SystemUser.id == user_id)
    session.execute(stmt.values(home_seen_at=now, updated_at=SystemUser.updated_at))
    session.commit()
    return found


def failed_runs(session: Session, now: datetime) -> list[JobRun]:
    """The newest ended run of each kind and lock, when it failed in the last RECENT (newest first)."""
    stmt = (
        select(JobRun)
        .where(JobRun.status.in_(ENDED), JobRun.created_at >= now - RECENT)
        .order_by(JobRun.created_at.desc())
        .limit(MAX_RUNS)
    )
    newest: dict[tuple, JobRun] = {}
    for run in session.scalars(stmt.where(JobRun.kind != ALERT_DELIVERY)):  # those are failed_alerts' item
        newest.setdefault((run.kind, run.lock_key or run.id), run)
    return [run for run in newest.values() if run.status == "failed"]


def failed_alerts(session: Session, now: datetime) -> int:
    """Alert messages of the last RECENT whose sending failed and that were not sent since (by a retry)."""
    recent = and_(AlertDelivery.status == "failed", AlertDelivery.created_at >= now - RECENT)
    return session.scalar(select(func.count()).where(recent)) or 0


def held_runs(session: Session, now: datetime) -> list[HeldRun]:
    """Syncs held by the mass-removal guard whose held list can still be confirmed."""
    stmt = (
        select(JobRun.id, HeldFollowList.direction, HeldFollowList.created_at, JobRun.counts)
        .join(HeldFollowList, HeldFollowList.run_id == JobRun.id)
        .where(JobRun.status == "held", HeldFollowList.confirmed_at.is_(None), HeldFollowList.expires_at > now)
        .order_by(HeldFollowList.created_at.desc())
    )
    return [
        HeldRun(run_id, Direction(direction), at, (counts or {}).get("removed"))
        for run_id, direction, at, counts in session.execute(stmt)
    ]


def stale_lists(session: Session, now: datetime, stale_after: timedelta) -> list[StaleList]:
    """Each follow list whose newest complete read (a finished sync, or an applied import) is older than
    `stale_after`, or that was never read."""
    read: dict[Direction, datetime] = {}
    syncs = (
        select(JobRun.args, JobRun.finished_at)
        .where(JobRun.kind == FOLLOW_SYNC, JobRun.status == "finished", JobRun.finished_at.is_not(None))
        .order_by(JobRun.finished_at.desc())
        .limit(MAX_RUNS)
    )
    for args, finished_at in session.execute(syncs):
        try:
            direction = Direction.parse((args or {}).get("direction"))
        except ValueError:
            continue
        read.setdefault(direction, finished_at)
    imports = select(HeldFollowList.direction, func.max(HeldFollowList.confirmed_at)).where(
        HeldFollowList.confirmed_at.is_not(None), HeldFollowList.applied.is_not(None)
    )
    for direction, confirmed_at in session.execute(imports.group_by(HeldFollowList.direction)):
        key = Direction(direction)
        read[key] = max(read.get(key, confirmed_at), confirmed_at)
    found = []
    for direction in Direction:
        at = read.get(direction)
        if at is None or now - at > stale_after:
            found.append(StaleList(direction, at, None if at is None else (now - at).total_seconds()))
    return found


def missing_settings(
    session: Session, settings: AttentionSettings, alerts: bool, *, secrets_too: bool = True
) -> list[str]:
    """Which of MISSING is not set up: no cookies, no Events API token, no AFFILIATE_WM, no enabled alert
    channel (the first three only with `secrets_too`, the last only with `alerts`)."""
    found = []
    if secrets_too:
        stored = set(session.scalars(select(StoredSecret.name).where(StoredSecret.name.in_(_SECRETS.values()))))
        found = [key for key, name in _SECRETS.items() if name not in stored]
        if not settings.affiliate_wm.strip():
            found.append("affiliate_wm")
    if alerts and not session.scalar(select(func.count()).select_from(AlertChannel).where(AlertChannel.enabled)):
        found.append("alert_channel")
    return [key for key in MISSING if key in found]


_SECRETS = {"cookies": secrets.COOKIES, "events_token": secrets.EVENTS_TOKEN}


def local_midnight(timezone: str, now: datetime) -> datetime:
    """The start of `now`'s day in the owner's time zone, as an aware time."""
    zone = ZoneInfo(timezone)
    return datetime.combine(now.astimezone(zone).date(), time(0), tzinfo=zone)


def today(session: Session, settings: AttentionSettings, now: datetime, *, with_tips: bool) -> Today:
    """New followers, unfollows (of the owner) and tips in the owner's room since the owner's local midnight."""
    since = local_midnight(settings.timezone, now)
    tips = tokens = 0
    if with_tips:
        stmt = select(func.count(), func.coalesce(func.sum(Interaction.amount), 0)).where(
            value.in_room(settings.owner), value.is_tip(), Interaction.occurred_at >= since
        )
        tips, tokens = session.execute(stmt).one()
    return Today(
        since,
        new_followers=_follow_events(session, "follow", since),
        unfollows=_follow_events(session, "unfollow", since),
        tips=int(tips),
        tokens=int(tokens),
    )


def _follow_events(session: Session, action: str, since: datetime, *, by_created: bool = False) -> int:
    """Persons with follower history rows of one action since a moment: observed then, or (by_created)
    recorded since (an unfollow is dated at the first list that missed the person, maybe before the visit)."""
    moment = FollowEvent.created_at if by_created else FollowEvent.observed_at
    stmt = select(func.count(FollowEvent.person_id.distinct())).where(
        FollowEvent.direction == Direction.FOLLOWER.value, FollowEvent.action == action, moment >= since
    )
    return int(session.scalar(stmt) or 0)
