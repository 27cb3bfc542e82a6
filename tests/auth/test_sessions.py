"""Sessions end when they should: logout (even of a copied cookie), password, role and active-state changes,
"log out everywhere", idle and absolute lifetimes, and Flask-Login's remember cookie."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask_login.utils import encode_cookie
from sqlalchemy import select, update

from config import Config, ConfigError
from mhc.auth import SESSION_TOKEN_KEY
from mhc.extensions import db
from mhc.models import AuditLog, SystemSession, SystemUser, utcnow
from mhc.services.access import accounts
from tests.conftest import csrf_token_from


class Browser:
    """A test client whose every request runs in its own app context, as in production.

    The `app` fixture keeps one app context open for the whole test, and a request inside it would share `g`
    (and so Flask-Login's cached user) with every other client: a refused cookie could look accepted.
    """

    def __init__(self, app):
        self.app, self.client = app, app.test_client()

    def get(self, path: str):
        with self.app.app_context():
            return self.client.get(path)

    def post(self, path: str, data: dict | None = None, csrf_from: str | None = "/"):
        """POST with a CSRF token read from `csrf_from` (None: send no token)."""
        data = dict(data or {})
        if csrf_from:
            data["csrf_token"] = csrf_token_from(self.get(csrf_from).get_data(as_text=True))
        with self.app.app_context():
            return self.client.post(path, data=data)

    def login(self, login: str, password: str):
        """Log in through the real form; the response is the form's redirect (or the form again)."""
        return self.post("/login", {"login": login, "password": password}, csrf_from="/login")

    def copy(self) -> Browser:
        """Another browser holding a copy of this one's session cookie."""
        other = Browser(self.app)
        other.client.set_cookie("session", self.client.get_cookie("session").value)
        return other

    def is_logged_in(self) -> bool:
        """True when the panel's index opens; False when it sends this browser to the login page."""
        response = self.get("/")
        if response.status_code == 302:
            assert response.headers["Location"].startswith("/login"), response.headers["Location"]
            return False
        assert response.status_code == 200, response.status_code
        return True


@pytest.fixture
def browser(app):
    """browser() -> a new Browser on the test's app."""
    return lambda: Browser(app)


@pytest.fixture
def logged_in(app, browser, make_user):
    """logged_in(role) -> (user, password, browser) with the user logged in through the login form."""

    def _make(role: str = "viewer", user=None, password: str | None = None):
        if user is None:
            user, password = make_user(role)
        b = browser()
        response = b.login(user.username, password)
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        assert b.is_logged_in()
        return user, password, b

    return _make


def _sessions(user_id) -> list[SystemSession]:
    db.session.expire_all()
    query = select(SystemSession).where(SystemSession.user_id == user_id).order_by(SystemSession.created_at)
    return db.session.scalars(query).all()


def _backdate(user_id, **ages: timedelta) -> None:
    """Move the user's session timestamps into the past (created_at=..., last_seen_at=...)."""
    now = utcnow()
    db.session.execute(
        update(SystemSession).where(SystemSession.user_id == user_id).values({k: now - v for k, v in ages.items()})
    )
    db.session.commit()


def _audit_actions(object_id) -> list[str]:
    db.session.expire_all()
    query = select(AuditLog.action).where(AuditLog.object_id == str(object_id)).order_by(AuditLog.id)
    return db.session.scalars(query).all()


# --- logout -------------------------------------------------------------------------------------


def test_login_records_a_session_row_and_the_cookie_holds_only_its_token(app, logged_in):
    user, _, b = logged_in("viewer")
    (row,) = _sessions(user.id)
    assert (row.ended_at, row.end_reason, row.remote_addr) == (None, None, "127.0.0.1")
    assert row.user_agent.startswith("Werkzeug/")
    assert row.session_version == 1
    with b.client.session_transaction() as cookie_session:
        token = cookie_session[SESSION_TOKEN_KEY]
    assert len(token) >= 40
    assert row.id != token  # the table keeps a digest: reading it does not give a usable token


def test_a_cookie_copied_before_logout_is_refused_after_it(app, logged_in):
    user, _, first = logged_in("viewer")
    copy = first.copy()
    assert copy.is_logged_in()  # the copy works while the session is open
    response = first.post("/logout")
    assert (response.status_code, response.headers["Location"]) == (302, "/login")
    assert not first.is_logged_in()
    assert not copy.is_logged_in()
    (row,) = _sessions(user.id)
    assert row.end_reason == "logout"
    assert row.ended_at is not None
    assert _audit_actions(user.id) == ["create", "login", "logout"]


def test_logout_ends_only_that_session(app, logged_in):
    user, password, first = logged_in("viewer")
    _, _, second = logged_in(user=user, password=password)
    first.post("/logout")
    assert not first.is_logged_in()
    assert second.is_logged_in()
    assert [r.end_reason for r in _sessions(user.id)] == ["logout", None]


def test_an_unknown_session_token_is_anonymous(app, logged_in):
    _, _, b = logged_in("viewer")
    with b.client.session_transaction() as cookie_session:
        cookie_session[SESSION_TOKEN_KEY] = "not-a-token-the-panel-issued"
    assert not b.is_logged_in()
    with b.client.session_transaction() as cookie_session:
        del cookie_session[SESSION_TOKEN_KEY]
    assert not b.is_logged_in()


def test_a_remember_cookie_alone_opens_nothing(app, browser, make_user):
    """The panel never sets Flask-Login's remember cookie; one signed with the app's key is still refused."""
    user, _ = make_user("admin")
    with app.test_request_context():
        value = encode_cookie(str(user.id))
    b = browser()
    b.client.set_cookie("remember_token", value)
    assert not b.is_logged_in()


# --- changes that end every session of a user ----------------------------------------------------


def test_a_password_change_ends_the_sessions_opened_with_the_old_one(app, logged_in, make_user):
    user, old_password, victim = logged_in("viewer")
    _, _, admin = logged_in("admin")
    copy = victim.copy()
    response = admin.post(
        f"/system_users/edit/?id={user.id}",
        {"username": user.username, "email": user.email, "role": str(user.role_id), "is_active": "y",
         "new_password": "a-brand-new-password"},
        csrf_from=f"/system_users/edit/?id={user.id}",
    )  # fmt: skip
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    assert not victim.is_logged_in()
    assert not copy.is_logged_in()
    assert [r.end_reason for r in _sessions(user.id)] == ["account_changed"]
    assert db.session.get(SystemUser, user.id).session_version == 2
    fresh = Browser(app)
    assert fresh.login(user.username, old_password).status_code == 200
    assert fresh.login(user.username, "a-brand-new-password").status_code == 302
    assert fresh.is_logged_in()


def test_changing_your_own_password_keeps_this_session_and_ends_the_others(app, logged_in):
    me, password, here = logged_in("admin")
    _, _, elsewhere = logged_in(user=me, password=password)
    response = here.post(
        f"/system_users/edit/?id={me.id}",
        {"username": me.username, "email": me.email, "role": str(me.role_id), "is_active": "y",
         "new_password": "my-new-password"},
        csrf_from=f"/system_users/edit/?id={me.id}",
    )  # fmt: skip
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    assert here.is_logged_in()
    assert not elsewhere.is_logged_in()
    rows = _sessions(me.id)
    assert [(r.end_reason, r.session_version) for r in rows] == [(None, 2), ("account_changed", 1)]


def test_deactivating_ends_sessions_and_reactivating_does_not_revive_them(app, logged_in, make_user):
    user, password, b = logged_in("viewer")
    old_cookie = b.client.get_cookie("session").value
    _, _, admin = logged_in("admin")
    for action in ("deactivate", "activate"):
        response = admin.post("/system_users/action/", {"action": action, "rowid": str(user.id)}, "/system_users/")
        assert response.status_code == 302
    assert db.session.get(SystemUser, user.id).is_active is True
    b.client.set_cookie("session", old_cookie)  # whatever the browser was told, it replays its old cookie
    assert not b.is_logged_in()
    assert [r.end_reason for r in _sessions(user.id)] == ["deactivated"]
    assert db.session.get(SystemUser, user.id).session_version == 3
    assert b.login(user.username, password).status_code == 302  # a new login works again
    assert b.is_logged_in()


def test_a_role_change_ends_sessions(app, logged_in, runner, make_user):
    make_user("admin")
    user, _, b = logged_in("viewer")
    result = runner.invoke(args=["users", "set-role", user.username, "subscriber"])
    assert result.exit_code == 0, result.output
    assert not b.is_logged_in()
    assert [r.end_reason for r in _sessions(user.id)] == ["account_changed"]


def test_an_edit_that_changes_no_password_role_or_state_keeps_sessions(app, logged_in, make_user):
    make_user("admin")
    user, _, b = logged_in("viewer")
    accounts.update_user(db.session, user.id, email="renamed@example.test", role_name="viewer", is_active=True)
    assert b.is_logged_in()
    assert db.session.get(SystemUser, user.id).session_version == 1


# --- log out everywhere --------------------------------------------------------------------------


def test_log_out_everywhere_from_the_user_menu(app, logged_in):
    user, password, here = logged_in("viewer")
    _, _, elsewhere = logged_in(user=user, password=password)
    copy = here.copy()
    page = here.get("/").get_data(as_text=True)
    assert 'formaction="/logout/everywhere"' in page
    assert here.get("/logout/everywhere").status_code == 405
    assert here.post("/logout/everywhere", csrf_from=None).status_code == 400  # no CSRF token, nothing ends
    assert elsewhere.is_logged_in()
    response = here.post("/logout/everywhere")
    assert (response.status_code, response.headers["Location"]) == (302, "/login")
    assert "You are logged out everywhere." in here.get("/login").get_data(as_text=True)
    assert not any(b.is_logged_in() for b in (here, elsewhere, copy))
    assert [r.end_reason for r in _sessions(user.id)] == ["logout_everywhere", "logout_everywhere"]
    db.session.expire_all()
    entry = db.session.scalars(select(AuditLog).where(AuditLog.action == "logout_everywhere")).one()
    assert (entry.object_id, entry.user_id, entry.diff) == (str(user.id), user.id, {"sessions_ended": [None, 2]})


def test_an_admin_logs_a_system_user_out_everywhere(app, logged_in):
    user, _, victim = logged_in("subscriber")
    admin_user, _, admin = logged_in("admin")
    page = admin.get("/system_users/").get_data(as_text=True)
    assert "Log out everywhere" in page
    response = admin.post("/system_users/action/", {"action": "logout_everywhere", "rowid": str(user.id)})
    assert response.status_code == 302
    assert "Logged out 1 system user(s) everywhere." in admin.get("/system_users/").get_data(as_text=True)
    assert not victim.is_logged_in()
    assert admin.is_logged_in()
    db.session.expire_all()
    entry = db.session.scalars(select(AuditLog).where(AuditLog.action == "logout_everywhere")).one()
    assert (entry.object_id, entry.user_id, entry.username) == (str(user.id), admin_user.id, admin_user.username)


def test_only_system_user_managers_may_log_others_out(app, logged_in):
    user, _, victim = logged_in("viewer")
    _, _, subscriber = logged_in("subscriber")
    response = subscriber.post("/system_users/action/", {"action": "logout_everywhere", "rowid": str(user.id)})
    assert response.status_code == 403
    assert victim.is_logged_in()


# --- lifetimes ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ages", "open_", "reason"),
    [
        ({"last_seen_at": timedelta(minutes=119)}, True, None),
        ({"last_seen_at": timedelta(minutes=121)}, False, "idle"),
        ({"created_at": timedelta(hours=167), "last_seen_at": timedelta(seconds=5)}, True, None),
        ({"created_at": timedelta(hours=169), "last_seen_at": timedelta(seconds=5)}, False, "expired"),
    ],
    ids=["idle-119min", "idle-121min", "age-167h", "age-169h"],
)
def test_idle_and_absolute_lifetimes(app, logged_in, ages, open_, reason):
    """Defaults: 120 minutes without a request, 168 hours after login."""
    user, _, b = logged_in("viewer")
    _backdate(user.id, **ages)
    assert b.is_logged_in() is open_
    assert [r.end_reason for r in _sessions(user.id)] == [reason]
    assert b.is_logged_in() is open_  # an ended session stays ended


@pytest.mark.parametrize("app_config", [{"SESSION_IDLE_MINUTES": 5, "SESSION_MAX_HOURS": 1}])
def test_lifetimes_come_from_configuration(app, logged_in, app_config):
    user, _, b = logged_in("viewer")
    _backdate(user.id, last_seen_at=timedelta(minutes=6))
    assert not b.is_logged_in()
    _, _, other = logged_in(user=user, password="correct horse battery")
    _backdate(user.id, created_at=timedelta(minutes=61), last_seen_at=timedelta(seconds=1))
    assert not other.is_logged_in()
    assert [r.end_reason for r in _sessions(user.id)] == ["idle", "expired"]


def test_lifetime_settings_from_the_environment(tmp_path):
    cfg = Config.from_env({"MHC_INSTANCE_DIR": str(tmp_path)})
    assert (cfg.SESSION_IDLE_MINUTES, cfg.SESSION_MAX_HOURS) == (120, 168)
    env = {"MHC_INSTANCE_DIR": str(tmp_path), "MHC_SESSION_IDLE_MINUTES": "30", "MHC_SESSION_MAX_HOURS": "12"}
    cfg = Config.from_env(env)
    assert (cfg.SESSION_IDLE_MINUTES, cfg.SESSION_MAX_HOURS) == (30, 12)
    with pytest.raises(ConfigError, match="MHC_SESSION_IDLE_MINUTES must be a positive integer, got 0"):
        Config.from_env({**env, "MHC_SESSION_IDLE_MINUTES": "0"})


def test_last_seen_is_written_at_most_once_a_minute(app, logged_in):
    user, _, b = logged_in("viewer")
    _backdate(user.id, last_seen_at=timedelta(seconds=30))
    before = _sessions(user.id)[0].last_seen_at
    for _ in range(3):
        assert b.is_logged_in()
    assert _sessions(user.id)[0].last_seen_at == before  # within the minute: no write
    _backdate(user.id, last_seen_at=timedelta(seconds=61))
    assert b.is_logged_in()
    assert utcnow() - _sessions(user.id)[0].last_seen_at < timedelta(seconds=5)
