"""The migration chain runs up, down and up again, and matches the models, on the test backend."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from mhc.auth import permissions as perms
from mhc.extensions import db
from tests.conftest import make_app


@pytest.fixture
def empty_db_url(tmp_path):
    """A database with nothing in it, separate from the session's."""
    from tests.conftest import _server_url

    server = _server_url()
    if not server:
        yield f"sqlite:///{tmp_path / 'empty.sqlite3'}"
        return
    name = f"mhc_mig_{uuid.uuid4().hex[:10]}"
    engine = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    yield sa.engine.make_url(server).set(database=name).render_as_string(hide_password=False)
    with engine.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


def _tables(engine) -> set[str]:
    return set(sa.inspect(engine).get_table_names()) - {"alembic_version"}


def test_upgrade_downgrade_upgrade(empty_db_url, tmp_path):
    app = make_app(empty_db_url, tmp_path)
    with app.app_context():
        upgrade()
        assert "persons" in _tables(db.engine)
        assert "v_person_current_state" in sa.inspect(db.engine).get_view_names()
        downgrade(revision="base")
        assert _tables(db.engine) == set()
        upgrade()
        assert _tables(db.engine) == {t.name for t in db.metadata.sorted_tables}
        db.engine.dispose()


def test_models_and_migrations_agree(app):
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        differences = compare_metadata(context, db.metadata)
    assert differences == []


def test_partial_unfollowed_index_exists(app):
    indexes = {ix["name"]: ix for ix in sa.inspect(db.engine).get_indexes("profiles")}
    assert indexes["idx_profiles_unfollowed"]["column_names"] == ["unfollower_at"]
    if db.engine.dialect.name == "postgresql":
        definition = db.session.execute(
            sa.text("SELECT indexdef FROM pg_indexes WHERE indexname = 'idx_profiles_unfollowed'")
        ).scalar()
        assert definition.endswith("WHERE (unfollower_at IS NOT NULL)")
        comments = dict(
            db.session.execute(
                sa.text(
                    "SELECT a.attname, col_description(a.attrelid, a.attnum) FROM pg_attribute a "
                    "WHERE a.attrelid = 'profiles'::regclass AND a.attname LIKE '%follow%'"
                )
            ).all()
        )
        assert comments["unfollower_at"] == "When this user unfollowed me (if applicable)"
        assert comments["following_since"] == "When I started following this user"
    else:
        sql = db.session.execute(
            sa.text("SELECT sql FROM sqlite_master WHERE name = 'idx_profiles_unfollowed'")
        ).scalar()
        assert sql.endswith("WHERE unfollower_at IS NOT NULL")


def test_seeded_roles_and_permissions(app):
    rows = db.session.execute(sa.text("SELECT name, resource, action, description FROM system_permissions")).all()
    by_name = {r.name: (r.resource, r.action, r.description) for r in rows}
    for name, spec in perms.SEED_PERMISSIONS.items():
        assert by_name[name] == spec
    assert set(by_name) == set(perms.ALL_PERMISSIONS)
    roles = dict(db.session.execute(sa.text("SELECT name, description FROM system_roles")).all())
    assert roles == {
        "admin": "Full system access",
        "subscriber": "Paid subscriber with advanced features",
        "viewer": "Basic read-only access",
    }
    grants = db.session.execute(
        sa.text(
            "SELECT r.name, p.name FROM system_role_permissions rp JOIN system_roles r ON r.id = rp.role_id "
            "JOIN system_permissions p ON p.id = rp.permission_id"
        )
    ).all()
    held: dict[str, set] = {}
    for role, perm in grants:
        held.setdefault(role, set()).add(perm)
    assert held["admin"] == set(perms.ALL_PERMISSIONS)
    assert held["subscriber"] == {"view_users", "view_stats"}
    assert held["viewer"] == {"view_users"}


def test_seed_is_idempotent(app):
    """Running the seeding statements again inserts nothing new."""
    import importlib.util

    from alembic.operations import Operations

    from mhc.database import MIGRATIONS_DIR

    spec = importlib.util.spec_from_file_location("initial", f"{MIGRATIONS_DIR}/versions/0001_initial_schema.py")
    initial = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(initial)
    before = db.session.execute(sa.text("SELECT count(*) FROM system_role_permissions")).scalar()
    with db.engine.begin() as conn:
        ctx = MigrationContext.configure(conn)
        with Operations.context(ctx):
            initial.seed_system_roles()
    after = db.session.execute(sa.text("SELECT count(*) FROM system_role_permissions")).scalar()
    assert after == before
