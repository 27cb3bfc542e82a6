"""Bench: apply a follower list of 2k / 20k / 100k names against 200,000 persons (L scale), set-based
(follow_ledger.apply_follow_list) vs a per-row reference loop (select person, insert if missing, select
profile, update), from the same starting state each time. Prints seconds and the ratio, and the time to
apply the same list once more (the daily case: nothing changed, nothing written).

Then the cost of the follow_periods triggers (docs/domain.md#follow-periods-table): the first apply of each
list size with them and with them dropped, same run, alternating, median of three each.

Then the cost of alert rules (docs/alerts.md): a 100k-name list that unfollows 5,000 and adds 5,000 applied
with no rules and with four rules (tipper lifetime and 30-day window, anyone unfollows, model follows), same
run, alternating, median of five each; the rules' messages are written but not sent.

    python bench/follow_ledger.py --database-url postgresql://postgres@127.0.0.1:5432/test
    python bench/follow_ledger.py                    # SQLite in a temporary directory
    python bench/follow_ledger.py --database-url ... --periods-only   # only the follow_periods comparison
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import follow_ledger_alerts as bench_alerts  # noqa: E402

from config import TestConfig  # noqa: E402
from mhc import create_app, sqlcompat  # noqa: E402
from mhc.extensions import db  # noqa: E402
from mhc.models import PLATFORM  # noqa: E402
from mhc.services.follows import period_table  # noqa: E402
from mhc.services.follows.follow_ledger import apply_follow_list  # noqa: E402

PERSONS = 200_000
SIZES = (2_000, 20_000, 100_000)
NEW_SHARE = 0.1  # a tenth of each list are usernames never seen before
T = datetime(2026, 1, 1, tzinfo=UTC)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=None, help="server URL (a bench database is created and dropped)")
    parser.add_argument("--persons", type=int, default=PERSONS)
    parser.add_argument("--alerts-only", action="store_true", help="only the alert rules comparison")
    parser.add_argument("--periods-only", action="store_true", help="only the follow_periods triggers comparison")
    args = parser.parse_args()
    backend = "PostgreSQL" if args.database_url else "SQLite"
    with tempfile.TemporaryDirectory() as tmp, _database(args.database_url, Path(tmp)) as url:
        app = create_app(TestConfig(url, Path(tmp)))
        with app.app_context():
            from flask_migrate import upgrade

            upgrade()
            _seed(args.persons)
            print(f"\nfollow ledger on {backend}, {args.persons:,} persons", flush=True)
            if not (args.alerts_only or args.periods_only):
                print(f"{'names':>8} {'set-based s':>12} {'per-row s':>10} {'ratio':>7} {'re-apply s':>11}", flush=True)
                for size in SIZES:
                    size, fast, slow, again = _measure(size, args.persons)
                    print(f"{size:>8,} {fast:>12.2f} {slow:>10.2f} {slow / fast:>6.1f}x {again:>11.2f}", flush=True)
            if not args.alerts_only:
                _periods_cost(args.persons)
            if not args.periods_only:
                bench_alerts.compare(args.persons, _reset)
            db.engine.dispose()


class _database:
    """A fresh database: a new one on the server (dropped afterwards), or an SQLite file."""

    def __init__(self, server: str | None, tmp: Path):
        self.server, self.tmp, self.name = server, tmp, f"mhc_bench_{uuid.uuid4().hex[:8]}"

    def __enter__(self) -> str:
        if not self.server:
            return f"sqlite:///{self.tmp / 'bench.sqlite3'}"
        self.admin = sa.create_engine(self.server, isolation_level="AUTOCOMMIT")
        with self.admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{self.name}"'))
        return sa.engine.make_url(self.server).set(database=self.name).render_as_string(hide_password=False)

    def __exit__(self, *exc) -> None:
        if self.server:
            with self.admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
            self.admin.dispose()


def _seed(count: int) -> None:
    """`count` persons with profiles, bulk-inserted (COPY on PostgreSQL)."""
    persons = db.metadata.tables["persons"]
    profiles = db.metadata.tables["profiles"]
    ids = [uuid.uuid4() for _ in range(count)]
    # Like a real directory: mostly viewers, a tenth models. Listing a model as a follower merges its role
    # to BOTH (a write both loops must do once per person); the per-row reference skips role merging.
    person_rows = [
        {
            "id": pid,
            "username": f"user_{i}",
            "platform": PLATFORM,
            "role": "MODEL" if i % 10 == 0 else "VIEWER",
            "first_seen_at": T,
        }
        for i, pid in enumerate(ids)
    ]
    sqlcompat.insert_rows(db.session, persons, person_rows)
    profile_rows = [{"person_id": pid, "following": False, "follower": False, "age_flagged": False} for pid in ids]
    sqlcompat.insert_rows(db.session, profiles, profile_rows)
    db.session.commit()
    if sqlcompat.is_postgres(db.session):
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("VACUUM ANALYZE persons"))
            conn.execute(sa.text("VACUUM ANALYZE profiles"))


def _names(size: int, persons: int) -> list[str]:
    new = int(size * NEW_SHARE)
    step = max(1, persons // (size - new))
    return [f"user_{i}" for i in range(0, step * (size - new), step)][: size - new] + [
        f"newbie_{i}" for i in range(new)
    ]


def _reset() -> None:
    db.session.execute(sa.text("DELETE FROM follow_events"))
    db.session.execute(sa.text("UPDATE persons SET role = 'MODEL' WHERE role = 'BOTH'"))
    db.session.execute(sa.text("DELETE FROM persons WHERE username LIKE 'newbie_%'"))
    db.session.execute(
        sa.text(
            "UPDATE profiles SET follower = FALSE, follower_since = NULL, unfollower_at = NULL, "
            "follower_checked_at = NULL WHERE follower OR follower_checked_at IS NOT NULL"
        )
    )
    db.session.commit()


def _measure(size: int, persons: int) -> tuple[int, float, float, float]:
    names = _names(size, persons)
    _reset()
    start = time.perf_counter()
    result = apply_follow_list(db.session, "follower", names, T, "manual_import")
    fast = time.perf_counter() - start
    assert result.added == size, result
    start = time.perf_counter()
    result = apply_follow_list(db.session, "follower", names, T, "manual_import")
    again = time.perf_counter() - start
    assert (result.added, result.removed, result.unchanged) == (0, 0, size), result
    _reset()
    start = time.perf_counter()
    _per_row(names)
    slow = time.perf_counter() - start
    _reset()
    return size, fast, slow, again


def _periods_cost(persons: int, rounds: int = 3) -> None:
    """The first apply of each size with the follow_periods triggers and without them (dropped, then put
    back), alternating; median seconds of each and the difference."""
    print("\nfirst apply: the follow_periods triggers' cost", flush=True)
    print(f"{'names':>8} {'with s':>8} {'without s':>10} {'added':>7}", flush=True)
    for size in SIZES:
        names, timings = _names(size, persons), {True: [], False: []}
        for _ in range(rounds):
            for kept in (True, False):
                _reset()
                if not kept:
                    period_table.uninstall(db.session.connection())
                    db.session.commit()
                start = time.perf_counter()
                apply_follow_list(db.session, "follower", names, T, "manual_import")
                timings[kept].append(time.perf_counter() - start)
                if not kept:
                    period_table.install(db.session.connection())
                    db.session.commit()
        with_, without = statistics.median(timings[True]), statistics.median(timings[False])
        print(f"{size:>8,} {with_:>8.2f} {without:>10.2f} {100 * (with_ - without) / without:>6.0f}%", flush=True)
    _reset()


def _per_row(names: list[str]) -> None:
    """The reference: one query (or more) per name, as the seed's tool did."""
    s = db.session
    for name in names:
        query = sa.text("SELECT id FROM persons WHERE platform = :p AND username = :u")
        pid = s.execute(query, {"p": PLATFORM, "u": name}).scalar()
        pid = uuid.UUID(str(pid)) if pid is not None else None
        if pid is None:
            pid = uuid.uuid4()
            s.execute(
                sa.insert(db.metadata.tables["persons"]).values(
                    id=pid, username=name, platform=PLATFORM, role="VIEWER", first_seen_at=T
                )
            )
            s.execute(sa.insert(db.metadata.tables["profiles"]).values(person_id=pid))
        row = s.execute(
            sa.select(db.metadata.tables["profiles"].c.id, db.metadata.tables["profiles"].c.follower).where(
                db.metadata.tables["profiles"].c.person_id == pid
            )
        ).first()
        if not row.follower:
            profiles = db.metadata.tables["profiles"]
            s.execute(
                sa.update(profiles)
                .where(profiles.c.id == row.id)
                .values(follower=True, follower_since=T, unfollower_at=None, follower_checked_at=T)
            )
            s.execute(
                sa.insert(db.metadata.tables["follow_events"]).values(
                    person_id=pid,
                    direction="follower",
                    action="follow",
                    source="manual_import",
                    observed_at=T,
                    created_at=T,
                )
            )
    s.commit()


if __name__ == "__main__":
    main()
