"""follow_sync: read the owner's complete following or followers list in Chromium and apply it.

Abort, change nothing and say why (the run fails with the reason, screenshot and HTML kept) when the
login check fails, a challenge persists, a page fails or comes back empty mid-list, or the total falls
short of the expected count by more than the tolerance: max(FOLLOW_COUNT_TOLERANCE, 1 % of the expected
count). The expected count is the header's "(N/M)" M for following; for followers the newest Stats API
`num_followers`, else the owner's own profile "Followers:" value; with neither, the run says so and relies
on the pager having ended cleanly. A list the mass-removal guard holds leaves the run "held" until an
admin confirms it (confirm_held_run).
"""

from __future__ import annotations

import contextvars
import json
import uuid
from pathlib import Path

from flask import current_app
from sqlalchemy import func, select

from mhc.extensions import db
from mhc.jobs import active_run, artifacts, enqueue
from mhc.jobs.runner import execute, job_kind, set_progress
from mhc.models import JobRun, Profile, utcnow
from mhc.scraping.browser import BrowserSettings, browser_page
from mhc.scraping.pages.follow_lists import FollowListPages, FollowScrapeError
from mhc.scraping.parsers.follow_lists import check_total, count_tolerance
from mhc.services import follow_ledger, secrets
from mhc.services.follow_import import follower_yardstick

FOLLOW_SYNC = "follow_sync"
DIRECTIONS = {"following": "following", "follower": "follower", "followers": "follower"}
# The CLI's foreground run prints progress through this (the worker leaves it unset).
progress_echo: contextvars.ContextVar = contextvars.ContextVar("follow_progress_echo", default=None)


class FollowSyncAborted(RuntimeError):
    """The scrape cannot be trusted as a complete list; nothing was changed."""


class HeldRunError(RuntimeError):
    """A held run cannot be confirmed (not held, superseded, its list missing)."""


def normalise_direction(direction: str) -> str:
    """'following', 'follower' (or 'followers') as stored in the database."""
    try:
        return DIRECTIONS[direction]
    except KeyError:
        raise ValueError(f"direction must be following or followers, not {direction!r}") from None


def lock_key(direction: str) -> str:
    """One sync per direction at a time."""
    return f"{FOLLOW_SYNC}:{normalise_direction(direction)}"


def enqueue_follow_sync(direction: str, started_by=None) -> JobRun:
    """Queue a sync of one direction on the browser queue (JobAlreadyRunning if one is in flight)."""
    d = normalise_direction(direction)
    return enqueue(FOLLOW_SYNC, {"direction": d}, started_by=started_by, lock_key=lock_key(d), queue="scrape")


def run_follow_sync_here(direction: str, echo=None, started_by=None) -> JobRun:
    """Run a sync in this process (CLI), recorded as a JobRun exactly like a worker run."""
    from mhc.jobs import JobAlreadyRunning

    d = normalise_direction(direction)
    if running := active_run(lock_key(d)):
        raise JobAlreadyRunning(running)
    run = JobRun(id=uuid.uuid4(), kind=FOLLOW_SYNC, args={"direction": d}, lock_key=lock_key(d), status="queued")
    run.started_by_id, run.created_at = started_by, utcnow()
    db.session.add(run)
    db.session.commit()
    run_id = run.id
    token = progress_echo.set(echo)
    try:
        execute(str(run_id))
    except Exception:  # noqa: S110  the runner recorded status, error and traceback on the run we return
        pass
    finally:
        progress_echo.reset(token)
    return db.session.get(JobRun, run_id)


@job_kind(FOLLOW_SYNC)
def follow_sync(run_id, direction: str) -> dict:
    """Scrape one complete list, validate it, apply it through the follow ledger."""
    cfg, d = current_app.config, normalise_direction(direction)
    cookies = secrets.load_cookies(db.session)
    if not cookies:
        raise FollowSyncAborted("no Chaturbate session cookies imported (Admin → Follow lists): nothing read")
    expected, basis = follower_yardstick(db.session, cfg["OWNER_USERNAME"]) if d == "follower" else (None, None)
    observed_at = utcnow()
    db.session.commit()  # hold no transaction open while the browser works
    names, expected, basis, pages = _scrape(run_id, d, expected, basis, cookies)
    result = follow_ledger.apply_follow_list(db.session, d, names, observed_at, "list_scrape", run_id=run_id)
    counts = {
        **_summary(result),
        "observed_at": observed_at.isoformat(),
        "pages": pages,
        "found": len(names),
        "expected": expected,
        "expected_from": basis or "nothing: no follower count known, completeness rests on the pager",
        "tolerance": count_tolerance(expected, cfg["FOLLOW_COUNT_TOLERANCE"]),
    }
    if result.held:
        _keep_held_list(run_id, d, names, observed_at)
        counts.update(held=True, reason=result.reason)
    return counts


def _scrape(run_id, direction: str, expected, basis, cookies) -> tuple[list[str], int | None, str | None, int]:
    cfg = current_app.config
    settings = BrowserSettings(
        chromium_path=cfg["CHROMIUM_PATH"],
        base_url=cfg["CHATURBATE_BASE_URL"],
        nav_timeout_ms=cfg["BROWSER_NAV_TIMEOUT_MS"],
        page_delay=tuple(cfg["BROWSER_PAGE_DELAY"]),
    )
    with browser_page(settings, cookies) as page:
        reader = FollowListPages(
            page,
            cfg["CHATURBATE_BASE_URL"],
            cfg["OWNER_USERNAME"],
            settings.page_delay,
            cfg["BROWSER_CHALLENGE_WAIT"],
            progress=lambda pages, found, text, fraction: _progress(run_id, direction, pages, found, text, fraction),
        )
        try:
            names, expected, basis, pages = _read_lists(reader, direction, expected, basis)
            tolerance = count_tolerance(expected, cfg["FOLLOW_COUNT_TOLERANCE"])
            problem = check_total(len(names), expected, tolerance)
            if problem:
                raise FollowSyncAborted(f"{problem}; expected count from {basis}")
            if not names and expected is None:
                raise FollowSyncAborted("the list is empty and no follower count is known to confirm it")
        except Exception as exc:
            artifacts.keep_page(run_id, page)
            if isinstance(exc, FollowScrapeError):
                raise FollowSyncAborted(str(exc)) from exc
            raise
    return names, expected, basis, pages


def _read_lists(reader: FollowListPages, direction: str, expected, basis):
    if direction == "following":
        online = reader.read("online")
        offline = reader.read("offline")
        names = list(dict.fromkeys(online.usernames + offline.usernames))  # a room can move lists mid-scrape
        return names, offline.following_total, 'the header "FOLLOWING (N/M)"', online.pages + offline.pages
    followers = reader.read("followers")
    return list(dict.fromkeys(followers.usernames)), expected, basis, followers.pages


def _summary(result: follow_ledger.ApplyResult) -> dict:
    keys = ("added", "removed", "unchanged", "created", "ignored_older", "current", "applied")
    return {k: getattr(result, k) for k in keys}


def _progress(run_id, direction: str, pages: int, found: int, text: str, fraction: float) -> None:
    message = f"{text}; {pages} page(s) read, {found} person(s) found"
    if direction == "following":  # online list first (0-45 %), then offline (45-90 %); applying is the rest
        fraction = fraction / 2 if text.startswith("online") else 0.5 + fraction / 2
    set_progress(run_id, int(90 * fraction), message)
    if echo := progress_echo.get():
        echo(message)


def _keep_held_list(run_id, direction: str, names: list[str], observed_at) -> None:
    path = artifacts.folder(run_id) / "held_list.json"
    data = {"direction": direction, "observed_at": observed_at.isoformat(), "usernames": names}
    path.write_text(json.dumps(data), encoding="utf-8")
    artifacts.record(run_id, {"held_list": str(path)})


def confirm_held_run(run_id, confirmed_by=None) -> follow_ledger.ApplyResult:
    """Apply a list the mass-removal guard held, unless a newer complete list was applied since."""
    from datetime import datetime

    run = db.session.get(JobRun, _uuid(run_id))
    if run is None or run.kind != FOLLOW_SYNC or run.status != "held":
        raise HeldRunError("only a held follow_sync run can be confirmed")
    path = (run.artifacts or {}).get("held_list")
    if not path or not Path(path).is_file():
        raise HeldRunError("the held list is no longer available; run the sync again")
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    direction, observed_at = data["direction"], datetime.fromisoformat(data["observed_at"])
    checked = getattr(Profile, follow_ledger.COLUMNS[direction].checked)
    newest = db.session.scalar(select(func.max(checked)))
    if newest is not None and _aware(newest) > observed_at:
        raise HeldRunError(f"a newer {direction} list was applied at {newest:%Y-%m-%d %H:%M} UTC; not applied")
    result = follow_ledger.apply_follow_list(
        db.session, direction, data["usernames"], observed_at, "list_scrape", run_id=run.id, confirm_mass_removal=True
    )
    run = db.session.get(JobRun, _uuid(run_id))
    counts = {**(run.counts or {}), **_summary(result), "held": False, "reason": None}
    counts["confirmed_by"] = str(confirmed_by) if confirmed_by else None
    run.status, run.counts, run.finished_at = "finished", counts, utcnow()
    db.session.commit()
    return result


def _aware(value):
    from datetime import UTC

    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _uuid(value) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
