"""Bench Events API ingestion and the Events page.

    python bench/events_ingest.py [--pg postgresql://postgres@127.0.0.1:5432/postgres] [--events 100000] [--big 5000000]

1. Ingest --events events (realistic mix: enters, chat, tips, PMs, follows) in longpoll-sized
   batches, decoded by the client and stored through `events.ingest_batch` (one transaction per batch,
   cursor included) into a fresh SQLite file and a fresh PostgreSQL database; print events/second.
2. PostgreSQL only: grow `interactions` to --big rows with INSERT ... SELECT generate_series, then
   time the Events page's work (first page + all tab counts) for "All" and for the "Tips" tab,
   median over 15 runs, through the service and through the full HTTP page.
Databases are created and dropped here.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from config import TestConfig  # noqa: E402
from mhc import create_app  # noqa: E402
from mhc.clients.events_api import decode_events  # noqa: E402
from mhc.extensions import db  # noqa: E402
from mhc.models import utcnow  # noqa: E402
from mhc.services.sources import events, events_feed  # noqa: E402

OWNER = "hudson"
BATCH = 250
RUNS = 15


def feed(total: int) -> list[list[dict]]:
    """Batches of synthetic events from 5,000 viewers; 1 in 50 is a repeated id (a duplicate)."""
    out, batch = [], []
    for n in range(total):
        user = {"username": f"viewer_{n * 7919 % 5000}"}
        kind = n % 10
        if kind < 3:
            obj = {"broadcaster": OWNER, "user": user}
            method = "userEnter" if kind < 2 else "userLeave"
        elif kind < 7:
            method, obj = "chatMessage", {"broadcaster": OWNER, "user": user, "message": {"message": f"hello {n}"}}
        elif kind < 9:
            method, obj = "tip", {"broadcaster": OWNER, "user": user, "tip": {"tokens": 1 + n % 25, "message": ""}}
        else:
            msg = {"message": "pm", "fromUser": user["username"], "toUser": OWNER}
            method, obj = "privateMessage", {"broadcaster": OWNER, "user": user, "message": msg}
        event_id = f"{1700000000000 + n}-0" if n % 50 else f"{1700000000000 + n - 1}-0"
        batch.append({"method": method, "id": event_id, "object": obj})
        if len(batch) == BATCH:
            out.append(batch)
            batch = []
    if batch:
        out.append(batch)
    return out


def make_app(url: str, instance: Path):
    from flask_migrate import upgrade

    app = create_app(TestConfig(url, instance, WTF_CSRF_ENABLED=False))
    with app.app_context():
        upgrade()
    return app


def bench_ingest(app, batches, label: str) -> None:
    with app.app_context():
        start, t0 = utcnow(), time.perf_counter()
        received = inserted = 0
        for k, batch in enumerate(batches):
            at, cursor = start + timedelta(seconds=k), f"http://bench/?i={k + 1}"
            r = events.ingest_batch(db.session, decode_events(batch), cursor, at, events.IngestSettings(OWNER))
            received, inserted = received + r.received, inserted + r.inserted
        seconds = time.perf_counter() - t0
        print(
            f"{label}: ingested {received:,} events ({inserted:,} new, {received - inserted:,} duplicates) "
            f"in {len(batches):,} batches of {BATCH}: {seconds:.1f} s = {received / seconds:,.0f} events/s"
        )


def grow(app, big: int) -> None:
    """Fill interactions up to `big` rows with generated events spread over 60 days."""
    with app.app_context():
        have = db.session.scalar(sa.text("SELECT count(*) FROM interactions"))
        t0 = time.perf_counter()
        db.session.execute(
            sa.text(
                """
                INSERT INTO interactions (event_id, type, from_username, to_username, room, is_direct, text, amount,
                                          occurred_at, is_flagged)
                SELECT 'gen-' || g,
                       (ARRAY['userEnter','userLeave','chatMessage','chatMessage','chatMessage','tip',
                              'privateMessage','follow','userEnter','chatMessage'])[1 + g % 10],
                       'viewer_' || (g % 50000), 'hudson', 'hudson', false, 'message ' || g,
                       CASE WHEN g % 10 = 5 THEN 1 + g % 25 END,
                       now() - interval '60 days' + (g * 5184000.0 / :n) * interval '1 second',
                       false
                FROM generate_series(1, :n) AS g
                """
            ),
            {"n": big - have},
        )
        db.session.commit()
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("VACUUM ANALYZE interactions"))
        print(f"postgresql: grew interactions to {big:,} rows in {time.perf_counter() - t0:.0f} s")


def median_ms(fn) -> float:
    fn()  # warm up
    times = []
    for _ in range(RUNS):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def bench_page(app, big: int) -> None:
    from mhc.services.access import accounts

    with app.app_context():
        accounts.create_user(db.session, "bench_admin", "bench@example.test", "bench password 123", "admin")
        for tab in ("all", "tips", "broadcasts"):
            filters = events_feed.EventFilters(tab=tab)

            def work(filters=filters):
                page = events_feed.page(db.session, filters)
                counts = events_feed.tab_counts(db.session, filters)
                db.session.rollback()
                return page, counts

            page, counts = work()
            ms = median_ms(work)
            shown = {k: str(v) for k, v in counts.items()}
            print(
                f"postgresql {big:,} events, tab {tab!r}: first page ({len(page.rows)} rows) + 8 tab counts: "
                f"median {ms:.1f} ms (service); counts {shown}"
            )
        client = app.test_client()
        client.post("/login", data={"login": "bench_admin", "password": "bench password 123"})
        for path in ("/events/", "/events/?tab=tips"):
            assert client.get(path).status_code == 200
            ms = median_ms(lambda p=path: client.get(p))
            print(f"postgresql {big:,} events, GET {path}: median {ms:.1f} ms (HTTP, rendered)")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--big", type=int, default=5_000_000)
    args = parser.parse_args()
    batches = feed(args.events)
    with tempfile.TemporaryDirectory() as tmp:
        instance = Path(tmp)
        app = make_app(f"sqlite:///{instance / 'bench.sqlite3'}", instance)
        bench_ingest(app, batches, "sqlite")
        with app.app_context():
            db.engine.dispose()
        server = sa.engine.make_url(args.pg)
        name = f"mhc_bench_events_{uuid.uuid4().hex[:8]}"
        admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        try:
            url = server.set(database=name).render_as_string(hide_password=False)
            app = make_app(url, instance)
            bench_ingest(app, batches, "postgresql")
            if args.big:
                grow(app, args.big)
                bench_page(app, args.big)
            with app.app_context():
                db.engine.dispose()
        finally:
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
