"""Profile scraping: open each person's profile in Chromium, parse it, apply it (one commit per profile)."""

from __future__ import annotations

import uuid

from flask import current_app
from sqlalchemy import select

from mhc.extensions import db
from mhc.jobs import artifacts
from mhc.jobs.runner import set_progress
from mhc.jobs.runs import enqueue
from mhc.models import JobRun, Person, parse_uuid, utcnow
from mhc.scraping.browser import BrowserSettings, browser_page, pause
from mhc.scraping.pages.profile import ProfilePage
from mhc.scraping.parsers.profile import parse_profile_page
from mhc.services import secrets
from mhc.services.users import priorities, profiles

PROFILE_SCRAPE = "profile_scrape"


def enqueue_profile_scrape(person_ids, actor_id: uuid.UUID | None = None) -> JobRun:
    """Queue one profile-scrape run for these persons (on the browser queue)."""
    ids = list(dict.fromkeys(str(pid) for pid in person_ids))
    if not ids:
        raise ValueError("no persons to scrape")
    return enqueue(PROFILE_SCRAPE, {"person_ids": ids}, actor_id=actor_id, queue="scrape")


def profile_scrape(run_id, person_ids: list[str]) -> dict:
    """Scrape up to PROFILE_SCRAPE_CAP profiles, paced; a browser failure keeps a screenshot and the HTML."""
    cfg = current_app.config
    targets, over_cap = _targets(person_ids, cfg["PROFILE_SCRAPE_CAP"])
    counts = {"requested": len(person_ids), "over_cap": over_cap, "scraped": 0, "rejected": 0}
    counts.update(follow_observed=0, not_logged_in=0)
    if targets:
        priorities.mark_status(db.session, [pid for pid, _ in targets], "processing")
        cookies = secrets.load_cookies(db.session)
        owner = cfg["OWNER_USERNAME"].lower() if cookies else None  # without cookies the follow state means nothing
        db.session.commit()  # end the read transaction: never hold one open while a browser works
        with browser_page(_settings(cfg), cookies) as page:
            profile_page = ProfilePage(
                page, cfg["CHATURBATE_BASE_URL"], cfg["BROWSER_CHALLENGE_WAIT"], cfg["BROWSER_NAV_TIMEOUT_MS"]
            )
            _scrape_all(run_id, profile_page, targets, owner, counts)
    return counts


def _scrape_all(run_id, profile_page: ProfilePage, targets: list, owner: str | None, counts: dict) -> None:
    """Fetch, parse and apply each target in turn, paced; each profile is its own transaction."""
    delay = current_app.config["BROWSER_PROFILE_DELAY"]
    for index, (person_id, username) in enumerate(targets):
        if index:
            pause(delay)
        set_progress(run_id, 100 * index // len(targets), f"{username} ({index + 1}/{len(targets)})")
        html = _fetch(run_id, profile_page, targets, index)
        result = parse_profile_page(html, username, owner)
        outcome = profiles.apply_profile_result(db.session, person_id, result, utcnow(), run_id)
        counts["scraped" if outcome.ok else "rejected"] += 1
        counts["follow_observed"] += bool(outcome.follow_observed)
        # Cookies were sent but the page is not logged in as the owner: expired or someone else's cookies.
        counts["not_logged_in"] += bool(owner and result.ok and result.logged_in_as != owner)


def _targets(person_ids: list[str], cap: int) -> tuple[list[tuple[uuid.UUID, str]], int]:
    """(id, username) of the first `cap` known persons, in the order asked; and how many were over the cap."""
    ids = list(dict.fromkeys(parse_uuid(pid) for pid in person_ids))
    over_cap = max(0, len(ids) - cap)
    ids = ids[:cap]
    names = dict(db.session.execute(select(Person.id, Person.username).where(Person.id.in_(ids))).all())
    return [(pid, names[pid]) for pid in ids if pid in names], over_cap


def _settings(cfg) -> BrowserSettings:
    return BrowserSettings(
        chromium_path=cfg["CHROMIUM_PATH"],
        base_url=cfg["CHATURBATE_BASE_URL"],
        nav_timeout_ms=cfg["BROWSER_NAV_TIMEOUT_MS"],
        page_delay=tuple(cfg["BROWSER_PROFILE_DELAY"]),
    )


def _fetch(run_id, profile_page: ProfilePage, targets: list, index: int) -> str:
    """The page HTML; on failure keep artifacts, fail this lookup, requeue the rest, and re-raise."""
    person_id, username = targets[index]
    try:
        return profile_page.fetch(username)
    except Exception as exc:
        artifacts.keep_page(run_id, profile_page.page, username=username)
        priorities.mark_status(db.session, [person_id], "failed", reason=f"profile page failed: {exc}"[:500])
        priorities.mark_status(db.session, [pid for pid, _ in targets[index + 1 :]], "queued")
        raise
