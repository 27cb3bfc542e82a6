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
removals must be proven", explains them. A list the mass-removal guard holds is kept as a held list and
leaves the run "held" until an admin confirms it (confirm_held_run), through the same checks as a manual
import's preview (services/follows/sync.py).
"""

from __future__ import annotations

import contextvars
import uuid
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app

from mhc.extensions import db
from mhc.jobs import artifacts
from mhc.jobs.runner import execute, set_progress
from mhc.jobs.runs import enqueue, insert_run
from mhc.models import JobRun, parse_uuid, utcnow
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
from mhc.services.follows import follow_ledger, sync
from mhc.services.follows.direction import Direction
from mhc.services.follows.follow_import import follower_yardstick

FOLLOW_SYNC = "follow_sync"
FOLLOWING_BASIS = 'the header "FOLLOWING (N/M)"'
# The CLI's foreground run prints progress through this (the worker leaves it unset).
progress_echo: contextvars.ContextVar = contextvars.ContextVar("follow_progress_echo", default=None)


class FollowSyncAborted(RuntimeError):
    """The scrape cannot be trusted as a complete list; nothing was changed."""


class HeldRunError(RuntimeError):
    """A run cannot be confirmed: it is not a held follow_sync run (any more)."""


def lock_key(direction: Direction) -> str:
    """One sync per direction at a time."""
    return f"{FOLLOW_SYNC}:{Direction(direction).value}"


def enqueue_follow_sync(direction: Direction, actor_id: uuid.UUID | None = None) -> JobRun:
    """Queue a sync of one direction on the browser queue (JobAlreadyRunning if one is in flight)."""
    d = Direction.parse(direction)  # a job's arguments are an edge: callers outside the app may name it
    return enqueue(FOLLOW_SYNC, {"direction": d.value}, actor_id=actor_id, lock_key=lock_key(d), queue="scrape")


def run_follow_sync_here(direction: Direction, echo=None, actor_id: uuid.UUID | None = None) -> JobRun:
    """Run a sync in this process (CLI), recorded as a JobRun exactly like a worker run."""
    d = Direction.parse(direction)
    run = JobRun(id=uuid.uuid4(), kind=FOLLOW_SYNC, args={"direction": d.value}, lock_key=lock_key(d), status="queued")
    run.started_by_id, run.created_at = actor_id, utcnow()
    run_id = insert_run(run).id  # JobAlreadyRunning when a run holds the key, as from the panel
    token = progress_echo.set(echo)
    try:
        execute(str(run_id))
    except Exception:  # noqa: S110  the runner recorded status, error and traceback on the run we return
        pass
    finally:
        progress_echo.reset(token)
    return db.session.get(JobRun, run_id)


def follow_sync(run_id, direction: str) -> dict:
    """Scrape one complete list (twice when it moved or anyone is missing), apply it through the ledger."""
    cfg, d = current_app.config, Direction.parse(direction)
    cookies = secrets.load_cookies(db.session)
    if not cookies:
        raise FollowSyncAborted("no Chaturbate session cookies imported (Admin → Follow lists): nothing read")
    observed_at = utcnow()
    db.session.commit()  # hold no transaction open while the browser works
    scraped = _scrape(run_id, d, observed_at, cookies)
    result = follow_ledger.apply_follow_list(
        db.session,
        d,
        scraped.names,
        observed_at,
        "list_scrape",
        run_id=run_id,
        pending_after=scraped.pending_after,
        guard=sync.FollowSettings.from_config(cfg).guard,
    )
    counts = {
        **sync.summary(result),
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
        sync.hold(
            db.session,
            d,
            scraped.names,
            observed_at,
            source="list_scrape",
            actor_id=None,
            max_age=sync.HELD_MAX_AGE,
            run_id=parse_uuid(run_id),
            pending_after=scraped.pending_after,
        )
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


def _scrape(run_id, direction: Direction, observed_at, cookies) -> _Scraped:
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


def _read_proven(reader: FollowListPages, run_id, direction: Direction, observed_at) -> _Scraped:
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


def _read_checked(reader: FollowListPages, run_id, direction: Direction, round_no: int) -> DirectionRead:
    reader.persons_found = 0
    reader.progress = lambda pages, found, text, fraction: _progress(
        run_id, direction, round_no, pages, found, text, fraction
    )
    read = _read_direction(reader, direction)
    if problem := read_problem(read, current_app.config["FOLLOW_COUNT_TOLERANCE"]):
        raise FollowSyncAborted(problem)
    return read


def _read_direction(reader: FollowListPages, direction: Direction) -> DirectionRead:
    """Following pages carry their own count (the last page's header); followers are held to the owner's
    follower count, read before and after so a change during the read shows."""
    if direction is Direction.FOLLOWING:
        reads = [reader.read(kind) for kind in direction.page_kinds]
        totals = [total for read in reads for total in read.totals]
        return DirectionRead(reads, totals, reads[-1].following_total, FOLLOWING_BASIS)
    before, basis = _yardstick()
    reads = [reader.read(kind) for kind in direction.page_kinds]
    after, _ = _yardstick()
    return DirectionRead(reads, [before, after], before, basis)


def _yardstick() -> tuple[int | None, str | None]:
    """The owner's follower count now, read in a transaction that ends at once (the browser is working)."""
    try:
        return follower_yardstick(db.session, current_app.config["OWNER_USERNAME"])
    finally:
        db.session.rollback()


def _progress(run_id, direction: Direction, round_no: int, pages: int, found: int, text: str, fraction: float):
    prefix = "second read: " if round_no == 2 else ""
    message = f"{prefix}{text}; {pages} page(s) read, {found} person(s) found"
    kinds = direction.page_kinds  # read one after the other (following: online, then offline)
    kind = text.split(":", 1)[0]
    fraction = ((kinds.index(kind) if kind in kinds else 0) + fraction) / len(kinds)
    # The first read takes 0-60 %, a second read 60-90 %; applying is the rest.
    set_progress(run_id, int(60 * fraction) if round_no == 1 else 60 + int(30 * fraction), message)
    if echo := progress_echo.get():
        echo(message)


def confirm_held_run(run_id, fingerprint: str, actor_id: uuid.UUID | None = None) -> follow_ledger.ApplyResult:
    """Apply a list the mass-removal guard held, through the same checks as an import preview (sync.apply):
    refused (StalePreview) when the follow state changed since the hold, when it expired or was applied."""
    run = db.session.get(JobRun, parse_uuid(run_id))
    if run is None or run.kind != FOLLOW_SYNC or run.status != "held":
        raise HeldRunError("only a held follow_sync run can be confirmed")
    settings = sync.FollowSettings.from_config(current_app.config)
    result = sync.apply(
        db.session, run.id, fingerprint, actor_id=actor_id, settings=settings, confirm_mass_removal=True
    )
    run = db.session.get(JobRun, run.id)
    counts = {**(run.counts or {}), **sync.summary(result), "held": False, "reason": None}
    counts["confirmed_by"] = str(actor_id) if actor_id else None
    run.status, run.counts, run.finished_at = "finished", counts, utcnow()
    db.session.commit()
    return result
