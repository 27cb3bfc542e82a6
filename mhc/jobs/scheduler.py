"""Interval schedules: enqueue the affiliate poll, the P2 profile-scrape round and the artifact cleanup when due.

Why not `rq cron`: its state lives only in Redis; ours is read from `job_runs` (last run = the newest
run of that kind), so the Jobs page can show last and next run even with Redis down, and a schedule
never overlaps itself because enqueue refuses a second run holding the same lock key.
A short Redis lock keeps two scheduler loops (two worker processes) from ticking at once.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import redis
from flask import Flask
from sqlalchemy import func, select

from mhc.extensions import db
from mhc.jobs.affiliate_jobs import enqueue_p2_scrape, enqueue_poll
from mhc.jobs.alert_jobs import scheduled_alerts
from mhc.jobs.artifacts import enqueue_artifact_cleanup
from mhc.jobs.queue import JobsUnavailable, queues
from mhc.jobs.recovery import mark_stale_runs
from mhc.jobs.runs import JobAlreadyRunning
from mhc.models import JobRun, utcnow

log = logging.getLogger(__name__)
TICK_SECONDS = 10


@dataclass(frozen=True)
class Schedule:
    """A job kind enqueued (by `start`, with no acting user) every `config[interval_key]` seconds."""

    kind: str
    label: str
    interval_key: str
    start: Callable[[], JobRun]
    requires: str | None = None  # a config key that must be non-empty, else the schedule is off

    def disabled_reason(self, config) -> str | None:
        """Why this schedule does not run, or None when it does."""
        if int(config[self.interval_key]) <= 0:
            return f"off ({self.interval_key} is 0)"
        if self.requires and not config.get(self.requires):
            return f"off ({self.requires} is not set)"
        return None


SCHEDULES = (
    Schedule("affiliate_poll", "Affiliate API poll", "AFFILIATE_POLL_SECONDS", enqueue_poll, requires="AFFILIATE_WM"),
    Schedule("p2_scrape", "P2 profile scrapes", "P2_SCRAPE_SECONDS", enqueue_p2_scrape),
    Schedule("artifact_cleanup", "Artifact cleanup", "ARTIFACT_CLEANUP_SECONDS", enqueue_artifact_cleanup),
)


@dataclass
class ScheduleStatus:
    """What the Jobs page shows for one schedule."""

    kind: str
    label: str
    interval_seconds: int
    last_run_at: datetime | None
    last_status: str | None
    next_run_at: datetime | None
    disabled: str | None = None


def status(config, now: datetime | None = None) -> list[ScheduleStatus]:
    """Last and next run of every schedule, from job_runs."""
    now = now or utcnow()
    out = []
    for sched in SCHEDULES:
        interval = int(config[sched.interval_key])
        last = db.session.scalars(
            select(JobRun).where(JobRun.kind == sched.kind).order_by(JobRun.created_at.desc()).limit(1)
        ).first()
        last_at = last.created_at if last else None
        off = sched.disabled_reason(config)
        next_at = None if off else max(now, last_at + timedelta(seconds=interval)) if last_at else now
        out.append(
            ScheduleStatus(sched.kind, sched.label, interval, last_at, last.status if last else None, next_at, off)
        )
    return out


def due(config, now: datetime) -> list[str]:
    """Kinds whose interval has passed since their newest run (or that never ran)."""
    latest = dict(
        db.session.execute(
            select(JobRun.kind, func.max(JobRun.created_at))
            .where(JobRun.kind.in_([s.kind for s in SCHEDULES]))
            .group_by(JobRun.kind)
        ).all()
    )
    return [
        s.kind
        for s in SCHEDULES
        if not s.disabled_reason(config)
        and (latest.get(s.kind) is None or now - latest[s.kind] >= timedelta(seconds=int(config[s.interval_key])))
    ]


def tick(app: Flask, now: datetime | None = None) -> list[str]:
    """Notice dead runs, enqueue every due schedule once, then the alerts due; return the kinds enqueued (none when
    Redis is down)."""
    mark_stale_runs()  # the database alone can tell, so this runs with Redis down too
    qs = queues()
    if not qs.ping() or not _claim_tick(qs):
        return []
    starters = {s.kind: s.start for s in SCHEDULES}
    started = []
    for kind in due(app.config, now or utcnow()):
        try:
            starters[kind]()
            started.append(kind)
        except JobAlreadyRunning:
            continue  # the previous run is still in flight: never overlap
        except JobsUnavailable as exc:
            log.warning("scheduler: %s", exc)
    scheduled_alerts(now)  # digest and stale-sync rules, interrupted sends, due retries (docs/alerts.md)
    return started


def _claim_tick(qs) -> bool:
    try:
        return bool(qs.connection.set(f"{qs.prefix}mhc:scheduler-tick", "1", nx=True, ex=TICK_SECONDS - 1))
    except redis.RedisError:
        return False


class SchedulerThread(threading.Thread):
    """Runs `tick` every few seconds inside an app context until stopped."""

    def __init__(self, app: Flask, interval: float = TICK_SECONDS):
        super().__init__(name="mhc-scheduler", daemon=True)
        self.app, self.interval = app, interval
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.is_set():
            with self.app.app_context():
                try:
                    tick(self.app)
                except Exception:  # a bad tick must not kill the schedule; the next one retries
                    log.exception("scheduler tick failed")
                finally:
                    db.session.remove()
            self.stopped.wait(self.interval)

    def stop(self) -> None:
        """Ask the loop to end after its current tick."""
        self.stopped.set()
