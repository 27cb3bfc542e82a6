"""Two-factor login: enrolment, the second login step, replay, recovery codes, throttling, disable,
the role requirement and admin resets, through the real pages (and the service with explicit times)."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pyotp
import pytest
from flask import g
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import func, select

from mhc.auth.two_factor import PENDING_KEY
from mhc.extensions import db
from mhc.models import AuditLog, SystemRecoveryCode, SystemRole, SystemSession, SystemTwoFactor, utcnow
from mhc.services import audit
from mhc.services.access import login_throttle, two_factor
from tests.conftest import csrf_token_from

ACCOUNT = "/account/two-factor/"
SECOND_STEP = "/login/two-factor"
SECRET_RE = re.compile(r'data-testid="totp-secret">([A-Z2-7]+)<')
RECOVERY_RE = re.compile(r'data-testid="recovery-code">([a-z2-7-]+)<')


def _post(client, path: str, data: dict | None = None, token_from: str = ACCOUNT):
    token = csrf_token_from(client.get(token_from).get_data(as_text=True))
    return client.post(path, data={**(data or {}), "csrf_token": token})


def _enrol(client) -> tuple[pyotp.TOTP, list[str]]:
    """Set up two-factor login through the account page; returns the app's TOTP and the recovery codes."""
    assert _post(client, ACCOUNT + "setup").status_code == 302
    page = client.get(ACCOUNT).get_data(as_text=True)
    secret = SECRET_RE.search(page).group(1)
    totp = pyotp.TOTP(secret)
    response = _post(client, ACCOUNT + "confirm", {"code": totp.now()})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    codes = RECOVERY_RE.findall(response.get_data(as_text=True))
    assert len(codes) == 10
    return totp, codes


def _logout(client) -> None:
    assert _post(client, "/logout", token_from=ACCOUNT).status_code == 302


def _password_step(auth, user, password: str):
    response = auth.login(user.username, password)
    assert response.status_code == 302
    assert response.headers["Location"] == SECOND_STEP
    return response


def _code(client, code: str):
    return _post(client, SECOND_STEP, {"code": code}, token_from=SECOND_STEP)


def _next_code(totp: pyotp.TOTP) -> str:
    """The code of the next 30-second step: accepted (within the window) and later than the one just used."""
    return totp.at(time.time(), counter_offset=1)


def _wrong_code(totp: pyotp.TOTP) -> str:
    window = {totp.at(time.time(), counter_offset=i) for i in (-1, 0, 1, 2)}
    return next(c for c in ("000000", "111111", "222222", "333333", "444444") if c not in window)


def _open_sessions(user) -> int:
    return db.session.scalar(select(func.count()).select_from(SystemSession).where(SystemSession.user_id == user.id))


def _actions(user) -> list[str]:
    return list(
        db.session.scalars(select(AuditLog.action).where(AuditLog.object_id == str(user.id)).order_by(AuditLog.id))
    )


def test_enrol_shows_a_local_qr_code_and_the_key_once(app, client, auth, login_as):
    user = login_as("viewer")
    page = client.get(ACCOUNT).get_data(as_text=True)
    assert 'data-testid="two-factor-state"><span class="badge badge-secondary">Off' in page
    _post(client, ACCOUNT + "setup")
    page = client.get(ACCOUNT).get_data(as_text=True)
    secret = SECRET_RE.search(page).group(1)
    assert len(secret) == 32
    qr = page.split('data-testid="totp-qr">', 1)[1].split("</div>", 1)[0]
    assert qr.lstrip().startswith("<svg") and "<path" in qr  # drawn by the panel: no image from elsewhere
    assert "http" not in qr and "<img" not in qr and "otpauth" not in page
    stored = db.session.get(SystemTwoFactor, user.id)
    assert stored.confirmed_at is None
    assert stored.secret.startswith("fernet:") and secret not in stored.secret
    totp = pyotp.TOTP(secret)
    response = _post(client, ACCOUNT + "confirm", {"code": _wrong_code(totp)})
    assert response.status_code == 302
    assert db.session.get(SystemTwoFactor, user.id).confirmed_at is None
    response = _post(client, ACCOUNT + "confirm", {"code": totp.now()})
    html = response.get_data(as_text=True)
    assert len(set(RECOVERY_RE.findall(html))) == 10
    db.session.expire_all()
    assert db.session.get(SystemTwoFactor, user.id).confirmed_at is not None
    assert db.session.scalar(select(func.count()).select_from(SystemRecoveryCode)) == 10
    page = client.get(ACCOUNT).get_data(as_text=True)
    assert secret not in page and 'data-testid="recovery-code"' not in page  # neither is ever shown again
    assert "10 unused recovery code(s)" in page
    diffs = db.session.scalars(select(AuditLog.diff).where(AuditLog.diff.is_not(None))).all()
    assert secret not in str(diffs)
    assert "two_factor_enabled" in _actions(user)


def test_login_asks_for_the_code_before_the_session_exists(app, client, auth, make_user):
    user, password = make_user("subscriber")
    auth.login(user.username, password)
    totp, codes = _enrol(client)
    _logout(client)
    sessions_before = _open_sessions(user)

    _password_step(auth, user, password)
    assert _open_sessions(user) == sessions_before  # no login session row yet
    assert client.get("/").headers["Location"].startswith("/login")
    assert "six-digit code" in client.get(SECOND_STEP).get_data(as_text=True)

    response = _code(client, _wrong_code(totp))
    assert response.status_code == 200
    assert "Invalid code." in response.get_data(as_text=True)
    failed = db.session.scalars(select(AuditLog).where(AuditLog.action == "login_failed")).all()
    assert [(f.object_id, f.diff) for f in failed] == [(str(user.id), {"step": [None, "two_factor"]})]

    code = _next_code(totp)
    response = _code(client, code)
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert _open_sessions(user) == sessions_before + 1
    assert client.get("/").status_code == 200
    assert _actions(user)[-3:] == ["login_password", "login_failed", "login"]

    _logout(client)
    _password_step(auth, user, password)
    response = _code(client, code)  # the same code again: a replay
    assert "Invalid code." in response.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_a_recovery_code_works_once(app, client, auth, make_user):
    user, password = make_user("viewer")
    auth.login(user.username, password)
    _, codes = _enrol(client)
    _logout(client)
    _password_step(auth, user, password)
    response = _code(client, codes[3].upper().replace("-", " "))  # typed loosely
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert db.session.scalar(select(AuditLog.diff).where(AuditLog.action == "login").order_by(AuditLog.id.desc())) == {
        "two_factor": [None, "recovery_code"]
    }
    _logout(client)
    _password_step(auth, user, password)
    assert "Invalid code." in _code(client, codes[3]).get_data(as_text=True)
    assert _code(client, codes[4]).status_code == 302


def test_failed_codes_are_throttled_like_failed_passwords(app, client, auth, make_user):
    user, password = make_user("viewer")
    auth.login(user.username, password)
    totp, _ = _enrol(client)
    _logout(client)
    _password_step(auth, user, password)
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        assert _code(client, _wrong_code(totp)).status_code == 200
    response = _code(client, _next_code(totp))  # the right code is refused too
    assert response.status_code == 429
    assert "Too many failed logins." in response.get_data(as_text=True)
    assert client.get("/").status_code == 302
    assert auth.login(user.username, password).status_code == 429  # and so is the password step


def test_pending_login_expires_and_cannot_be_forged(app, client, auth, make_user):
    user, password = make_user("viewer")
    auth.login(user.username, password)
    totp, _ = _enrol(client)
    _logout(client)

    class Old(TimestampSigner):
        def get_timestamp(self):
            return int(time.time()) - app.config["TWO_FACTOR_PENDING_SECONDS"] - 1

    payload = {"u": str(user.id), "v": user.session_version, "n": None}
    for serializer in (
        URLSafeTimedSerializer(app.secret_key, salt="mhc-two-factor-pending", signer=Old),
        URLSafeTimedSerializer("another key", salt="mhc-two-factor-pending"),
    ):
        with client.session_transaction() as cookie:
            cookie[PENDING_KEY] = serializer.dumps(payload)
        response = _post(client, SECOND_STEP, {"code": _next_code(totp)}, token_from="/login")
        assert response.status_code == 302 and response.headers["Location"] == "/login"
        assert client.get("/").status_code == 302


def test_regenerate_and_disable_need_a_code_or_the_password(app, client, auth, make_user):
    user, password = make_user("viewer")
    auth.login(user.username, password)
    totp, old_codes = _enrol(client)
    assert _post(client, ACCOUNT + "recovery-codes", {"proof": "not my password"}).status_code == 302
    response = _post(client, ACCOUNT + "recovery-codes", {"proof": password})
    new_codes = RECOVERY_RE.findall(response.get_data(as_text=True))
    assert len(new_codes) == 10 and not set(new_codes) & set(old_codes)
    assert _post(client, ACCOUNT + "disable", {"proof": _wrong_code(totp)}).status_code == 302
    assert two_factor.is_enabled(db.session, user.id)
    assert _post(client, ACCOUNT + "disable", {"proof": _next_code(totp)}).status_code == 302
    assert not two_factor.is_enabled(db.session, user.id)
    assert db.session.scalar(select(func.count()).select_from(SystemRecoveryCode)) == 0
    assert _actions(user)[-2:] == ["two_factor_codes_regenerated", "two_factor_disabled"]
    _logout(client)
    assert auth.login(user.username, password).headers["Location"] == "/"  # no second step any more


def test_required_role_sends_admins_to_enrolment_first(app, client, auth, make_user):
    setter = auth.as_role("admin")
    response = _post(
        client, "/system_two_factor/", {"roles": "1", "require": "admin"}, token_from="/system_two_factor/"
    )
    assert response.status_code == 302
    role = db.session.scalars(select(SystemRole).where(SystemRole.name == "admin")).one()
    assert role.require_two_factor is True
    entry = db.session.scalars(select(AuditLog).where(AuditLog.action == "set_two_factor_required")).one()
    assert (entry.user_id, entry.object_id, entry.diff) == (
        setter.id,
        str(role.id),
        {"require_two_factor": [False, True]},
    )
    _logout(client)

    admin, password = make_user("admin")
    assert auth.login(admin.username, password).headers["Location"] == "/"  # no 2FA yet: logged in, but...
    for path in ("/", "/system_users/", "/audit_log/"):
        response = client.get(path)
        assert response.status_code == 302 and response.headers["Location"] == ACCOUNT, path
    assert client.get("/system_users/", headers={"Accept": "application/json"}).status_code == 403
    assert "Your role requires two-factor login" in client.get(ACCOUNT).get_data(as_text=True)
    totp, _ = _enrol(client)
    assert client.get("/system_users/").status_code == 200
    page = client.get(ACCOUNT).get_data(as_text=True)
    assert "cannot be turned off" in page and 'data-testid="disable-form"' not in page
    assert _post(client, ACCOUNT + "disable", {"proof": password}).status_code == 302
    assert two_factor.is_enabled(db.session, admin.id)


def test_admin_resets_a_users_two_factor_login(app, client, auth, make_user):
    user, password = make_user("viewer")
    auth.login(user.username, password)
    _enrol(client)
    _logout(client)
    g.pop("_login_user", None)
    assert user.session_version == 1
    admin = auth.as_role("admin")
    page = client.get("/system_two_factor/").get_data(as_text=True)
    assert f'data-username="{user.username}"' in page
    response = _post(client, f"/system_two_factor/reset/{user.id}", token_from="/system_two_factor/")
    assert response.status_code == 302
    assert not two_factor.is_enabled(db.session, user.id)
    entry = db.session.scalars(select(AuditLog).where(AuditLog.action == "two_factor_reset")).one()
    assert (entry.user_id, entry.object_id, entry.diff) == (admin.id, str(user.id), {"two_factor": ["on", "off"]})
    db.session.refresh(user)
    assert user.session_version == 2  # every session the user opened before the reset is refused from now on
    _logout(client)
    assert auth.login(user.username, password).headers["Location"] == "/"


def test_second_step_keeps_a_safe_next(app, client, auth, make_user):
    user, password = make_user("admin")
    auth.login(user.username, password)
    totp, _ = _enrol(client)
    _logout(client)
    assert auth.login(user.username, password, next_url="/audit_log/").headers["Location"] == SECOND_STEP
    assert _code(client, _next_code(totp)).headers["Location"] == "/audit_log/"


# --- the service, with explicit times -----------------------------------------------------------


@pytest.fixture
def enrolled(app, make_user):
    """A user with two-factor login confirmed at a fixed moment; returns (user, totp, that moment)."""
    user, _ = make_user("viewer")
    secret = two_factor.begin_enrolment(db.session, user)
    totp = pyotp.TOTP(secret)
    at = utcnow().replace(microsecond=0)
    two_factor.confirm_enrolment(db.session, user, totp.at(at), now=at)
    return user, totp, at


def _verify(user, code, now):
    rules = login_throttle.ThrottleRules(client_max_failures=100, account_free_failures=100)
    return two_factor.verify_login(
        db.session, user.id, user.session_version, code, remote_addr="192.0.2.7", throttle=rules, now=now
    )


def test_codes_within_one_step_are_accepted_once_and_never_older_ones(enrolled):
    user, totp, at = enrolled
    step = timedelta(seconds=30)
    assert _verify(user, totp.at(at), at).user is None  # the confirming code: already used
    assert _verify(user, totp.at(at - step), at).user is None  # older than the last accepted
    assert _verify(user, totp.at(at + 2 * step), at).user is None  # outside the window
    assert _verify(user, totp.at(at + step), at).user == user  # next step, within the window
    assert _verify(user, totp.at(at + step), at).user is None  # replay
    assert _verify(user, totp.at(at + 2 * step), at + 3 * step).user == user  # previous step, late clock


def test_a_changed_session_version_voids_the_pending_login(enrolled):
    user, totp, at = enrolled
    result = two_factor.verify_login(
        db.session,
        user.id,
        user.session_version + 1,
        totp.at(at + timedelta(seconds=30)),
        remote_addr=None,
        throttle=login_throttle.ThrottleRules(),
        now=at,
    )
    assert result.user is None and result.restart


def test_audit_diffs_redact_two_factor_secrets():
    assert audit.diff({"secret": "A", "recovery_codes": ["x"]}, {"secret": "B", "recovery_codes": ["y"]}) == {
        "recovery_codes": ["[redacted]", "[redacted]"],
        "secret": ["[redacted]", "[redacted]"],
    }


@pytest.mark.parametrize("code", ["١٢٣٤٥٦", "12345", "1234567", "", "abcd-efgh-ijkl-mnop", "' OR 1=1 --"])
def test_malformed_codes_are_refused_not_errors(enrolled, code):
    user, _, at = enrolled
    result = _verify(user, code, at)
    assert (result.user, result.error) == (None, "Invalid code.")
    with pytest.raises(two_factor.TwoFactorError):
        two_factor.disable(db.session, user, code, now=at)
