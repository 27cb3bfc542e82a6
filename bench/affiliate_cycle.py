"""Bench one Affiliate API cycle against a database at L scale (200,000 persons).

    python bench/affiliate_cycle.py --database-url postgresql://postgres@127.0.0.1:5432/mhc_bench_aff --create

Creates (with --create) and migrates the database, bulk-inserts persons and profiles up to --persons,
then records cycles of 1,000 and 5,000 rooms (a mix of known persons and new ones, with P1/P2 lookups)
and prints seconds and SQL statements per cycle. The statement count must not grow with the rooms.
A PostgreSQL COPY goes through the raw DBAPI cursor, so it is counted separately ("copy").
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from config import TestConfig  # noqa: E402
from mhc import create_app, sqlcompat  # noqa: E402
from mhc.clients.affiliate_api import parse_room  # noqa: E402
from mhc.extensions import db  # noqa: E402
from mhc.models import PLATFORM, Person, PriorityLookup, Profile, utcnow  # noqa: E402
from mhc.services.sources import affiliate  # noqa: E402

CHUNK = 20_000


def create_database(url: str) -> None:
    """Create the PostgreSQL database named in url if it does not exist."""
    target = sa.engine.make_url(url)
    admin = sa.create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": target.database}):
            conn.execute(sa.text(f'CREATE DATABASE "{target.database}"'))
    admin.dispose()


def fill_persons(total: int) -> None:
    """Bulk-insert persons (with profiles) named bench_<n> until there are `total`."""
    have = db.session.scalar(sa.select(sa.func.count()).select_from(Person))
    now = utcnow()
    while have < total:
        size = min(CHUNK, total - have)
        ids = [uuid.uuid4() for _ in range(size)]
        persons = [
            {"id": pid, "username": f"bench_{have + i}", "platform": PLATFORM, "role": "MODEL"} | {"first_seen_at": now}
            for i, pid in enumerate(ids)
        ]
        sqlcompat.insert_rows(db.session, Person.__table__, persons)
        sqlcompat.insert_rows(db.session, Profile.__table__, [{"person_id": pid} for pid in ids])
        db.session.commit()
        have += size
        print(f"  persons: {have:,}", flush=True)


def add_lookups(n: int) -> None:
    """Give the first n bench persons a lookup (alternating P1 and P2) if none exist."""
    if db.session.scalar(sa.select(sa.func.count()).select_from(PriorityLookup)):
        return
    ids = db.session.scalars(sa.select(Person.id).where(Person.username.like("bench_%")).limit(n)).all()
    now = utcnow()
    rows = [
        {"person_id": pid, "priority": 1 + i % 2, "status": "queued", "created_at": now, "updated_at": now}
        for i, pid in enumerate(ids)
    ]
    sqlcompat.insert_rows(db.session, PriorityLookup.__table__, rows)
    db.session.commit()


def rooms(n: int, cycle: int) -> list:
    """n rooms: 90 % known persons, 10 % new each cycle, in feed order."""
    known = [f"bench_{i * 37 % 200_000}" for i in range(int(n * 0.9))]
    new = [f"newroom_{cycle}_{i}" for i in range(n - len(known))]
    out = []
    for rank, name in enumerate(known + new, start=1):
        raw = {
            "username": name,
            "display_name": name.title(),
            "age": 20 + rank % 30,
            "gender": "f",
            "location": "Bogota D.C., Colombia",
            "country": "CO",
            "spoken_languages": "English, Spanish",
            "num_users": rank % 200,
            "num_followers": 1000 + rank,
            "is_hd": True,
            "is_new": False,
            "current_show": "public",
            "room_subject": f"goal #{rank}",
            "tags": ["feet", "muscles"],
            "seconds_online": 60 * (rank % 300),
            "image_url": f"https://roomimg.stream.highwebmedia.com/ri/{name}.jpg",
        }
        out.append(parse_room(raw, rank))
    return out


def measure(n: int, cycle: int) -> tuple[float, int]:
    """Record one cycle of n rooms; return (seconds, statements)."""
    counter = {"n": 0}

    def count(*_args, **_kw):
        counter["n"] += 1

    feed = rooms(n, cycle)
    sa.event.listen(db.engine, "before_cursor_execute", count)
    started = time.perf_counter()
    result = affiliate.record_cycle(db.session, feed, utcnow() + timedelta(seconds=cycle))
    elapsed = time.perf_counter() - started
    sa.event.remove(db.engine, "before_cursor_execute", count)
    assert result.snapshots == n, result
    return elapsed, counter["n"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--create", action="store_true", help="create the PostgreSQL database first")
    parser.add_argument("--persons", type=int, default=200_000)
    args = parser.parse_args()
    if args.create and args.database_url.startswith("postgresql"):
        create_database(args.database_url)
    app = create_app(TestConfig(args.database_url, Path(tempfile.mkdtemp(prefix="mhc-bench-"))))
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        fill_persons(args.persons)
        add_lookups(2_000)
        copy = "+1 COPY" if db.engine.dialect.name == "postgresql" else "(executemany counted as 1)"
        print(f"{db.engine.dialect.name}, {args.persons:,} persons")
        for cycle, n in enumerate((1_000, 5_000, 1_000, 5_000), start=1):
            seconds, statements = measure(n, cycle)
            print(f"cycle {cycle}: {n:>5,} rooms  {seconds:6.2f} s  {statements} SQL statements {copy}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
