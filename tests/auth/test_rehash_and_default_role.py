"""A password hash made under other argon2 parameters is replaced at login; new users default to the viewer role."""

from __future__ import annotations

import re

from argon2 import PasswordHasher
from sqlalchemy import select

from mhc.extensions import db
from mhc.models import AuditLog, SystemRole, SystemUser
from mhc.services.access.passwords import verify_password


def _user(username) -> SystemUser:
    db.session.expire_all()
    return db.session.scalars(select(SystemUser).where(SystemUser.username == username)).one()


def test_login_rehashes_a_hash_made_with_other_parameters(app, auth, make_user):
    user, password = make_user("viewer", username="vera")
    old = PasswordHasher(time_cost=2, memory_cost=2048, parallelism=1).hash(password)
    user.password_hash = old
    db.session.commit()
    assert auth.login("vera", password).status_code == 302
    new = _user("vera").password_hash
    configured = f"$argon2id$v=19$m={app.config['PASSWORD_HASH_MEMORY_KIB']},t={app.config['PASSWORD_HASH_TIME_COST']},"
    assert new != old and new.startswith(configured)
    assert verify_password(new, password)


def test_login_keeps_a_hash_made_with_the_configured_parameters(app, auth, make_user):
    user, password = make_user("viewer", username="vera")
    before = _user("vera").password_hash
    assert auth.login("vera", password).status_code == 302
    assert _user("vera").password_hash == before


def test_a_failed_login_never_rehashes(app, auth, make_user):
    user, _ = make_user("viewer", username="vera")
    old = PasswordHasher(time_cost=2, memory_cost=2048, parallelism=1).hash("correct horse battery")
    user.password_hash = old
    db.session.commit()
    assert auth.login("vera", "wrong password").status_code == 200
    assert _user("vera").password_hash == old


def _selected_role(html: str) -> str:
    select_html = re.search(r'<select[^>]*name="role".*?</select>', html, re.S).group(0)
    selected = re.findall(
        r'<option[^>]*selected[^>]*value="([^"]+)"|<option[^>]*value="([^"]+)"[^>]*selected', select_html
    )
    assert len(selected) == 1, select_html
    return next(v for v in selected[0] if v)


def test_create_form_starts_with_the_viewer_role(app, client, login_as):
    login_as("admin")
    html = client.get("/system_users/new/").get_data(as_text=True)
    viewer = db.session.scalars(select(SystemRole.id).where(SystemRole.name == "viewer")).one()
    assert _selected_role(html) == str(viewer)


def test_edit_form_shows_the_users_own_role(app, client, login_as, make_user):
    login_as("admin")
    other, _ = make_user("subscriber", username="sub")
    html = client.get(f"/system_users/edit/?id={other.id}").get_data(as_text=True)
    subscriber = db.session.scalars(select(SystemRole.id).where(SystemRole.name == "subscriber")).one()
    assert _selected_role(html) == str(subscriber)


def test_cli_create_defaults_to_viewer(app, runner):
    result = runner.invoke(
        args=["users", "create", "vic", "vic@example.test", "--password-stdin"], input="long-enough\n"
    )
    assert result.exit_code == 0, result.output
    assert result.output == "Created 'vic' with role viewer.\n"
    vic = _user("vic")
    assert (vic.role.name, vic.is_active) == ("viewer", True)
    assert verify_password(vic.password_hash, "long-enough")
    entry = db.session.scalars(select(AuditLog).where(AuditLog.action == "create")).one()
    assert entry.diff["role"] == [None, "viewer"]


def test_cli_create_with_a_role(app, runner):
    result = runner.invoke(
        args=["users", "create", "sue", "sue@example.test", "--role", "subscriber", "--password-stdin"],
        input="long-enough\n",
    )
    assert result.exit_code == 0, result.output
    assert _user("sue").role.name == "subscriber"
    bad = runner.invoke(
        args=["users", "create", "zed", "zed@example.test", "--role", "root", "--password-stdin"], input="long-enough\n"
    )
    assert bad.exit_code == 1 and "no such role: root" in bad.output
