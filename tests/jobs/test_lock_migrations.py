"""Migrations 0018 and 0019: files left on this host's disk are imported; duplicate active runs are settled."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from mhc.extensions import db
from tests.conftest import make_app
from tests.foundation.test_migrations import empty_db_url  # noqa: F401  (fixture)

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def insert_run(conn, status: str, lock_key: str | None, created_at: datetime, artifacts=None) -> uuid.UUID:
    run_id = uuid.uuid4()
    runs = sa.table(
        "job_runs",
        sa.column("id", sa.Uuid()),
        sa.column("kind", sa.String()),
        sa.column("status", sa.String()),
        sa.column("lock_key", sa.String()),
        sa.column("args", sa.JSON()),
        sa.column("artifacts", sa.JSON()),
        sa.column("created_at", sa.DateTime(timezone=True)),
    )
    values = {"id": run_id, "kind": "follow_sync", "status": status, "lock_key": lock_key, "created_at": created_at}
    conn.execute(runs.insert().values(**values, args={}, artifacts=artifacts))
    return run_id


def test_duplicate_active_runs_are_settled_before_the_unique_index(empty_db_url, tmp_path):  # noqa: F811
    app = make_app(empty_db_url, tmp_path)
    with app.app_context():
        upgrade(revision="0018")
        with db.engine.begin() as conn:
            older = insert_run(conn, "running", "k", T0)
            newest = insert_run(conn, "queued", "k", T0 + timedelta(minutes=5))
            oldest = insert_run(conn, "queued", "k", T0 - timedelta(minutes=5))
            other = insert_run(conn, "queued", "other", T0)
            done = insert_run(conn, "finished", "k", T0 + timedelta(hours=1))
        upgrade(revision="0019")
        with db.engine.connect() as conn:
            rows = dict(conn.execute(sa.text("SELECT id, status FROM job_runs")).all())
            errors = {e for (e,) in conn.execute(sa.text("SELECT error FROM job_runs WHERE status = 'failed'"))}
        status = {uuid.UUID(str(k)): v for k, v in rows.items()}
        assert (status[newest], status[older], status[oldest], status[other], status[done]) == (
            "queued",
            "failed",
            "failed",
            "queued",
            "finished",
        )
        assert errors == {
            "superseded: another run held the same lock key when one run per lock key became a rule; not started"
        }
        with db.engine.begin() as conn:
            try:
                insert_run(conn, "running", "k", T0)
                raise AssertionError("a second active run with the same lock key was accepted")
            except sa.exc.IntegrityError:
                pass
        downgrade(revision="0018")
        upgrade(revision="0019")
        db.engine.dispose()


def test_held_lists_and_artifacts_on_this_host_are_imported(empty_db_url, tmp_path):  # noqa: F811
    held = {"direction": "follower", "observed_at": "2026-01-05T00:00:00+00:00", "usernames": ["fan_1", "fan_2"]}
    (tmp_path / "held_list.json").write_text(json.dumps(held))
    (tmp_path / "page.html").write_text("<html>Just a moment</html>")
    app = make_app(empty_db_url, tmp_path)
    with app.app_context():
        upgrade(revision="0017")
        paths = {"held_list": str(tmp_path / "held_list.json"), "html": str(tmp_path / "page.html")}
        with db.engine.begin() as conn:
            run_id = insert_run(conn, "held", None, T0, artifacts=paths)
            insert_run(conn, "failed", None, T0, artifacts={"screenshot": str(tmp_path / "gone.png")})
        upgrade(revision="0018")
        with db.engine.connect() as conn:
            lists = conn.execute(sa.text("SELECT run_id, direction, pending_minutes FROM held_follow_lists")).all()
            stored = conn.execute(sa.text("SELECT run_id, kind, size, original_size FROM job_artifacts")).all()
        assert [(uuid.UUID(str(r)), d, m) for r, d, m in lists] == [(run_id, "follower", None)]
        assert [(uuid.UUID(str(r)), k, s, o) for r, k, s, o in stored] == [(run_id, "html", 26, None)]
        db.engine.dispose()
