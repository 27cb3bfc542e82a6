"""follow_sync: read the owner's complete following or followers list in Chromium and apply it.

Abort, change nothing and say why (the run fails with the reason, screenshot and HTML kept) when the
login check fails, a challenge persists, a page fails or comes back empty mid-list, or the total falls
short of the expected count by more than the tolerance: max(FOLLOW_COUNT_TOLERANCE, 1 % of the expected
count). The expected count is the header's "(N/M)" M for following; for followers the newest Stats API
`num_followers`, else the owner's own profile "Followers:" value.

A person leaves a list only when a complete read proves it: when the first read moved while it was read or
misses anyone marked, the list is read a second time and a name counts as present if either read saw it
(two reads that both moved abort). With no count to check against, missing persons wait as pending
(follow_ledger). The checks live in scraping/follow_completeness.py; docs/reliability.md, "Follow lists:
removals must be proven", explains them. A list the mass-removal guard holds leaves the run "held" until
an admin confirms it (confirm_held_run).
"""

from __future__ import annotations

import contextvars
import uuid
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import func, select

from mhc.extensions import db
from mhc.jobs import artifacts, enqueue, insert_run
from mhc.jobs.runner import execute, job_kind, set_progress
from mhc.models import JobRun, Profile, utcnow
from mhc.scraping.browser import BrowserSettings, browser_page
from mhc.scraping.follow_completeness import (
    DirectionRead,
    UntrustedReads,
    combine,
    count_tolerance,
    read_problem,
    second_read_reason,
)
from mhc.scraping.pages.follow_lists import FollowListPages, FollowScrapeError
from mhc.services import secrets
from mhc.services.follows import follow_ledger, held_lists
from mhc.services.follows.follow_import import follower_yardstick

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
    d = normalise_direction(direction)
    run = JobRun(id=uuid.uuid4(), kind=FOLLOW_SYNC, args={"direction": d}, lock_key=lock_key(d), status="queued")
    run.started_by_id, run.created_at = started_by, utcnow()
    run_id = insert_run(run).id  # JobAlreadyRunning when a run holds the key, as from the panel
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
    """Scrape one complete list (twice when it moved or anyone is missing), apply it through the ledger."""
    cfg, d = current_app.config, normalise_direction(direction)
    cookies = secrets.load_cookies(db.session)
    if not cookies:
        raise FollowSyncAborted("no Chaturbate session cookies imported (Admin → Follow lists): nothing read")
    observed_at = utcnow()
    db.session.commit()  # hold no transaction open while the browser works
    scraped = _scrape(run_id, d, observed_at, cookies)
    result = follow_ledger.apply_follow_list(
        db.session, d, scraped.names, observed_at, "list_scrape", run_id=run_id, pending_after=scraped.pending_after
    )
    counts = {
        **_summary(result),
        "observed_at": observed_at.isoformat(),
        "pages": sum(r.pages for r in scraped.reads),
        "reads": len(scraped.reads),
        "second_read": scraped.second_read,
        "found": len(scraped.names),
        "expected": scraped.expected,
        "expected_from": scraped.basis or "nothing: no count known, so missing persons wait as pending",
        "tolerance": count_tolerance(scraped.expected, cfg["FOLLOW_COUNT_TOLERANCE"]),
    }
    if result.held:
        _keep_held_list(run_id, d, scraped.names, observed_at, scraped.pending_after)
        counts.update(held=True, reason=result.reason)
    return counts


@dataclass
class _Scraped:
    """What one sync read: the names to apply, each complete read, why a second read was made."""

    names: list[str]
    reads: list[DirectionRead]
    second_read: str | None

    @property
    def expected(self) -> int | None:
        return self.reads[-1].expected

    @property
    def basis(self) -> str | None:
        return self.reads[-1].basis

    @property
    def pending_after(self) -> timedelta | None:
        """With no count to check a read against, a missing person waits as pending this long."""
        if all(r.expected is not None for r in self.reads):
            return None
        return timedelta(minutes=current_app.config["FOLLOW_PENDING_MINUTES"])


def _scrape(run_id, direction: str, observed_at, cookies) -> _Scraped:
    cfg = current_app.config
    settings = BrowserSettings(
        chromium_path=cfg["CHROMIUM_PATH"],
        base_url=cfg["CHATURBATE_BASE_URL"],
        nav_timeout_ms=cfg["BROWSER_NAV_TIMEOUT_MS"],
        page_delay=tuple(cfg["BROWSER_PAGE_DELAY"]),
    )
    with browser_page(settings, cookies) as page:
        reader = FollowListPages(
            page, cfg["CHATURBATE_BASE_URL"], cfg["OWNER_USERNAME"], settings.page_delay, cfg["BROWSER_CHALLENGE_WAIT"]
        )
        try:
            return _read_proven(reader, run_id, direction, observed_at)
        except Exception as exc:
            artifacts.keep_page(run_id, page)
            if isinstance(exc, FollowScrapeError | UntrustedReads):
                raise FollowSyncAborted(str(exc)) from exc
            raise


def _read_proven(reader: FollowListPages, run_id, direction: str, observed_at) -> _Scraped:
    """One complete read; a second one when the first moved or misses anyone marked (follow_completeness)."""
    first = _read_checked(reader, run_id, direction, 1)
    scraped = _Scraped(first.names, [first], None)
    missing = follow_ledger.preview_follow_list(
        db.session, direction, first.names, observed_at, pending_after=scraped.pending_after
    )
    scraped.second_read = second_read_reason(first, missing.removed + missing.pending)
    if scraped.second_read:
        second = _read_checked(reader, run_id, direction, 2)
        scraped.reads.append(second)
        scraped.names = combine(first, second)
    return scraped


def _read_checked(reader: FollowListPages, run_id, direction: str, round_no: int) -> DirectionRead:
    reader.persons_found = 0
    reader.progress = lambda pages, found, text, fraction: _progress(
        run_id, direction, round_no, pages, found, text, fraction
    )
    read = _read_direction(reader, direction)
    if problem := read_problem(read, current_app.config["FOLLOW_COUNT_TOLERANCE"]):
        raise FollowSyncAborted(problem)
    return read


def _read_direction(reader: FollowListPages, direction: str) -> DirectionRead:
    if direction == "following":
        online = reader.read("online")
        offline = reader.read("offline")
        basis = 'the header "FOLLOWING (N/M)"'
        return DirectionRead([online, offline], online.totals + offline.totals, offline.following_total, basis)
    before, basis = _yardstick()
    followers = reader.read("followers")
    after, _ = _yardstick()
    return DirectionRead([followers], [before, after], before, basis)


def _yardstick() -> tuple[int | None, str | None]:
    """The owner's follower count now, read in a transaction that ends at once (the browser is working)."""
    try:
        return follower_yardstick(db.session, current_app.config["OWNER_USERNAME"])
    finally:
        db.session.rollback()


def _summary(result: follow_ledger.ApplyResult) -> dict:
    keys = (
        "added",
        "removed",
        "unchanged",
        "created",
        "ignored_older",
        "current",
        "pending",
        "pending_cleared",
        "applied",
    )
    return {k: getattr(result, k) for k in keys}


def _progress(run_id, direction: str, round_no: int, pages: int, found: int, text: str, fraction: float) -> None:
    prefix = "second read: " if round_no == 2 else ""
    message = f"{prefix}{text}; {pages} page(s) read, {found} person(s) found"
    if direction == "following":  # online list first, then offline
        fraction = fraction / 2 if text.startswith("online") else 0.5 + fraction / 2
    # The first read takes 0-60 %, a second read 60-90 %; applying is the rest.
    set_progress(run_id, int(60 * fraction) if round_no == 1 else 60 + int(30 * fraction), message)
    if echo := progress_echo.get():
        echo(message)


def _keep_held_list(run_id, direction: str, names: list[str], observed_at, pending_after) -> None:
    held_lists.keep(db.session, _uuid(run_id), direction, names, observed_at, pending_after)


def confirm_held_run(run_id, confirmed_by=None) -> follow_ledger.ApplyResult:
    """Apply a list the mass-removal guard held, unless a newer complete list was applied since."""
    run = db.session.get(JobRun, _uuid(run_id))
    if run is None or run.kind != FOLLOW_SYNC or run.status != "held":
        raise HeldRunError("only a held follow_sync run can be confirmed")
    held = held_lists.load(db.session, run.id)
    if held is None:
        raise HeldRunError("the held list is no longer available; run the sync again")
    direction, observed_at, minutes = held.direction, _aware(held.observed_at), held.pending_minutes
    checked = getattr(Profile, follow_ledger.COLUMNS[direction].checked)
    newest = db.session.scalar(select(func.max(checked)))
    if newest is not None and _aware(newest) > observed_at:
        raise HeldRunError(f"a newer {direction} list was applied at {newest:%Y-%m-%d %H:%M} UTC; not applied")
    result = follow_ledger.apply_follow_list(
        db.session,
        direction,
        list(held.usernames),
        observed_at,
        "list_scrape",
        run_id=run.id,
        confirm_mass_removal=True,
        pending_after=None if minutes is None else timedelta(minutes=minutes),
    )
    run = db.session.get(JobRun, _uuid(run_id))
    counts = {**(run.counts or {}), **_summary(result), "held": False, "reason": None}
    counts["confirmed_by"] = str(confirmed_by) if confirmed_by else None
    run.status, run.counts, run.finished_at = "finished", counts, utcnow()
    held_lists.mark_confirmed(db.session, run.id, confirmed_by, _summary(result))
    db.session.commit()
    return result


def _aware(value):
    from datetime import UTC

    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _uuid(value) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
