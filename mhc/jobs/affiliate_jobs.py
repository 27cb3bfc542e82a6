"""Affiliate API jobs: the scheduled poll cycle, one-off person refreshes and the P2 scrape round."""

from __future__ import annotations

import time
import uuid
from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from mhc.clients.affiliate_api import FeedRead, fetch_online_rooms
from mhc.clients.http import HttpSettings, make_session
from mhc.clients.images import image_fetcher
from mhc.extensions import db
from mhc.jobs import profile_jobs
from mhc.jobs.runner import set_progress
from mhc.jobs.runs import JobAlreadyRunning, enqueue
from mhc.models import JobRun, Person, parse_uuid, utcnow
from mhc.services.sources import affiliate
from mhc.services.users import priorities, thumbnails

POLL_LOCK = "affiliate_poll"
REFRESH_LOCK = "refresh_person"
P2_LOCK = "p2_scrape"


def fetch_rooms(run_id) -> FeedRead:
    """Page through the feed once (within AFFILIATE_CYCLE_SECONDS), reporting progress per page (0-60 %).

    A failed page is retried by the session, but no retry and no Retry-After wait runs past the cycle's budget;
    a page still failing then fails the run (nothing is recorded)."""
    cfg = current_app.config
    budget = cfg["AFFILIATE_CYCLE_SECONDS"]

    def on_page(page: int, rooms: int) -> None:
        set_progress(run_id, min(60, page * 5), f"feed page {page}: {rooms} rooms")

    return fetch_online_rooms(
        cfg["AFFILIATE_API_URL"],
        cfg["AFFILIATE_WM"],
        genders=cfg["AFFILIATE_GENDERS"],
        room_cap=cfg["AFFILIATE_ROOM_CAP"],
        page_delay=cfg["AFFILIATE_PAGE_DELAY"],
        timeout=cfg["AFFILIATE_TIMEOUT"],
        budget_seconds=budget,
        on_page=on_page,
        http=make_session(HttpSettings.from_config(cfg), deadline=time.monotonic() + budget),
    )


def affiliate_poll(run_id) -> dict:
    """One cycle: read the feed, then record what it validly read in one transaction (nothing if a page fails)."""
    observed_at, started = utcnow(), time.monotonic()
    read = fetch_rooms(run_id)
    rooms, quarantined = affiliate.screen_rooms(read.rooms, read.rejected)
    cut = f"; cut short: {read.cut_short}" if read.cut_short else ""
    set_progress(run_id, 70, f"recording {len(rooms)} rooms ({len(quarantined)} quarantined){cut}")
    result = affiliate.record_cycle(
        db.session, rooms, observed_at, run_id=run_id, partial=bool(read.cut_short), quarantined=quarantined
    )
    set_progress(run_id, 85, "thumbnails of rooms online now")
    pictures = take_thumbnails([room.username for room in rooms], observed_at, _budget_left(started))
    return {**result.as_counts(), "cut_short": read.cut_short, **pictures}


def _budget_left(started: float) -> float:
    """Thumbnail seconds: their own budget, within what is left of the cycle's."""
    cfg = current_app.config
    left = cfg["AFFILIATE_CYCLE_SECONDS"] - (time.monotonic() - started)
    return max(0.0, min(cfg["THUMBNAIL_BUDGET_SECONDS"], left))


def take_thumbnails(usernames: list[str], now, budget_seconds: float | None = None) -> dict:
    """Download the thumbnails due among these rooms, which are online now (after the cycle is recorded)."""
    cfg = current_app.config
    budget = cfg["THUMBNAIL_BUDGET_SECONDS"] if budget_seconds is None else budget_seconds
    targets = thumbnails.due(
        db.session, usernames, now, timedelta(hours=cfg["THUMBNAIL_MAX_AGE_HOURS"]), cfg["THUMBNAILS_PER_CYCLE"]
    )
    http = make_session(HttpSettings.from_config(cfg), deadline=time.monotonic() + budget)
    fetch = image_fetcher(cfg["THUMBNAIL_HOSTS"], cfg["THUMBNAIL_TIMEOUT"], thumbnails.MAX_BYTES, http=http)
    return thumbnails.download(db.session, targets, fetch, now, budget).as_counts()


def refresh_person(run_id, person_ids: list[str]) -> dict:
    """Look these persons up in one feed pass, record the ones online, then enqueue their profile scrape."""
    observed_at = utcnow()
    ids = [parse_uuid(p) for p in person_ids]
    wanted = set(db.session.scalars(select(Person.username).where(Person.id.in_(ids))))
    read = fetch_rooms(run_id)
    rooms, quarantined = affiliate.screen_rooms([r for r in read.rooms if r.username in wanted])
    set_progress(run_id, 70, f"{len(rooms)} of {len(wanted)} online; recording")
    result = affiliate.record_cycle(
        db.session, rooms, observed_at, run_id=run_id, partial=True, quarantined=quarantined
    )
    pictures = take_thumbnails([room.username for room in rooms], observed_at)
    actor_id = db.session.scalar(select(JobRun.started_by_id).where(JobRun.id == parse_uuid(run_id)))
    scrape = _enqueue_scrape(person_ids, actor_id)
    return {**result.as_counts(), **pictures, "online": len(rooms), "profile_scrape_run": scrape}


def p2_scrape(run_id) -> dict:
    """Scheduled: enqueue the profile scrape for P2 persons, least recently checked first, capped."""
    ids = priorities.p2_person_ids(db.session, limit=current_app.config["PROFILE_SCRAPE_CAP"])
    if not ids:
        return {"persons": 0}
    return {"persons": len(ids), "profile_scrape_run": _enqueue_scrape([str(i) for i in ids], None)}


def _enqueue_scrape(person_ids: list[str], actor_id: uuid.UUID | None) -> str | None:
    try:
        return str(profile_jobs.enqueue_profile_scrape(person_ids, actor_id=actor_id).id)
    except JobAlreadyRunning as exc:
        return f"not started: {exc}"


def enqueue_poll(actor_id: uuid.UUID | None = None) -> JobRun:
    """Enqueue one affiliate cycle unless one is queued or running."""
    return enqueue("affiliate_poll", {}, actor_id=actor_id, lock_key=POLL_LOCK)


def enqueue_refresh(person_ids, actor_id: uuid.UUID | None = None) -> JobRun:
    """Enqueue a one-off feed lookup (then profile scrape) for these persons."""
    ids = [str(p) for p in person_ids]
    return enqueue("refresh_person", {"person_ids": ids}, actor_id=actor_id, lock_key=REFRESH_LOCK)


def enqueue_p2_scrape(actor_id: uuid.UUID | None = None) -> JobRun:
    """Enqueue the P2 profile-scrape round unless one is queued or running."""
    return enqueue("p2_scrape", {}, actor_id=actor_id, lock_key=P2_LOCK)
