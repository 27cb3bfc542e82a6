"""Changing your own password: current one proved, same rules and KDF as creation, other sessions end, this one
stays, audited without the password, wrong current passwords throttled like logins."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from mhc.extensions import db
from mhc.models import AuditLog, SystemUser
from mhc.services.access import passwords
from tests.auth.test_sessions import Browser

OLD, NEW = "correct horse battery", "a brand new passphrase"


@pytest.fixture
def two_browsers(app, make_user):
    user, password = make_user("viewer")
    here, elsewhere = Browser(app), Browser(app)
    for browser in (here, elsewhere):
        assert browser.login(user.username, password).status_code == 302
    return user, here, elsewhere


def change(browser: Browser, current: str, new: str, repeated: str | None = None):
    data = {"current": current, "new": new, "repeated": new if repeated is None else repeated}
    return browser.post("/account/password", data, csrf_from="/account/")


def audit_rows(user, action: str) -> list[AuditLog]:
    db.session.expire_all()
    stmt = select(AuditLog).where(AuditLog.object_id == str(user.id), AuditLog.action == action)
    return list(db.session.scalars(stmt))


def test_the_account_page_is_in_the_user_menu(two_browsers):
    user, here, _ = two_browsers
    page = here.get("/").get_data(as_text=True)
    assert 'href="/account/"' in page and 'data-testid="account"' in page
    account = here.get("/account/")
    assert account.status_code == 200 and account.headers["Cache-Control"] == "no-store"
    assert user.username in account.get_data(as_text=True)


def test_a_change_keeps_this_session_and_ends_the_others(app, two_browsers):
    user, here, elsewhere = two_browsers
    response = change(here, OLD, NEW)
    assert response.status_code == 302
    assert "Your password is changed; 1 other session logged out." in here.get("/account/").get_data(as_text=True)
    assert here.is_logged_in()
    assert not elsewhere.is_logged_in()
    db.session.expire_all()
    stored = db.session.get(SystemUser, user.id).password_hash
    assert stored.startswith("$argon2id$") and passwords.verify_password(stored, NEW)
    assert Browser(app).login(user.username, OLD).status_code != 302
    assert Browser(app).login(user.username, NEW).status_code == 302
    (row,) = audit_rows(user, "password_change")
    assert row.user_id == user.id and row.diff == {"sessions_ended": [None, 1]}
    assert OLD not in repr(row.diff) and NEW not in repr(row.diff) and "argon2" not in repr(row.diff)


@pytest.mark.parametrize(
    ("current", "new", "repeated", "message"),
    [
        ("wrong password!", NEW, NEW, "Your current password is not right; nothing changed."),
        (OLD, NEW, NEW + "x", "The two new passwords differ; nothing changed."),
        (OLD, "short", "short", "Not changed: passwords need at least 8 characters."),
        (OLD, OLD, OLD, "The new password is your current one; nothing changed."),
        (OLD, "", "", "Fill in all three fields; nothing changed."),
    ],
)
def test_refusals_change_nothing(two_browsers, current, new, repeated, message):
    user, here, elsewhere = two_browsers
    before = db.session.get(SystemUser, user.id).password_hash
    response = change(here, current, new, repeated)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(SystemUser, user.id).password_hash == before
    assert here.is_logged_in() and elsewhere.is_logged_in()
    assert audit_rows(user, "password_change") == []


def test_no_csrf_token_no_change(two_browsers):
    user, here, _ = two_browsers
    before = db.session.get(SystemUser, user.id).password_hash
    response = here.post("/account/password", {"current": OLD, "new": NEW, "repeated": NEW}, csrf_from=None)
    assert response.status_code == 400
    db.session.expire_all()
    assert db.session.get(SystemUser, user.id).password_hash == before


def test_wrong_current_passwords_are_throttled_like_logins(app, two_browsers):
    """They are failed logins of the account and address: after LOGIN_MAX_FAILURES the address must wait,
    even with the right password, which is then not even checked."""
    user, here, _ = two_browsers
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        assert change(here, "wrong password!", NEW).status_code == 400
    failed = audit_rows(user, "login_failed")
    assert len(failed) == app.config["LOGIN_MAX_FAILURES"]
    assert failed[0].diff == {"step": [None, "change_password"]}
    refused = change(here, OLD, NEW)
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    assert "Too many failed logins" in refused.get_data(as_text=True)
    db.session.expire_all()
    assert passwords.verify_password(db.session.get(SystemUser, user.id).password_hash, OLD)
    assert len(audit_rows(user, "login_throttled")) == 1
