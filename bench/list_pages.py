"""Bench: the Users list pages at L scale (demo data: 200,000 persons, ~5,000,000 affiliate snapshots).

Side by side in one run, for each page: the page's real queries (captured from a real request to the view,
then re-executed) against the seed's approach (a view computing Age, Followers, Image, Events and
Snapshots with correlated subqueries per row, plus Flask-Admin's count over it) for the same page.
Then the fan-value cases (sort by tokens on Directory, Followers, Unfollowed; the paying-fans filter) against
the seed's way of getting them (per-row subqueries over the events). Then whole HTTP requests (logged in,
werkzeug on loopback) for the Directory, Following, Followers and Unfollowed, with their weight.
Prints median milliseconds and the ratios.

    python bench/list_pages.py --database-url postgresql://postgres@127.0.0.1:5432/test
    python bench/list_pages.py --database-url ... --reuse mhc_bench_lists   # keep/reuse the loaded database
    python bench/list_pages.py --database-url ... --persons 2000000 --snapshots-per-model 4   # XL persons
    python bench/list_pages.py --database-url ... --only-value   # the fan-value cases (and Unfollowed) alone

PostgreSQL only (the seed-view comparison and the trigram index are PostgreSQL features).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from config import TestConfig  # noqa: E402
from mhc import create_app  # noqa: E402
from mhc.extensions import db  # noqa: E402

PERSONS = 200_000
PAGE = 50
RUNS_OURS = 21
RUNS_SEED = 5
RUNS_HTTP = 21
TARGET_MS, TARGET_KB = 20.0, 50  # the Directory request
PASSWORD = "bench password 123"  # noqa: S105

# The seed's v_person_current_state, as the issue describes it: current state by correlated subqueries.
SEED_VIEW = """
SELECT p.id, p.username, p.role, p.last_seen_at, p.rank,
  COALESCE((SELECT s.age FROM affiliate_api_snapshots s WHERE s.person_id = p.id
            ORDER BY s.observed_at DESC LIMIT 1), pr.age) AS age,
  (SELECT s.num_followers FROM affiliate_api_snapshots s WHERE s.person_id = p.id
   ORDER BY s.observed_at DESC LIMIT 1) AS num_followers,
  (SELECT s.image_url FROM affiliate_api_snapshots s WHERE s.person_id = p.id
   ORDER BY s.observed_at DESC LIMIT 1) AS image_url,
  (SELECT count(*) FROM interactions i WHERE i.person_id = p.id) AS events,
  (SELECT count(*) FROM affiliate_api_snapshots s WHERE s.person_id = p.id) AS snapshots,
  pr.tags, pr.following, pr.follower, pr.following_since, pr.follower_since, pr.unfollower_at
FROM persons p LEFT JOIN profiles pr ON pr.person_id = p.id
"""

# (label, our URL, seed WHERE, seed ORDER BY, seed OFFSET)
CASES = [
    ("Directory all, p1", "/users/directory/", "", "last_seen_at DESC NULLS LAST, id DESC", 0),
    ("Directory models, p1", "/users/directory/?flt0_show_is=models", "role IN ('MODEL','BOTH')",
     "last_seen_at DESC NULLS LAST, id DESC", 0),
    ("Directory viewers, p1", "/users/directory/?flt0_show_is=viewers", "role IN ('VIEWER','BOTH')",
     "last_seen_at DESC NULLS LAST, id DESC", 0),
    ("Directory all, p200", "/users/directory/?page=199", "", "last_seen_at DESC NULLS LAST, id DESC", 199 * PAGE),
    ("Sort username", "/users/directory/?sort=0", "", "username, id", 0),
    ("Sort age", "/users/directory/?sort=2", "", "age NULLS LAST, id", 0),
    ("Sort age desc", "/users/directory/?sort=2&desc=1", "", "age DESC NULLS LAST, id DESC", 0),
    ("Sort followers desc", "/users/directory/?sort=6&desc=1", "", "num_followers DESC NULLS LAST, id DESC", 0),
    ("Sort rank", "/users/directory/?sort=7", "", "rank NULLS LAST, id", 0),
    ("Sort last seen asc", "/users/directory/?sort=10", "", "last_seen_at NULLS LAST, id", 0),
    ("Age 20-30 + count", "/users/directory/?flt0_age_between=20-30", "age BETWEEN 20 AND 30",
     "last_seen_at DESC NULLS LAST, id DESC", 0),
    ("Tag feet + count", "/users/directory/?flt0_tag_is=feet", "tags @> '[\"feet\"]'",
     "last_seen_at DESC NULLS LAST, id DESC", 0),
    ("Search 'ang' + count", "/users/directory/?search=ang", "username ILIKE '%%ang%%'",
     "last_seen_at DESC NULLS LAST, id DESC", 0),
    ("Following", "/users/following/", "following", "following_since DESC NULLS LAST, id DESC", 0),
    ("Followers", "/users/followers/", "follower", "follower_since DESC NULLS LAST, id DESC", 0),
    ("Unfollowed + insights", "/users/unfollowed/", "unfollower_at IS NOT NULL",
     "unfollower_at DESC NULLS LAST, id DESC", 0),
]  # fmt: skip
# The fan value (docs/domain.md#fan-value) as the seed would have computed it: per row, from the events.
SEED_VALUE_VIEW = f"""
SELECT v.*,
  (SELECT COALESCE(sum(i.amount), 0) FROM interactions i WHERE i.person_id = v.id AND i.type = 'tip'
   AND i.room = 'hudson' AND i.from_username <> 'hudson' AND NOT i.is_flagged) AS tipped_tokens,
  (SELECT count(*) FROM interactions i WHERE i.person_id = v.id AND i.type = 'tip'
   AND i.room = 'hudson' AND i.from_username <> 'hudson' AND NOT i.is_flagged) AS tips_count
FROM ({SEED_VIEW}) v
"""


def _tokens_sort(view) -> str:
    """The list URL's sort number of the Tokens column (its position in the view's columns)."""
    return f"sort={view.column_list.index('tipped_tokens')}&desc=1"


def _value_cases() -> list[tuple]:
    """Sorting by tokens on Directory, Followers and Unfollowed, and the Followers "paying fans only" filter."""
    from mhc.admin.users import views

    directory, followers, unfollowed = (
        _tokens_sort(v) for v in (views.DirectoryView, views.FollowersView, views.UnfollowedView)
    )
    by_tokens = "tipped_tokens DESC, id DESC"
    return [
        ("Directory by tokens", f"/users/directory/?{directory}", "", by_tokens, 0),
        ("Directory by tokens, p200", f"/users/directory/?{directory}&page=199", "", by_tokens, 199 * PAGE),
        ("Followers by tokens", f"/users/followers/?{followers}", "follower", by_tokens, 0),
        ("Unfollowed by tokens", f"/users/unfollowed/?{unfollowed}", "unfollower_at IS NOT NULL", by_tokens, 0),
        ("Unfollowed 7d by tokens", f"/users/unfollowed/?flt0_window_last=7&{unfollowed}",
         "unfollower_at >= now() - interval '7 days'", by_tokens, 0),
        ("Followers paying fans", "/users/followers/?flt0_paying_fans_only=yes", "follower AND tips_count > 0",
         "follower_since DESC NULLS LAST, id DESC", 0),
        ("Followers paying by tokens", f"/users/followers/?flt0_paying_fans_only=yes&{followers}",
         "follower AND tips_count > 0", by_tokens, 0),
    ]  # fmt: skip


HTTP_PAGES = [
    ("Directory", "/users/directory/"),
    ("Following", "/users/following/"),
    ("Followers", "/users/followers/"),
    ("Unfollowed", "/users/unfollowed/"),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True, help="PostgreSQL server URL")
    parser.add_argument("--persons", type=int, default=PERSONS)
    parser.add_argument("--reuse", default=None, help="database name to keep (created and loaded if missing)")
    parser.add_argument(
        "--snapshots-per-model", type=int, default=None, help="affiliate snapshots per model (demo default: 40)"
    )
    parser.add_argument("--only-value", action="store_true", help="the fan-value cases and Unfollowed only, no HTTP")
    args = parser.parse_args()
    name = args.reuse or f"mhc_bench_lists_{int(time.time())}"
    url = _ensure_database(args.database_url, name)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            app = create_app(TestConfig(url, Path(tmp)))
            with app.app_context():
                _prepare(app, args.persons, args.snapshots_per_model)
                sizes = _sizes()
                cases = [c for c in CASES if c[0].startswith("Unfollowed")] if args.only_value else CASES
                rows = [_measure_case(app, *case) for case in cases]
                rows += [_measure_case(app, *case, seed_view=SEED_VALUE_VIEW) for case in _value_cases()]
                http = [] if args.only_value else _measure_http(app)
                db.engine.dispose()
        _report(args.persons, sizes, rows, http)
    finally:
        if not args.reuse:
            _drop_database(args.database_url, name)


def _ensure_database(server: str, name: str) -> str:
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}):
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return sa.engine.make_url(server).set(database=name).render_as_string(hide_password=False)


def _drop_database(server: str, name: str) -> None:
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _prepare(app, persons: int, snapshots_per_model: int | None) -> None:
    """Migrate, load demo data once (L scale), VACUUM ANALYZE, and make the bench admin."""
    from flask_migrate import upgrade

    from mhc.services import demo
    from mhc.services.access import accounts

    revision = _revision()
    upgrade()
    migrated = _revision() != revision  # e.g. a reused database from before the fan-value columns
    if demo.is_empty(db.session):
        started = time.perf_counter()
        demo.load(
            db.session,
            n_persons=persons,
            seed=7,
            owner="hudson",
            snapshots_per_model=snapshots_per_model,
            progress=lambda m: print("  " + m, flush=True),
        )
        print(f"loaded demo data in {time.perf_counter() - started:.0f} s", flush=True)
        migrated = True
    if migrated:  # fresh rows (or rows a migration rewrote): visibility map and statistics for the planner
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("VACUUM ANALYZE"))
    if not db.session.scalar(sa.text("SELECT 1 FROM system_users WHERE username = 'bench_admin'")):
        accounts.create_user(db.session, "bench_admin", "bench@example.test", PASSWORD, "admin")


def _revision() -> str | None:
    """The database's Alembic revision (None before the first migration)."""
    if not sa.inspect(db.engine).has_table("alembic_version"):
        return None
    return db.session.scalar(sa.text("SELECT version_num FROM alembic_version"))


def _sizes() -> dict[str, int]:
    q = {
        "persons": "SELECT count(*) FROM persons",
        "affiliate snapshots": "SELECT count(*) FROM affiliate_api_snapshots",
        "interactions": "SELECT count(*) FROM interactions",
        "following": "SELECT count(*) FROM profiles WHERE following",
        "followers": "SELECT count(*) FROM profiles WHERE follower",
        "unfollowed": "SELECT count(*) FROM profiles WHERE unfollower_at IS NOT NULL",
        "paying fans": "SELECT count(*) FROM persons WHERE tips_count > 0",
        "paying followers": "SELECT count(*) FROM persons p JOIN profiles pr ON pr.person_id = p.id "
        "WHERE pr.follower AND p.tips_count > 0",
    }
    return {k: db.session.scalar(sa.text(v)) for k, v in q.items()}


_CLIENTS: dict = {}


def _logged_in_client(app):
    """One logged-in test client for the run (logging in again would hit the login rate limit)."""
    from tests.conftest import csrf_token_from

    if app in _CLIENTS:
        return _CLIENTS[app]
    client = _CLIENTS[app] = app.test_client()
    token = csrf_token_from(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"login": "bench_admin", "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302, response.status_code
    return client


def _capture(app, url: str) -> list[tuple[str, object]]:
    """The SQL statements (with parameters) one real request to `url` runs, minus login/identity loading."""
    client = _logged_in_client(app)
    client.get(url)  # warm-up: templates, identity
    captured = []

    def listener(conn, cursor, statement, parameters, context, executemany):
        captured.append((statement, parameters))

    sa.event.listen(db.engine, "before_cursor_execute", listener)
    try:
        response = client.get(url)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", listener)
    assert response.status_code == 200, (url, response.status_code)
    return [(s, p) for s, p in captured if "system_" not in s.split("WHERE")[0]]


SLOWEST: dict[int, float] = {}  # id(statements) -> median ms of its slowest statement


def _time_statements(statements, runs: int) -> float:
    """Median milliseconds to run all the statements once, in order, on one connection (and, in SLOWEST,
    the median of the slowest single statement: the list-page target is per query)."""
    samples, each = [], [[] for _ in statements]
    with db.engine.connect() as conn:
        for _ in range(runs):
            started = time.perf_counter()
            for i, (statement, params) in enumerate(statements):
                one = time.perf_counter()
                conn.exec_driver_sql(statement, params).fetchall()
                each[i].append((time.perf_counter() - one) * 1000)
            samples.append((time.perf_counter() - started) * 1000)
            conn.rollback()
    SLOWEST[id(statements)] = max((statistics.median(s) for s in each), default=0.0)
    return statistics.median(samples)


def _measure_case(app, label, url, where, order, offset, seed_view=SEED_VIEW):
    ours = _capture(app, url)
    ours_ms = _time_statements(ours, RUNS_OURS)
    where_sql = f"WHERE {where}" if where else ""
    seed = [
        (f"SELECT * FROM ({seed_view}) v {where_sql} ORDER BY {order} LIMIT {PAGE} OFFSET {offset}", {}),
        (f"SELECT count(*) FROM ({seed_view}) v {where_sql}", {}),
    ]
    seed_ms = _time_statements(seed, RUNS_SEED)
    slowest = SLOWEST[id(ours)]
    print(
        f"  {label}: ours {ours_ms:.1f} ms ({len(ours)} queries, slowest {slowest:.1f} ms), seed {seed_ms:.0f} ms",
        flush=True,
    )
    return label, ours_ms, len(ours), seed_ms


def _measure_http(app) -> list[tuple[str, float, int]]:
    """Median ms and body size of whole logged-in requests over loopback."""
    import requests
    from werkzeug.serving import make_server

    from tests.conftest import csrf_token_from

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_port}"
    try:
        session = requests.Session()
        token = csrf_token_from(session.get(f"{base}/login").text)
        session.post(f"{base}/login", data={"login": "bench_admin", "password": PASSWORD, "csrf_token": token})
        out = []
        for label, path in HTTP_PAGES:
            session.get(base + path)
            samples = []
            for _ in range(RUNS_HTTP):
                started = time.perf_counter()
                response = session.get(base + path)
                samples.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200 and "model-list" in response.text
            out.append((label, statistics.median(samples), len(response.content)))
        return out
    finally:
        server.shutdown()
        thread.join(timeout=10)


def _report(persons, sizes, rows, http) -> None:
    print("\nUsers list pages on PostgreSQL, demo data: " + ", ".join(f"{k} {v:,}" for k, v in sizes.items()))
    print(f"{'page':<26} {'ours ms':>8} {'queries':>8} {'seed ms':>9} {'ratio':>8}")
    for label, ours, n, seed in rows:
        print(f"{label:<26} {ours:>8.1f} {n:>8} {seed:>9.0f} {seed / ours:>7.0f}x")
    labels = {r[0]: r[1] for r in rows}
    if "Directory all, p1" in labels:
        print(f"page 200 / page 1: {labels['Directory all, p200'] / labels['Directory all, p1']:.2f}")
    if http:
        print("\nwhole HTTP request (logged in, loopback, 50 rows), median ms and page weight:")
    for label, ms, size in http:
        target = f"  (Directory targets: <= {TARGET_MS:.0f} ms, <= {TARGET_KB} KB)" if label == "Directory" else ""
        print(f"  {label:<12} {ms:>7.1f} ms {size / 1000:>7.1f} KB{target}")


if __name__ == "__main__":
    main()
