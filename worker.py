"""Start an RQ worker on the configured Redis: `python worker.py [--no-scheduler] [queue ...]`.

The worker process also runs the interval scheduler (affiliate poll every AFFILIATE_POLL_SECONDS,
P2 profile scrapes every P2_SCRAPE_SECONDS) unless `--no-scheduler` is given or MHC_SCHEDULER=0;
running it in several workers is safe (a Redis tick lock and the job lock keys prevent overlap).

`python worker.py events` runs the Events API listener instead (one process, no Redis needed;
see mhc/jobs/events_jobs.py): supervise it so it restarts; it resumes from the stored cursor.
"""

from __future__ import annotations

import sys

from rq import SimpleWorker

from config import ConfigError
from mhc import create_app


def main(argv: list[str]) -> int:
    """Run a worker for the given queues (default: all) until stopped."""
    try:
        app = create_app()
    except ConfigError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 2
    if argv[:1] == ["events"]:
        from mhc.jobs.events_jobs import run_listener_process

        with app.app_context():
            return run_listener_process(max_seconds=None)
    qs = app.extensions["mhc_jobs"]
    if qs.embedded:
        print("Error: REDIS_URL is not set; in embedded mode the panel runs jobs itself.", file=sys.stderr)
        return 2
    with_scheduler = "--no-scheduler" not in argv and app.config.get("SCHEDULER_ENABLED")
    names = [qs.prefix + n for n in argv if not n.startswith("--")] or list(qs.names)
    # SimpleWorker runs jobs in this process: no fork, so pooled database connections never cross one.
    with app.app_context():
        from mhc.jobs.recovery import recover_abandoned
        from mhc.jobs.scheduler import SchedulerThread

        recover_abandoned()
        scheduler = SchedulerThread(app) if with_scheduler else None
        if scheduler:
            scheduler.start()
        worker = SimpleWorker(names, connection=qs.connection)
        try:
            worker.work(with_scheduler=False)  # our SchedulerThread schedules; RQ's would fork a process
        finally:
            if scheduler:
                scheduler.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
