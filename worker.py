"""Start an RQ worker on the configured Redis: `python worker.py [queue ...]`."""

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
    qs = app.extensions["mhc_jobs"]
    if qs.embedded:
        print("Error: REDIS_URL is not set; in embedded mode the panel runs jobs itself.", file=sys.stderr)
        return 2
    names = [qs.prefix + n for n in argv] or list(qs.names)
    # SimpleWorker runs jobs in this process: no fork, so pooled database connections never cross one.
    with app.app_context():
        from mhc.jobs.recovery import recover_abandoned

        recover_abandoned()
        worker = SimpleWorker(names, connection=qs.connection)
        worker.work(with_scheduler=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
