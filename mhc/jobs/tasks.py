"""Job functions: thin wrappers that load ids, call one service and report progress."""

from __future__ import annotations

import time

from mhc.jobs import (
    affiliate_jobs,  # noqa: F401  (registers affiliate_poll, refresh_person, p2_scrape)
    artifacts,  # noqa: F401  (registers artifact_cleanup)
    batch_jobs,  # noqa: F401  (registers batch_action)
    events_jobs,  # noqa: F401  (registers events_listen, stats_poll)
    follow_jobs,  # noqa: F401  (registers follow_sync)
    profile_jobs,  # noqa: F401  (registers profile_scrape)
)
from mhc.jobs.runner import job_kind, set_progress


@job_kind("selftest")
def selftest(run_id, value: int = 1, fail: bool = False, seconds: float = 0.0) -> dict:
    """Prove the queue end to end: records progress, works `seconds` silently, returns a count (or fails)."""
    set_progress(run_id, 50, "halfway")
    time.sleep(min(float(seconds), 600.0))  # a long silent stretch: the run's heartbeat must carry it
    if fail:
        raise RuntimeError("selftest asked to fail")
    return {"value": value * 2}
