"""Every job kind and the function that runs it, written as "module:function".

A declared table rather than decorators in the job modules: enqueue() and the runner need the kinds, and the
job modules import both, so the names live here and the runner imports a kind's module only when one of its
runs starts. Imports in mhc/jobs then run one way (docs/architecture.md, "Jobs").
A job function takes (run_id, **args) and returns the run's counts (a dict) or raises.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

KINDS: dict[str, str] = {
    "affiliate_poll": "mhc.jobs.affiliate_jobs:affiliate_poll",
    "alert_delivery": "mhc.jobs.alert_jobs:alert_delivery",
    "refresh_person": "mhc.jobs.affiliate_jobs:refresh_person",
    "p2_scrape": "mhc.jobs.affiliate_jobs:p2_scrape",
    "artifact_cleanup": "mhc.jobs.artifacts:artifact_cleanup",
    "batch_action": "mhc.jobs.batch_jobs:batch_action",
    "events_listen": "mhc.jobs.events_jobs:events_listen",
    "stats_poll": "mhc.jobs.events_jobs:stats_poll",
    "follow_sync": "mhc.jobs.follow_jobs:follow_sync",
    "profile_scrape": "mhc.jobs.profile_jobs:profile_scrape",
    "selftest": "mhc.jobs.selftest:selftest",
}


def job_function(kind: str) -> Callable[..., dict | None]:
    """The function that runs a kind; KeyError for a kind not in the table."""
    module, _, name = KINDS[kind].partition(":")
    return getattr(importlib.import_module(module), name)
