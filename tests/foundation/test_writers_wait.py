"""Writers wait for each other: the panel (logins, page loads, its embedded worker's Affiliate API polls) and
many `flask follows import` processes write one database at once, and none fails with "database is locked"."""

from __future__ import annotations

import re
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
import sqlalchemy as sa

from mhc.extensions import db
from mhc.models import JobRun, utcnow
from tests.conftest import _server_url, csrf_token_from
from tests.foundation.processes import child_env, fresh_database, panel
from tests.foundation.processes import flask as run_flask

LANES, RUNS_PER_LANE = 3, 10  # 30 imports, three at a time
RESULT = re.compile(r"^added (\d+), removed (\d+), unchanged (\d+)$")
PASSWORD = "race-test-password-1"  # noqa: S105 (a throwaway account)


@pytest.fixture
def race_env(tmp_path, fake_cb):
    """A migrated database with an admin, and the environment every child process of the race uses."""
    with fresh_database(_server_url(), tmp_path) as url:
        env = child_env(
            url,
            tmp_path / "instance",
            AFFILIATE_API_URL=f"{fake_cb.base_url}/api/public/affiliates/onlinerooms/",
            CHATURBATE_BASE_URL=fake_cb.base_url,
            AFFILIATE_WM="racetest",
            AFFILIATE_POLL_SECONDS="1",
            P2_SCRAPE_SECONDS="0",
            THUMBNAIL_HOSTS="127.0.0.1",
        )
        assert run_flask(["db", "upgrade"], env).returncode == 0
        admin = ["users", "create-admin", "admin", "admin@example.test", "--password-stdin"]
        made = run_flask(admin, env, stdin=PASSWORD)
        assert made.returncode == 0, made.stderr
        yield url, env


def _lists(tmp_path) -> dict[str, list[str]]:
    """Two complete lists per direction that differ by ten names each way, so the runs keep changing the state."""
    files = {}
    for direction, stem in (("followers", "fan"), ("following", "model")):
        paths = []
        for label, names in (("a", range(0, 30)), ("b", range(10, 40))):
            path = tmp_path / f"{direction}_{label}.txt"
            path.write_text("\n".join(f"{stem}_{i}" for i in names) + "\n")
            paths.append(str(path))
        files[direction] = paths
    return files


def _import_lane(lane: int, files: dict, env: dict) -> list:
    direction = "followers" if lane % 2 == 0 else "following"
    runs = []
    for k in range(RUNS_PER_LANE):
        args = ["follows", "import", direction, files[direction][(k + lane // 2) % 2], "--confirm-mass-removal"]
        runs.append(run_flask(args, env))
    return runs


class PanelClient(threading.Thread):
    """Logs in and out, and loads pages, until told to stop; keeps every unexpected response."""

    def __init__(self, base: str):
        super().__init__(daemon=True)
        self.base, self.stop, self.cycles, self.errors = base, threading.Event(), 0, []

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                self._cycle()
                self.cycles += 1
            except requests.RequestException as exc:
                self.errors.append(repr(exc))
            self.stop.wait(0.5)  # leave the two CPUs mostly to the imports

    def _expect(self, response, *codes) -> str:
        if response.status_code not in codes:
            where = f"{response.request.method} {response.url}"
            self.errors.append(f"{where}: {response.status_code} {response.text[:200]}")
        return response.text

    def _cycle(self) -> None:
        web = requests.Session()
        token = csrf_token_from(self._expect(web.get(f"{self.base}/login", timeout=30), 200))
        form = {"login": "admin", "password": PASSWORD, "csrf_token": token}
        self._expect(web.post(f"{self.base}/login", data=form, allow_redirects=False, timeout=30), 302)
        home = self._expect(web.get(f"{self.base}/", timeout=30), 200)
        self._expect(web.get(f"{self.base}/healthz", timeout=30), 200)
        logout = {"csrf_token": csrf_token_from(home)}
        self._expect(web.post(f"{self.base}/logout", data=logout, allow_redirects=False, timeout=30), 302)


def test_cli_panel_and_worker_write_together_without_locked_errors(race_env, tmp_path):
    url, env = race_env
    files = _lists(tmp_path)
    with panel(env, tmp_path / "panel.log") as base:
        client = PanelClient(base)
        client.start()
        with ThreadPoolExecutor(LANES) as pool:
            lanes = list(pool.map(lambda lane: _import_lane(lane, files, env), range(LANES)))
        time.sleep(1)  # let the client and the worker write a little longer after the last import
        client.stop.set()
        client.join(60)
    runs = [run for lane in lanes for run in lane]

    failed = [(r.returncode, r.stderr.strip()[-500:]) for r in runs if r.returncode != 0]
    assert failed == []
    assert not [r for r in runs if "locked" in r.stderr or "Traceback" in r.stderr]
    counts = [RESULT.match(r.stdout.strip()) for r in runs]
    assert all(counts), [r.stdout for r in runs]
    changed = sum(int(m.group(1)) + int(m.group(2)) for m in counts)

    assert client.errors == []
    assert client.cycles >= 3

    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            # Every import applied: each follow or unfollow it reported is one history row.
            assert conn.execute(sa.text("SELECT count(*) FROM follow_events")).scalar() == changed
            logins = conn.execute(sa.text("SELECT count(*) FROM audit_log WHERE action = 'login'")).scalar()
            assert logins == client.cycles
            polls = dict(
                conn.execute(
                    sa.text("SELECT status, count(*) FROM job_runs WHERE kind = 'affiliate_poll' GROUP BY status")
                ).all()
            )
            locked = conn.execute(sa.text("SELECT count(*) FROM job_runs WHERE error LIKE '%locked%'")).scalar()
    finally:
        engine.dispose()
    assert polls.get("finished", 0) >= 1, polls
    assert locked == 0


def _run_row(kind: str) -> dict:
    return {"id": uuid.uuid4(), "kind": kind, "status": "queued", "args": {}, "created_at": utcnow()}


def _kinds() -> list[str]:
    db.session.expire_all()
    return sorted(db.session.scalars(sa.select(JobRun.kind).where(JobRun.kind.like("lock_%"))))


def test_a_transaction_that_read_after_its_first_write_still_writes_when_another_writer_comes(app):
    """The follow ledger's shape: write a temporary table, read the main tables, then write them. Another
    writer arriving in between waits for the lock instead of making this one fail with "locked"."""
    db.session.execute(sa.text("CREATE TEMPORARY TABLE lock_probe (x INTEGER)"))
    db.session.execute(sa.text("INSERT INTO lock_probe VALUES (1)"))
    db.session.execute(sa.select(sa.func.count()).select_from(JobRun)).scalar()
    engine = db.engine
    other = threading.Thread(target=lambda: _insert_elsewhere(engine, "lock_other"))
    other.start()
    other.join(0.5)  # SQLite: still waiting for our lock; PostgreSQL: already committed
    db.session.execute(sa.insert(JobRun), [_run_row("lock_ours")])
    db.session.execute(sa.text("DROP TABLE lock_probe"))
    db.session.commit()
    other.join(30)
    assert _kinds() == ["lock_other", "lock_ours"]


def _insert_elsewhere(engine, kind: str) -> None:
    with engine.begin() as conn:
        conn.execute(sa.insert(JobRun), [_run_row(kind)])


def test_reads_do_not_wait_for_a_writer(app):
    """A page's reads go ahead while another connection holds uncommitted writes."""
    with db.engine.connect() as writer:
        writer.execute(sa.insert(JobRun), [_run_row("lock_pending")])
        assert _kinds() == []  # answered at once: no wait for the writer's lock, and no uncommitted row
        writer.rollback()


def test_savepoints_roll_back_only_their_part(app):
    """session.begin_nested() works with our own transaction control on SQLite, as on PostgreSQL."""
    db.session.execute(sa.insert(JobRun), [_run_row("lock_kept")])
    nested = db.session.begin_nested()
    db.session.execute(sa.insert(JobRun), [_run_row("lock_undone")])
    nested.rollback()
    with db.session.begin_nested():
        db.session.execute(sa.insert(JobRun), [_run_row("lock_nested")])
    db.session.commit()
    assert _kinds() == ["lock_kept", "lock_nested"]
