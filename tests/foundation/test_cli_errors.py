"""Expected failures of the real `flask` commands print one `Error: ...` line on stderr and exit non-zero,
never a traceback: unusable input files, a database that is locked or cannot be reached, no job queue."""

from __future__ import annotations

import sqlite3

import pytest
import sqlalchemy as sa

from mhc.extensions import db
from tests.fake_chaturbate import follow_pages
from tests.foundation.processes import child_env
from tests.foundation.processes import flask as run_flask


def assert_one_line_error(result, exit_code: int, *fragments: str) -> str:
    """Exactly one stderr line, `Error: ...`, containing every fragment; nothing on stdout."""
    lines = result.stderr.strip().splitlines()
    assert "Traceback" not in result.stderr
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: ")
    for fragment in fragments:
        assert fragment in lines[0]
    assert result.returncode == exit_code, result.stderr
    assert result.stdout == ""
    return lines[0]


def followers_in_db() -> int:
    return db.session.execute(sa.text("SELECT count(*) FROM profiles WHERE follower")).scalar()


def _partial_page() -> str:
    return follow_pages.render_list_page(follow_pages.defaults(), "followers", ["viewer_1"], 1, 3)


@pytest.mark.parametrize(
    ("content", "fragments"),
    [
        (b"\xff\xfe\x00garbage\x01\x02 \x7f\n", ("invalid username(s)", "nothing was applied")),
        (_partial_page().encode(), ("followers page(s) 2, 3 of 3 missing", "nothing was applied")),
    ],
    ids=["binary", "partial-pages"],
)
def test_import_of_a_bad_file_prints_one_line(app, tmp_path, content, fragments):
    bad = tmp_path / "list.txt"
    bad.write_bytes(content)
    env = child_env(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path / "instance")
    result = run_flask(["follows", "import", "followers", str(bad)], env)
    assert_one_line_error(result, 1, *fragments)
    assert followers_in_db() == 0


def test_import_into_a_locked_database_prints_one_line(app, tmp_path):
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if not url.startswith("sqlite:///"):
        pytest.skip("only SQLite has one database-wide write lock; PostgreSQL rows lock separately")
    names = tmp_path / "names.txt"
    names.write_text("viewer_1\nviewer_2\n")
    holder = sqlite3.connect(url[len("sqlite:///") :], isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another writer that keeps the lock past the busy timeout
    try:
        env = child_env(url, tmp_path / "instance", SQLITE_BUSY_TIMEOUT="1")
        result = run_flask(["follows", "import", "followers", str(names)], env)
    finally:
        holder.rollback()
        holder.close()
    assert_one_line_error(result, 2, "database is locked", "(1 s, SQLITE_BUSY_TIMEOUT)")
    assert followers_in_db() == 0
    applied = run_flask(["follows", "import", "followers", str(names)], env)
    assert (applied.returncode, applied.stdout) == (0, "added 2, removed 0, unchanged 0\n")


@pytest.mark.parametrize(
    "url",
    ["postgresql://postgres@127.0.0.1:1/mhc", "sqlite:////proc/mhc-no-such-dir/mhc.sqlite3"],
    ids=["postgresql-down", "sqlite-unopenable"],
)
def test_import_with_an_unreachable_database_prints_one_line(tmp_path, url):
    names = tmp_path / "names.txt"
    names.write_text("viewer_1\n")
    result = run_flask(["follows", "import", "followers", str(names)], child_env(url, tmp_path / "instance"))
    assert_one_line_error(result, 2, "cannot connect to the database")


def test_jobs_command_without_a_queue_prints_one_line(app, tmp_path):
    env = child_env(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path / "instance", REDIS_URL="redis://127.0.0.1:1/0")
    result = run_flask(["jobs", "selftest", "--wait", "1"], env)
    assert_one_line_error(result, 1, "the job queue is unavailable", "nothing was started")
