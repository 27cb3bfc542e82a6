"""The one place outbound HTTP sessions are built: retries, timeouts and the user agent.

Imports nothing from the app: callers pass an HttpSettings (built from the app config by `from_config`).
Every request sent through a session made here carries a (connect, read) timeout, even when the caller
gives none. Retries (GET only) cover connection errors, read timeouts and the statuses in RETRY_STATUSES,
with exponential backoff; a Retry-After header is honoured but never waited on for longer than
`retry_after_max`, and never past an optional deadline (the caller's time budget). docs/production.md,
"Outbound HTTP", explains the numbers.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import (
    ConnectTimeoutError,
    MaxRetryError,
    NameResolutionError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
)
from urllib3.util.retry import Retry

RETRY_STATUSES = (429, 500, 502, 503, 504)
USER_AGENT = f"mhc-control-panel/1.0 python-requests/{requests.__version__}"


@dataclass(frozen=True)
class HttpSettings:
    """How outbound requests retry and time out; the defaults are the production ones."""

    retries: int = 3
    backoff: float = 0.5  # seconds: waits of 0, 1, 2 ... between retries (urllib3's backoff_factor)
    connect_timeout: float = 5.0
    read_timeout: float = 30.0
    retry_after_max: float = 30.0
    user_agent: str = USER_AGENT

    @classmethod
    def from_config(cls, config: Mapping) -> HttpSettings:
        """Settings from the app config's HTTP_* keys (missing keys keep the defaults)."""
        keys = {
            "retries": "HTTP_RETRIES",
            "backoff": "HTTP_BACKOFF",
            "connect_timeout": "HTTP_CONNECT_TIMEOUT",
            "read_timeout": "HTTP_READ_TIMEOUT",
            "retry_after_max": "HTTP_RETRY_AFTER_MAX",
            "user_agent": "HTTP_USER_AGENT",
        }
        return cls(**{field: config[key] for field, key in keys.items() if config.get(key) is not None})

    @property
    def timeout(self) -> tuple[float, float]:
        """(connect, read) seconds, as requests takes them."""
        return (self.connect_timeout, self.read_timeout)


class BoundedRetry(Retry):
    """urllib3's Retry with Retry-After capped and nothing retried or awaited past `deadline` (monotonic)."""

    def __init__(self, *args, retry_after_cap: float = 30.0, deadline: float | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.retry_after_cap, self.deadline = retry_after_cap, deadline

    def new(self, **kw) -> BoundedRetry:
        """The next state of this retry, keeping the cap and the deadline."""
        out = super().new(**kw)
        out.retry_after_cap, out.deadline = self.retry_after_cap, self.deadline
        return out

    def get_retry_after(self, response) -> float | None:
        """The server's Retry-After, at most the cap and the time left before the deadline."""
        seconds = super().get_retry_after(response)
        return None if seconds is None else min(seconds, self.retry_after_cap, self.time_left())

    def get_backoff_time(self) -> float:
        """The backoff wait, never past the deadline."""
        return min(super().get_backoff_time(), self.time_left())

    def is_exhausted(self) -> bool:
        """Out of retries, or out of time."""
        return super().is_exhausted() or self.time_left() <= 0

    def time_left(self) -> float:
        """Seconds before the deadline (infinite without one)."""
        return float("inf") if self.deadline is None else self.deadline - time.monotonic()


class TimeoutAdapter(HTTPAdapter):
    """An adapter that gives every request its default (connect, read) timeout when the caller gives none."""

    def __init__(self, timeout: tuple[float, float], **kwargs):
        self.default_timeout = timeout
        super().__init__(**kwargs)

    def send(self, request, timeout=None, **kwargs):
        """Send with the caller's timeout, else the default one."""
        return super().send(request, timeout=self.default_timeout if timeout is None else timeout, **kwargs)


def make_retry(settings: HttpSettings, deadline: float | None = None) -> BoundedRetry:
    """The retry policy: GET only, connection errors, read timeouts and RETRY_STATUSES, with backoff."""
    n = settings.retries
    return BoundedRetry(
        total=n,
        connect=n,
        read=n,
        status=n,
        backoff_factor=settings.backoff,
        status_forcelist=RETRY_STATUSES,
        allowed_methods=frozenset({"GET"}),
        respect_retry_after_header=True,
        raise_on_status=False,  # the last answer comes back, so the caller can name its status
        retry_after_cap=settings.retry_after_max,
        deadline=deadline,
    )


def make_session(settings: HttpSettings, *, retries: bool = True, deadline: float | None = None) -> requests.Session:
    """A requests.Session with the user agent, default timeouts and (unless `retries` is False) the retry policy.

    `deadline` (a time.monotonic() value) bounds retries and their waits: a budgeted job passes its end."""
    session = requests.Session()
    session.headers["User-Agent"] = settings.user_agent
    retry = make_retry(settings, deadline) if retries and settings.retries > 0 else 0  # 0: requests' no-retry
    adapter = TimeoutAdapter(settings.timeout, max_retries=retry)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def retries_used(response: requests.Response) -> int:
    """How many times urllib3 retried before this answer (0 when the first one came back)."""
    history = getattr(getattr(response.raw, "retries", None), "history", None)
    return len(history or ())


def failure_reason(exc: BaseException) -> str:
    """Why a request failed, in a few words and without its URL (which may carry a token)."""
    reason, retried = exc, False
    while True:
        inner = reason.args[0] if isinstance(reason, requests.RequestException) and reason.args else None
        if isinstance(inner, MaxRetryError):
            reason, retried = inner.reason, True
        elif isinstance(inner, BaseException) and inner is not reason:
            reason = inner
        else:
            break
    text = _REASONS.get(next((t for t in _REASONS if isinstance(reason, t)), None), type(reason).__name__)
    return f"{text} (after retries)" if retried else text


# First match wins: urllib3's NewConnectionError is a kind of ConnectTimeoutError, so it comes first.
_REASONS = {
    NameResolutionError: "the host name did not resolve",
    NewConnectionError: "could not connect",
    ConnectTimeoutError: "no connection within the connect timeout",
    requests.ConnectTimeout: "no connection within the connect timeout",
    ReadTimeoutError: "no answer within the read timeout",
    requests.ReadTimeout: "no answer within the read timeout",
    ProtocolError: "the connection broke",
    requests.ConnectionError: "could not connect",
}


class _HideQueries(logging.Filter):
    """urllib3 logs the URL of each retry; a query string may hold a token (the Stats API's), so it goes."""

    QUERY = re.compile(r"\?\S*")

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(self.QUERY.sub("?…", a) if isinstance(a, str) else a for a in record.args)
        return True


logging.getLogger("urllib3.connectionpool").addFilter(_HideQueries())
