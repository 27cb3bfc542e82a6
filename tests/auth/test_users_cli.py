"""`flask users ...` commands."""

from __future__ import annotations

from sqlalchemy import select

from mhc.extensions import db
from mhc.models import SystemUser
from mhc.services.access.passwords import verify_password


def _user(username) -> SystemUser:
    db.session.expire_all()
    return db.session.scalars(select(SystemUser).where(SystemUser.username == username)).one()


def test_create_admin_with_password_stdin(app, runner):
    result = runner.invoke(
        args=["users", "create-admin", "ada", "Ada@Example.test", "--password-stdin"], input="pw-from-stdin\n"
    )
    assert result.exit_code == 0, result.output
    assert result.output == "Created admin 'ada'.\n"
    ada = _user("ada")
    assert (ada.email, ada.role.name, ada.is_active) == ("ada@example.test", "admin", True)
    assert ada.password_hash.startswith("$argon2id$")
    assert verify_password(ada.password_hash, "pw-from-stdin")


def test_create_admin_prompts_twice(app, runner):
    result = runner.invoke(
        args=["users", "create-admin", "bea", "bea@example.test"], input="typed-twice\ntyped-twice\n"
    )
    assert result.exit_code == 0, result.output
    assert verify_password(_user("bea").password_hash, "typed-twice")
    assert "typed-twice" not in result.output


def test_create_admin_mismatched_prompt_is_asked_again(app, runner):
    result = runner.invoke(
        args=["users", "create-admin", "cy", "cy@example.test"], input="one-password\nother-password\n"
    )
    assert result.exit_code == 1
    assert db.session.scalars(select(SystemUser).where(SystemUser.username == "cy")).first() is None


def test_create_admin_refuses_duplicates_and_short_passwords(app, runner, make_user):
    make_user("viewer", username="dup")
    result = runner.invoke(
        args=["users", "create-admin", "dup", "x@example.test", "--password-stdin"], input="long-enough\n"
    )
    assert result.exit_code == 1
    assert "already exists" in result.output
    result = runner.invoke(
        args=["users", "create-admin", "new", "new@example.test", "--password-stdin"], input="short\n"
    )
    assert result.exit_code == 1
    assert "at least 8 characters" in result.output


def test_list_users(app, runner, make_user):
    make_user("admin", username="root")
    make_user("viewer", username="vic")
    result = runner.invoke(args=["users", "list"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "root\troot@example.test\tadmin\tactive\tlast login: never",
        "vic\tvic@example.test\tviewer\tactive\tlast login: never",
    ]


def test_set_role(app, runner, make_user):
    make_user("admin", username="root")
    make_user("viewer", username="vic")
    result = runner.invoke(args=["users", "set-role", "vic", "subscriber"])
    assert result.exit_code == 0, result.output
    assert result.output == "vic is now subscriber.\n"
    assert _user("vic").role.name == "subscriber"


def test_set_role_refuses_demoting_the_last_admin(app, runner, make_user):
    make_user("admin", username="root")
    result = runner.invoke(args=["users", "set-role", "root", "viewer"])
    assert result.exit_code == 1
    assert "no active admin" in result.output
    assert _user("root").role.name == "admin"


def test_set_role_unknown_role_or_user(app, runner, make_user):
    make_user("admin", username="root")
    assert "no such role: boss" in runner.invoke(args=["users", "set-role", "root", "boss"]).output
    assert "no such system user: ghost" in runner.invoke(args=["users", "set-role", "ghost", "viewer"]).output


def test_ensure_admin_creates_once_and_prints_password(app, runner, auth):
    result = runner.invoke(args=["users", "ensure-admin"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Created admin 'admin'; password (shown once): ")
    password = result.output.strip().rsplit(" ", 1)[-1]
    assert auth.login("admin", password).status_code == 302
    again = runner.invoke(args=["users", "ensure-admin"])
    assert again.output == "An admin exists (admin); log in with its password.\n"
