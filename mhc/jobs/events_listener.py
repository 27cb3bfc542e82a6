"""The Events API longpoll loop and the Stats API poll: the network I/O of the events jobs.

Each answer is decoded by the client and stored by the service (mhc/services/sources/events.py), which
commits the batch together with its cursor: a restart resumes after the last committed batch.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field, fields
from datetime import timedelta

from sqlalchemy.orm import Session

from mhc.clients import events_api, stats_api
from mhc.clients.http import HttpSettings, make_session
from mhc.models import utcnow
from mhc.services import secrets
from mhc.services.sources import events, events_cursor

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ListenSettings:
    """Everything the longpoll loop needs from configuration (passed in, so tests can bound it)."""

    events_api_url: str
    stats_api_url: str
    owner: str
    longpoll_timeout: int = 30
    client_margin: float = 15.0
    backoff: tuple[float, float] = (5.0, 60.0)
    stats_every: float = 300.0
    max_batches: int | None = None
    max_seconds: float | None = None
    broadcast_gap_minutes: int = 30
    http: HttpSettings = field(default_factory=HttpSettings)

    @classmethod
    def from_config(cls, config, **overrides) -> ListenSettings:
        """Settings from a Flask config mapping, with per-run overrides."""
        values = {
            "events_api_url": config["EVENTS_API_URL"],
            "stats_api_url": config["STATS_API_URL"],
            "owner": config["OWNER_USERNAME"],
            "longpoll_timeout": config["EVENTS_LONGPOLL_TIMEOUT"],
            "client_margin": config["EVENTS_CLIENT_MARGIN"],
            "backoff": tuple(config["EVENTS_RETRY_BACKOFF"]),
            "stats_every": config["STATS_POLL_SECONDS"],
            "broadcast_gap_minutes": config["BROADCAST_SESSION_GAP_MINUTES"],
            "http": HttpSettings.from_config(config),
        }
        return cls(**{**values, **overrides})

    @property
    def ingest(self) -> events.IngestSettings:
        """The part the ingestion service needs."""
        return events.IngestSettings(owner=self.owner, broadcast_gap=timedelta(minutes=self.broadcast_gap_minutes))


@dataclass
class ListenTotals(events.EventCounts):
    """Counts of one listener run (what the JobRun row records): its batches' event counts added up."""

    batches: int = 0
    retries: int = 0
    stats_samples: int = 0
    last_error: str | None = None

    def add(self, result: events.IngestResult) -> None:
        """Add one batch's result."""
        self.batches += 1
        self.add_counts(result, tuple(f.name for f in fields(events.EventCounts)))


class ForeignCursor(events_api.EventsApiError):
    """The answer's nextUrl leaves the configured Events API: the last good cursor is kept."""


def listen(session: Session, settings: ListenSettings, *, stop=None, progress=None, clock=None, http=None):
    """Longpoll the Events API until stopped; each batch and its cursor commit together.

    Token errors (400/401/404) raise EventsTokenError: retrying cannot help. Other errors wait
    (doubling backoff) and retry the same URL, so nothing is skipped. A nextUrl that leaves the configured
    Events API (another host, scheme or path) is never requested nor saved: it counts as such an error.
    The longpoll session does not retry on its own (this loop does, keeping the cursor); the Stats API's does.
    """
    clock = clock or utcnow
    stats_http = http or make_session(settings.http)
    http = http or make_session(settings.http, retries=False)
    totals = ListenTotals()
    url = _start_url(session, settings, totals, progress)
    session.rollback()  # end the read transaction: nothing is held open while the request waits
    wait, started, last_stats = settings.backoff[0], time.monotonic(), None
    while not (stop is not None and stop.is_set()):
        if settings.max_seconds is not None and time.monotonic() - started >= settings.max_seconds:
            break
        if settings.stats_every and (last_stats is None or time.monotonic() - last_stats >= settings.stats_every):
            last_stats = time.monotonic()
            totals.stats_samples += poll_stats(session, settings, stats_http, clock)
        try:
            batch = events_api.fetch(http, url, settings.longpoll_timeout + settings.client_margin)
            _check_next_url(settings.events_api_url, batch.next_url)
        except events_api.EventsTokenError:
            raise
        except events_api.EventsApiError as exc:
            totals.retries, totals.last_error = totals.retries + 1, str(exc)
            if progress:
                progress(totals, f"retrying in {wait:.0f}s after: {exc}")
            if _pause(stop, wait):
                break
            wait = min(max(wait * 2, 1.0), settings.backoff[1]) if settings.backoff[1] else 0.0
            continue
        totals.add(events.ingest_batch(session, batch.events, batch.next_url, clock(), settings.ingest))
        url, wait = batch.next_url, settings.backoff[0]
        if progress:
            progress(totals, f"{totals.batches} batches, {totals.inserted} new events")
        if settings.max_batches is not None and totals.batches >= settings.max_batches:
            break
    return totals


def _check_next_url(base_url: str, url: str) -> None:
    problem = events_cursor.cursor_problem(base_url, url)
    if problem:
        log.error("Events API answer refused, last cursor kept: %s", problem)
        raise ForeignCursor(f"{problem}; kept the last cursor")


def _start_url(session: Session, settings: ListenSettings, totals: ListenTotals, progress) -> str:
    """The stored cursor, or the first URL when there is none or the stored one leaves the Events API."""
    url, problem = events_cursor.start_url(session, settings.events_api_url, settings.owner, settings.longpoll_timeout)
    if problem:
        totals.last_error = problem
        if progress:
            progress(totals, problem)
    return url


def _pause(stop, seconds: float) -> bool:
    """Wait before a retry; True when asked to stop meanwhile."""
    if stop is not None:
        return stop.wait(seconds)
    time.sleep(seconds)
    return False


def poll_stats(session: Session, settings: ListenSettings, http, clock) -> int:
    """One Stats API reading when a Stats token is set; a failure is noted, never fatal. Returns 0 or 1."""
    token = secrets.get(session, events_cursor.STATS_TOKEN)
    session.rollback()
    if not token:
        return 0
    try:
        stats = stats_api.fetch(http, settings.stats_api_url, settings.owner, token, timeout=30.0)
    except stats_api.StatsApiError:
        return 0
    events.record_owner_stats(session, stats, clock())
    return 1
