"""Bench: how SQLite transaction policies behave when several writers and a page load meet (docs/reliability.md,
"SQLite: writers wait"). For each policy, on a WAL database with a 15 s busy timeout, prints:

- locked: how many of WRITERS x RUNS import-like transactions (read, write a temporary table, read, write)
  failed with "database is locked" while running four at a time;
- page load: how long three SELECTs (one page) take while another connection holds the write lock for 5 s.

Policies: `driver` (pysqlite's own: a deferred BEGIN before the first INSERT/UPDATE/DELETE, what main did),
`deferred` (BEGIN at the start of every transaction), `immediate` (BEGIN IMMEDIATE at the start of every
transaction, reads included), `first-write` (ours: reads outside a transaction, BEGIN IMMEDIATE before the
first statement that writes).

    python bench/sqlite_writers.py
"""

from __future__ import annotations

import sqlite3
import tempfile
import threading
import time
from pathlib import Path

WRITERS, RUNS, HOLD = 4, 15, 5.0
POLICIES = ("driver", "deferred", "immediate", "first-write")


def connect(path: Path, policy: str) -> sqlite3.Connection:
    """A connection whose transactions start the way `policy` says."""
    level = "" if policy == "driver" else None
    conn = sqlite3.connect(path, timeout=15, isolation_level=level, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    return conn


def begin(conn: sqlite3.Connection, policy: str) -> None:
    """Start a transaction as the policy would before its first statement."""
    if policy == "deferred":
        conn.execute("BEGIN")
    elif policy == "immediate":
        conn.execute("BEGIN IMMEDIATE")


def before_write(conn: sqlite3.Connection, policy: str) -> None:
    """What the policy does right before the first write of a transaction."""
    if policy == "first-write" and not conn.in_transaction:
        conn.execute("BEGIN IMMEDIATE")


def import_like(conn: sqlite3.Connection, policy: str, n: int) -> None:
    """The follow ledger's shape: read, fill a temporary table, read the main tables, write them, commit."""
    conn.execute("SELECT count(*) FROM profiles").fetchone()
    begin(conn, policy)
    before_write(conn, policy)
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS names (username TEXT)")
    conn.execute("DELETE FROM names")
    conn.executemany("INSERT INTO names VALUES (?)", [(f"fan_{i}",) for i in range(50)])
    conn.execute("SELECT count(*) FROM profiles JOIN names USING (username)").fetchone()
    time.sleep(0.005)
    conn.execute("UPDATE profiles SET checked = ? WHERE username IN (SELECT username FROM names)", (n,))
    conn.execute("INSERT INTO events (n) VALUES (?)", (n,))
    conn.commit()


def count_locked(path: Path, policy: str) -> int:
    failures = []

    def lane(k: int) -> None:
        conn = connect(path, policy)
        for n in range(RUNS):
            try:
                import_like(conn, policy, k * 1000 + n)
            except sqlite3.OperationalError as exc:
                conn.rollback()
                failures.append(str(exc))
        conn.close()

    threads = [threading.Thread(target=lane, args=(k,)) for k in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum("locked" in f for f in failures)


def page_load_seconds(path: Path, policy: str) -> float:
    holder = connect(path, "first-write")
    holder.execute("BEGIN IMMEDIATE")
    holder.execute("UPDATE profiles SET checked = -1")
    reader = connect(path, policy)
    started = time.monotonic()
    threading.Timer(HOLD, holder.commit).start()
    begin(reader, policy)
    for _ in range(3):
        reader.execute("SELECT count(*) FROM profiles WHERE checked >= 0").fetchone()
    reader.commit()
    elapsed = time.monotonic() - started
    time.sleep(max(0.0, HOLD - elapsed) + 0.2)
    holder.close()
    reader.close()
    return elapsed


def main() -> None:
    print(f"{'policy':<12} {'locked':>12} {'page load while a writer holds the lock 5 s':>46}")
    for policy in POLICIES:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "bench.sqlite3"
            setup = sqlite3.connect(path)
            setup.execute("PRAGMA journal_mode=WAL")
            setup.execute("CREATE TABLE profiles (username TEXT PRIMARY KEY, checked INTEGER)")
            setup.execute("CREATE TABLE events (id INTEGER PRIMARY KEY, n INTEGER)")
            setup.executemany("INSERT INTO profiles VALUES (?, 0)", [(f"fan_{i}",) for i in range(5000)])
            setup.commit()
            setup.close()
            locked = count_locked(path, policy)
            seconds = page_load_seconds(path, policy)
        print(f"{policy:<12} {f'{locked}/{WRITERS * RUNS}':>12} {seconds:>44.2f} s")


if __name__ == "__main__":
    main()
