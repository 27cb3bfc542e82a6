"""Bench: the Hudson page's "where followers come from" sections on the L-scale demo data (PostgreSQL).

Reuses the demo database bench/list_pages.py loaded (200,000 persons; default `mhc_bench_users`) without
changing it: the run works on a copy (CREATE DATABASE ... TEMPLATE, so nobody may be connected to the
original for that moment), adds the indexes the models declare that the copy lacks (migration 0023's),
runs the migrations the copy lacks (timing 0026's and 0032's: the Hudson totals and the follow periods
filled from the history, their triggers installed), and drops the copy at the end. The synthetic
broadcasts below are inserted in a transaction that is rolled back.

Prints median milliseconds of:
- each analytics query (per-broadcast numbers, heatmap, retention) and the dashboard's older sections; the
  heatmap from the totals and the retention cohorts from the follow periods and, as the baseline, both from
  the history alone (`totals=False`, `periods=False`: the queries before), after checking both give the same
  numbers;
- the per-broadcast numbers for synthetic sessions (the demo data has no broadcast sessions and no Stats API
  samples): set-based (4 statements whatever the count) against a naive loop of 4 statements per broadcast;
- the whole logged-in Hudson page over loopback, against the same page with the heatmap and the cohorts read
  from the history (before the totals and the periods) and with the new sections empty.

    python bench/hudson.py --database-url postgresql://postgres@127.0.0.1:5432/test [--reuse mhc_bench_users]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from datetime import timedelta
from functools import partial
from pathlib import Path
from unittest import mock

import sqlalchemy as sa
from flask_migrate import upgrade

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from config import TestConfig  # noqa: E402
from mhc import create_app  # noqa: E402
from mhc.extensions import db  # noqa: E402
from mhc.models import FollowEvent, FollowPeriod, Interaction, utcnow  # noqa: E402
from mhc.models.hudson import FollowSlot, TipSlot  # noqa: E402
from mhc.models.owner import BroadcastSession  # noqa: E402
from mhc.services.owner import analytics, dashboard  # noqa: E402

OWNER = "hudson"
PASSWORD = "bench password 123"  # noqa: S105 (the bench admin bench/list_pages.py created)
RUNS = 21
SYNTHETIC_BROADCASTS = 90  # one a day: every session the page shows (90 days)
TARGET_PAGE_MS = 100.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True, help="PostgreSQL server URL")
    parser.add_argument("--reuse", default="mhc_bench_users", help="the loaded demo database (never dropped)")
    parser.add_argument("--timezone", default="Europe/Berlin")
    args = parser.parse_args()
    copy = f"{args.reuse}_hudson_{int(time.time())}"
    admin = sa.create_engine(args.database_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{copy}" TEMPLATE "{args.reuse}"'))
    url = sa.engine.make_url(args.database_url).set(database=copy).render_as_string(hide_password=False)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            app = create_app(TestConfig(url, Path(tmp), OWNER_USERNAME=OWNER, OWNER_TIMEZONE=args.timezone))
            with app.app_context():
                added = _add_missing_indexes()
                added += _migrate()
                sizes = _sizes()
                now = utcnow()
                queries = _measure_queries(args.timezone, now)
                synthetic = _measure_synthetic(now)
                http = _measure_http(app)
                db.engine.dispose()
        _report(args.reuse, args.timezone, sizes, queries, synthetic, http, added)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{copy}" WITH (FORCE)'))
        admin.dispose()


def _add_missing_indexes() -> list[str]:
    """The follow_events indexes the models declare and the copy lacks (a demo database loaded before them)."""
    added = []
    with db.engine.connect() as conn:
        for index in FollowEvent.__table__.indexes:
            exists = conn.scalar(sa.text("SELECT 1 FROM pg_indexes WHERE indexname = :n"), {"n": index.name})
            if not exists:
                index.create(conn)
                added.append(index.name)
        conn.execute(sa.text("ANALYZE follow_events"))
        conn.commit()
    return added


def _migrate() -> list[str]:
    """Bring the copy to the newest migration (a demo database loaded earlier lacks the later ones), timing
    0026 (the Hudson totals: tables filled from the history, triggers installed) and 0032 (the follow periods,
    likewise) when the copy lacks them."""
    with db.engine.connect() as conn:
        have = conn.scalar(sa.text("SELECT version_num FROM alembic_version"))
    timed, tables = [], {"0026": (FollowSlot, TipSlot), "0032": (FollowPeriod,)}
    for revision, models in tables.items():
        if have >= revision:
            continue
        upgrade(revision=f"{int(revision) - 1:04d}")
        started = time.perf_counter()
        upgrade(revision=revision)
        ms = (time.perf_counter() - started) * 1000
        with db.engine.connect() as conn:
            for model in models:
                conn.execute(sa.text(f"ANALYZE {model.__tablename__}"))
            conn.commit()
            made = ", ".join(
                f"{m.__tablename__} {conn.scalar(sa.select(sa.func.count()).select_from(m)):,}" for m in models
            )
        timed.append(f"{revision} made {made} in {ms:,.0f} ms")
    upgrade()
    with db.engine.connect() as conn:
        conn.execute(sa.text(f"ANALYZE {Interaction.__tablename__}"))
        conn.commit()
    return [f"migrations {have} to head; " + "; ".join(timed)] if timed else []


def _sizes() -> dict[str, int]:
    q = {
        "persons": "SELECT count(*) FROM persons",
        "follower changes": "SELECT count(*) FROM follow_events WHERE direction = 'follower'",
        "tips in the owner's room": f"SELECT count(*) FROM interactions WHERE type = 'tip' AND room = '{OWNER}'",
        "broadcast sessions": "SELECT count(*) FROM broadcast_sessions",
        "Stats API samples": "SELECT count(*) FROM owner_stats",
    }
    return {k: db.session.scalar(sa.text(v)) for k, v in q.items()}


def _median_ms(fn, runs: int = RUNS) -> float:
    fn()  # warm-up: plans, caches
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def _measure_queries(zone: str, now) -> list[tuple[str, float]]:
    s = db.session
    since = now - timedelta(days=90)
    # The totals and the periods give the numbers the history gives.
    heatmap = analytics.activity_heatmap(s, OWNER, zone, now)
    assert heatmap == analytics.activity_heatmap(s, OWNER, zone, now, totals=False), "heatmap differs"
    cohorts = analytics.retention_cohorts(s, zone, now)
    assert cohorts == analytics.retention_cohorts(s, zone, now, periods=False), "cohorts differ"
    cases = [
        ("per-broadcast numbers (1-4 statements)", lambda: analytics.broadcast_stats(s, OWNER, now, since)),
        ("heatmap, 90 days, from the totals (1 statement)", lambda: analytics.activity_heatmap(s, OWNER, zone, now)),
        (
            "  baseline: the same from the history",
            lambda: analytics.activity_heatmap(s, OWNER, zone, now, totals=False),
        ),
        ("retention, 12 cohorts, from the periods (1 statement)", lambda: analytics.retention_cohorts(s, zone, now)),
        ("  baseline: the same from the history", lambda: analytics.retention_cohorts(s, zone, now, periods=False)),
        ("all new sections: analytics.build", lambda: analytics.build(s, OWNER, zone, now)),
        ("baseline: the older sections, dashboard.build", lambda: dashboard.build(s, OWNER, now)),
    ]
    out = []
    for label, fn in cases:
        out.append((label, _median_ms(fn)))
        s.rollback()
    return out


def _measure_synthetic(now) -> dict:
    """Per-broadcast numbers for 90 synthetic daily 3-hour sessions over the real events and follows, then
    rolled back: set-based against a loop of the same 4 statements per broadcast."""
    s = db.session
    days = range(1, SYNTHETIC_BROADCASTS + 1)
    starts = [(now - timedelta(days=d)).replace(hour=19, minute=0, second=0, microsecond=0) for d in days]
    s.add_all(BroadcastSession(started_at=t, ended_at=t + timedelta(hours=3), segments_count=1) for t in starts)
    s.flush()
    try:
        since = now - timedelta(days=91)
        rows = analytics.broadcast_stats(s, OWNER, now, since)
        set_based = _median_ms(lambda: analytics.broadcast_stats(s, OWNER, now, since))
        naive = _median_ms(lambda: [analytics.broadcast_stats(s, OWNER, t, t) for t in starts], runs=5)
        return {
            "sessions": len(rows),
            "set_based": set_based,
            "naive": naive,
            "follows": sum(len(b.gained) for b in rows),
            "tips": sum(b.tips for b in rows),
            "viewers": sum(b.unique_viewers for b in rows),
        }
    finally:
        s.rollback()


def _measure_http(app) -> dict[str, float]:
    """Median ms of the whole logged-in page over loopback: as it is, with the heatmap and the cohorts read
    from the history (before the totals and the periods), and without the new sections."""
    import requests
    from werkzeug.serving import make_server

    from tests.conftest import csrf_token_from

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_port}"
    try:
        http = requests.Session()
        token = csrf_token_from(http.get(f"{base}/login").text)
        http.post(f"{base}/login", data={"login": "bench_admin", "password": PASSWORD, "csrf_token": token})

        def page():
            response = http.get(f"{base}/hudson/")
            assert response.status_code == 200 and 'data-testid="retention"' in response.text, response.status_code

        out = {"page": _median_ms(page)}
        with (
            mock.patch.object(analytics, "activity_heatmap", partial(analytics.activity_heatmap, totals=False)),
            mock.patch.object(analytics, "retention_cohorts", partial(analytics.retention_cohorts, periods=False)),
        ):
            out["history"] = _median_ms(page)
        grids = {k: [[0] * 24 for _ in analytics.WEEKDAYS] for k in analytics.HEATMAP_KINDS}
        empty = analytics.OwnerAnalytics("UTC", [], [], analytics.Heatmap("UTC", utcnow(), utcnow(), grids), [])
        with mock.patch.object(analytics, "build", return_value=empty):
            out["baseline"] = _median_ms(page)
        return out
    finally:
        server.shutdown()
        thread.join(timeout=10)


def _report(name, zone, sizes, queries, synthetic, http, added) -> None:
    print(f"Hudson page on PostgreSQL, a copy of database {name}, OWNER_TIMEZONE {zone}")
    print(f"added to the copy: {'; '.join(added) or 'nothing'}")
    print("demo data: " + ", ".join(f"{k} {v:,}" for k, v in sizes.items()))
    if not sizes["broadcast sessions"]:
        print("note: the demo data has no broadcast sessions and no Stats API samples: the per-broadcast")
        print("      table is empty on the real page; see the synthetic sessions below for its cost.")
    print(f"\n{'query (on the demo data)':<56} {'median ms':>10}")
    for label, ms in queries:
        print(f"{label:<56} {ms:>10.1f}")
    print(
        f"\nper-broadcast numbers for {synthetic['sessions']} synthetic 3-hour sessions (rolled back; they cover "
        f"{synthetic['follows']:,} follows, {synthetic['tips']:,} tips, {synthetic['viewers']:,} viewer-sessions):"
    )
    print(f"  set-based, 4 statements       {synthetic['set_based']:>8.1f} ms")
    print(f"  naive, 4 per broadcast ({4 * synthetic['sessions']})  {synthetic['naive']:>8.1f} ms")
    print(f"  ratio                         {synthetic['naive'] / synthetic['set_based']:>8.1f}x")
    print("\nwhole HTTP request (logged in, loopback), median ms:")
    print(f"  Hudson page                              {http['page']:>7.1f}  (target <= {TARGET_PAGE_MS:.0f})")
    print(f"  before: heatmap, cohorts from history    {http['history']:>7.1f}")
    print(f"  baseline: same page, new sections empty  {http['baseline']:>7.1f}")
    print(f"  new sections add                         {http['page'] - http['baseline']:>7.1f}")


if __name__ == "__main__":
    main()
