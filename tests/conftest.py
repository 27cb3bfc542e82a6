"""Shared fixtures: one migrated database per test session (SQLite, or PostgreSQL when
MHC_TEST_DATABASE_URL points at a server), emptied after every test."""

from __future__ import annotations

import os
import re
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from config import TestConfig
from mhc import create_app
from mhc.auth import permissions as perms
from mhc.extensions import db
from tests.security import totals as fuzz_totals

# Rows the migrations seed; everything else is deleted after each test.
SEEDED_TABLES = {"system_roles", "system_permissions", "system_role_permissions", "alembic_version"}
ROLES = ("viewer", "subscriber", "admin")


def _server_url() -> str | None:
    return os.environ.get("MHC_TEST_DATABASE_URL") or None


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    """A fresh database for this test session; PostgreSQL ones are created and dropped here."""
    server = _server_url()
    if not server:
        path = tmp_path_factory.mktemp("db") / "test.sqlite3"
        yield f"sqlite:///{path}"
        return
    name = f"mhc_test_{uuid.uuid4().hex[:10]}"
    admin_engine = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with admin_engine.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.engine.make_url(server).set(database=name).render_as_string(hide_password=False)
    yield url
    with admin_engine.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin_engine.dispose()


@pytest.fixture(scope="session")
def instance_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("instance")


@pytest.fixture(scope="session")
def _migrated(database_url, instance_dir):
    app = create_app(TestConfig(database_url, instance_dir))
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return database_url


def make_app(database_url, instance_dir, **overrides):
    """A fresh app on the session's database (tests may override config keys)."""
    return create_app(TestConfig(database_url, instance_dir, **overrides))


@pytest.fixture
def app_config() -> dict:
    """Per-test config overrides; override this fixture (or update it) in a test module."""
    return {}


@pytest.fixture
def app(_migrated, instance_dir, app_config):
    app = make_app(_migrated, instance_dir, **app_config)
    with app.app_context():
        yield app
        db.session.remove()
        # A job the test started may still be finishing in the embedded worker: let it end first.
        assert app.extensions["mhc_jobs"].wait_idle(60), "the embedded worker was still busy after 60 s"
        app.extensions["mhc_jobs"].close()  # its heartbeat thread must not write into the next test's rows
        _empty_tables()
        db.engine.dispose()


def _empty_tables() -> None:
    """Delete every row the test wrote and restore the seeded grants."""
    tables = [t for t in reversed(db.metadata.sorted_tables) if t.name not in SEEDED_TABLES]
    # SQLite's delete triggers on follow_events write into follow_daily: empty it after them.
    tables.sort(key=lambda t: t.name == "follow_daily")
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            # A connection left idle in a transaction would block TRUNCATE forever: fail loudly instead.
            conn.execute(sa.text("SET LOCAL lock_timeout = '30s'"))
            conn.execute(sa.text("TRUNCATE " + ", ".join(f'"{t.name}"' for t in tables) + " CASCADE"))
        else:
            for table in tables:
                conn.execute(table.delete())
        _restore_grants(conn)


def _restore_grants(conn) -> None:
    conn.execute(sa.text("DELETE FROM system_role_permissions"))
    conn.execute(sa.text("DELETE FROM system_roles WHERE name NOT IN ('admin', 'subscriber', 'viewer')"))
    conn.execute(sa.text("UPDATE system_roles SET require_two_factor = false WHERE require_two_factor"))
    known = ", ".join(f"'{n}'" for n in perms.ALL_PERMISSIONS)
    conn.execute(sa.text(f"DELETE FROM system_permissions WHERE name NOT IN ({known})"))
    for role, names in perms.DEFAULT_GRANTS.items():
        for name in names:
            conn.execute(
                sa.text(
                    "INSERT INTO system_role_permissions (role_id, permission_id) SELECT r.id, p.id "
                    "FROM system_roles r, system_permissions p WHERE r.name = :r AND p.name = :p"
                ),
                {"r": role, "p": name},
            )


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')


def csrf_token_from(html: str) -> str:
    """The CSRF token embedded in a rendered form."""
    match = CSRF_RE.search(html)
    assert match, "no csrf_token in page"
    return match.group(1) or match.group(2)


@pytest.fixture
def make_user(app):
    """Create a system user with a role; returns (user, password)."""
    from mhc.services.access import accounts

    def _make(role: str = "viewer", username: str | None = None, password: str = "correct horse battery"):  # noqa: S107
        username = username or f"{role}_{uuid.uuid4().hex[:6]}"
        user = accounts.create_user(db.session, username, f"{username}@example.test", password, role)
        return user, password

    return _make


class AuthActions:
    """Log a test client in and out through the real login form."""

    def __init__(self, client, make_user):
        self.client, self.make_user = client, make_user
        self.user = None

    def login(self, login: str, password: str, next_url: str | None = None):
        page = self.client.get("/login")
        token = csrf_token_from(page.get_data(as_text=True))
        url = "/login" + (f"?next={next_url}" if next_url else "")
        return self.client.post(url, data={"login": login, "password": password, "csrf_token": token})

    def as_role(self, role: str):
        self.user, password = self.make_user(role)
        response = self.login(self.user.username, password)
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return self.user

    def csrf(self, path: str = "/") -> str:
        """A valid CSRF token for the logged-in session."""
        return csrf_token_from(self.client.get(path).get_data(as_text=True))


@pytest.fixture
def auth(client, make_user):
    return AuthActions(client, make_user)


@pytest.fixture
def login_as(auth):
    """login_as('admin') logs the test client in as a new user with that role."""
    return auth.as_role


@pytest.fixture(scope="session")
def _fake_server():
    from tests.fake_chaturbate import FakeChaturbate

    server = FakeChaturbate().start()
    yield server
    server.stop()


@pytest.fixture
def fake_cb(_fake_server):
    """The fake Chaturbate, reset to its default scenario; use with `fake_cb_config`."""
    _fake_server.reset()
    return _fake_server


@pytest.fixture
def fake_cb_config(fake_cb) -> dict:
    """Config overrides pointing every outside URL at the fake server."""
    base = fake_cb.base_url
    return {
        "CHATURBATE_BASE_URL": base,
        "AFFILIATE_API_URL": f"{base}/api/public/affiliates/onlinerooms/",
        "EVENTS_API_URL": f"{base}/events/",
        "STATS_API_URL": f"{base}/statsapi/",
        "OWNER_USERNAME": "hudson",
    }


def pytest_runtest_logreport(report):
    fuzz_totals.collect(report)


def pytest_terminal_summary(terminalreporter):
    fuzz_totals.summarise(terminalreporter)
