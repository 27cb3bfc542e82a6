"""System user usernames and emails: one rule in services.access.accounts, enforced by the panel form and the CLI."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select

from mhc.extensions import db
from mhc.models import SystemRole, SystemUser
from mhc.services.access import accounts

BAD_USERNAMES = ["<script>", "ab", "a" * 65, "with space", "semi;colon", "ünïcode", "quote'd", ""]
GOOD_USERNAMES = ["abc", "a" * 64, "Nora.Smith-2", "under_score"]
BAD_EMAILS = ["x@y", "no-at-sign", "a@b@example.com", "a b@example.com", "<script>@example.com", "a@localhost", ""]
USERNAME_MESSAGE = "use 3 to 64 letters, digits, underscores, dots or hyphens."


@pytest.mark.parametrize("username", BAD_USERNAMES)
def test_bad_usernames_are_refused(username):
    with pytest.raises(accounts.AccountError, match="Invalid username"):
        accounts.clean_username(username)


@pytest.mark.parametrize("username", GOOD_USERNAMES)
def test_sane_usernames_are_accepted(username):
    assert accounts.clean_username(f"  {username} ") == username


@pytest.mark.parametrize("email", BAD_EMAILS)
def test_bad_emails_are_refused(email):
    with pytest.raises(accounts.AccountError, match="Invalid email address"):
        accounts.clean_email(email)


def test_emails_are_normalised_to_lower_case():
    assert accounts.clean_email(" Nora@Example.TEST ") == "nora@example.test"
    assert accounts.clean_email("ops+panel@mail.example.com") == "ops+panel@mail.example.com"


def test_the_refusal_says_what_is_wrong():
    with pytest.raises(accounts.AccountError) as refused:
        accounts.clean_email("x@y")
    assert str(refused.value) == (
        "Invalid email address 'x@y': The part after the @-sign is not valid. It should have a period."
    )
    with pytest.raises(accounts.AccountError) as refused:
        accounts.clean_username("<script>")
    assert str(refused.value) == f"Invalid username '<script>': {USERNAME_MESSAGE}"


def _role_id(name) -> str:
    return str(db.session.scalars(select(SystemRole.id).where(SystemRole.name == name)).one())


def _count_users() -> int:
    return db.session.scalar(select(func.count()).select_from(SystemUser))


@pytest.mark.parametrize(
    ("username", "email", "shown"),
    [
        ("<script>", "nora@example.test", f"Invalid username &#39;&lt;script&gt;&#39;: {USERNAME_MESSAGE}"),
        ("nora", "x@y", "Invalid email address &#39;x@y&#39;: The part after the @-sign is not valid."),
    ],
)
def test_the_create_form_refuses_and_says_why(app, client, auth, login_as, username, email, shown):
    login_as("admin")
    before = _count_users()
    token = auth.csrf("/system_users/new/")
    response = client.post(
        "/system_users/new/",
        data={"csrf_token": token, "username": username, "email": email, "role": _role_id("viewer"),
              "is_active": "y", "new_password": "long-enough-pw"},
    )  # fmt: skip
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert shown in page
    assert "<script>:" not in page  # shown escaped, never as markup
    db.session.expire_all()
    assert _count_users() == before


def test_the_edit_form_refuses_a_bad_new_email(app, client, auth, login_as, make_user):
    login_as("admin")
    user, _ = make_user("viewer", username="walt")
    token = auth.csrf(f"/system_users/edit/?id={user.id}")
    response = client.post(
        f"/system_users/edit/?id={user.id}",
        data={"csrf_token": token, "username": "walt", "email": "walt@y", "role": _role_id("viewer"), "is_active": "y"},
    )
    assert "Invalid email address &#39;walt@y&#39;" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(SystemUser, user.id).email == "walt@example.test"


def test_an_older_account_stays_editable_when_its_name_is_unchanged(app, make_user):
    """Accounts made before the rule keep their username and email; only a changed value is checked."""
    make_user("admin")
    legacy = SystemUser(
        id=uuid.uuid4(), username="old name", email="old@localhost", password_hash="x", role_id=int(_role_id("viewer"))
    )
    db.session.add(legacy)
    db.session.commit()
    accounts.update_user(db.session, legacy.id, username="old name", email="old@localhost", role_name="subscriber")
    assert db.session.get(SystemUser, legacy.id).role.name == "subscriber"
    with pytest.raises(accounts.AccountError, match="Invalid username 'new name'"):
        accounts.update_user(db.session, legacy.id, username="new name")


@pytest.mark.parametrize(
    ("username", "email", "message"),
    [
        ("<script>", "ada@example.test", f"Error: Invalid username '<script>': {USERNAME_MESSAGE}"),
        ("ada", "x@y", "Error: Invalid email address 'x@y': The part after the @-sign is not valid."),
    ],
)
def test_the_cli_refuses_and_says_why(app, runner, username, email, message):
    result = runner.invoke(args=["users", "create-admin", username, email, "--password-stdin"], input="long-enough\n")
    assert result.exit_code == 1
    assert result.output.startswith(message)
    assert _count_users() == 0


def test_ensure_admin_default_email_passes_the_rule(app, runner):
    result = runner.invoke(args=["users", "ensure-admin"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert db.session.scalars(select(SystemUser.email)).one() == "admin@example.com"
