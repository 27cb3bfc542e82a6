"""One way for a test to wait for what another thread or process does: poll, then fail with a clear message.

A timeout here is a bound on how long a broken run may hang the suite, never a timing assertion.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from mhc.extensions import db
from mhc.models import JobRun

T = TypeVar("T")

ENDED = ("finished", "failed")


def wait_until(
    predicate: Callable[[], T],
    timeout: float = 30.0,
    *,
    interval: float = 0.2,
    message: str | Callable[[], str] = "the condition",
) -> T:
    """Call predicate() until it returns something truthy and return that; fail naming `message` after `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            what = message() if callable(message) else message
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(interval)


def wait_for_run(run_id, until: Callable | None = None, timeout: float = 60.0, *, interval: float = 0.2):
    """Re-read the JobRun row until until(run) holds (default: it ended) and return it; fail with its last state."""
    until = until or (lambda run: run.status in ENDED)
    last = []

    def reread():
        db.session.expire_all()
        last[:] = [db.session.get(JobRun, run_id)]
        return last[0] if until(last[0]) else None

    def state() -> str:
        run = last[0] if last else None
        return f"run {run_id} (still {run.status}, {run.progress_text!r})" if run else f"run {run_id} (no row)"

    return wait_until(reread, timeout, interval=interval, message=state)
