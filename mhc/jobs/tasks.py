"""Job functions: thin wrappers that load ids, call one service and report progress."""

from __future__ import annotations

from mhc.jobs.runner import job_kind, set_progress


@job_kind("selftest")
def selftest(run_id, value: int = 1, fail: bool = False) -> dict:
    """Prove the queue end to end: records progress and returns a count (or fails on request)."""
    set_progress(run_id, 50, "halfway")
    if fail:
        raise RuntimeError("selftest asked to fail")
    return {"value": value * 2}
