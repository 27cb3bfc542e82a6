"""The selftest job: proves the queue end to end (the Jobs page and the tests start it)."""

from __future__ import annotations

import time

from mhc.jobs.runner import set_progress


def selftest(run_id, value: int = 1, fail: bool = False, seconds: float = 0.0) -> dict:
    """Record progress, work `seconds` silently, return a count (or fail when asked)."""
    set_progress(run_id, 50, "halfway")
    time.sleep(min(float(seconds), 600.0))  # a long silent stretch: the run's heartbeat must carry it
    if fail:
        raise RuntimeError("selftest asked to fail")
    return {"value": value * 2}
