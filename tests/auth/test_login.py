"""Login, logout, safe next, throttling, deactivated users, argon2 hashes."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from flask import g
from sqlalchemy import select

from mhc.extensions import db
from mhc.models import AuditLog, SystemUser
from mhc.services.access import accounts


def test_login_sets_last_login_and_audits(app, auth, make_user):
    user, password = make_user("viewer", username="vera")
    response = auth.login("vera@example.test", password)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    db.session.expire_all()
    assert db.session.get(SystemUser, user.id).last_login_at is not None
    actions = db.session.scalars(select(AuditLog.action).where(AuditLog.object_id == str(user.id))).all()
    assert sorted(actions) == ["create", "login"]


def test_password_hashes_are_argon2id(app, make_user):
    user, _ = make_user("viewer")
    assert user.password_hash.startswith("$argon2id$")


@pytest.mark.parametrize(
    "next_url", ["//evil.example", "https://evil.example", "javascript:alert(1)", "/\\evil.example", "/\t/evil.example"]
)
def test_open_redirect_lands_on_index(app, auth, make_user, next_url):
    user, password = make_user("viewer")
    response = auth.login(user.username, password, next_url=quote(next_url, safe=""))
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_same_site_next_is_followed(app, auth, make_user):
    user, password = make_user("admin")
    response = auth.login(user.username, password, next_url="/audit_log/")
    assert response.headers["Location"] == "/audit_log/"


def test_deactivated_user_cannot_log_in(app, auth, make_user):
    make_user("admin")  # someone must stay admin
    user, password = make_user("viewer")
    accounts.deactivate(db.session, [user.id])
    response = auth.login(user.username, password)
    assert response.status_code == 200
    assert "This account is deactivated." in response.get_data(as_text=True)


def test_deactivated_user_session_ends(app, client, login_as, make_user):
    make_user("admin")
    user = login_as("viewer")
    assert client.get("/").status_code == 200
    accounts.deactivate(db.session, [user.id])
    # The test shares one app context (and so `g`) with the client's requests: drop the cached user.
    g.pop("_login_user", None)
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def _fail(auth, login, times):
    for _ in range(times):
        assert auth.login(login, "wrong password").status_code == 200


def test_throttled_client_after_five_failures(app, auth, client, make_user):
    """Five failures from this client: its next attempt is refused, even with the right password."""
    user, password = make_user("viewer")
    _fail(auth, user.username, 5)
    response = auth.login(user.username, password)
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "900"
    assert "Too many failed logins. Try again in 15 minutes." in response.get_data(as_text=True)
    assert client.get("/").status_code == 302  # not logged in


def test_throttled_by_client_address_after_five_failures(app, auth, make_user):
    user, password = make_user("viewer")
    for n in range(5):
        _fail(auth, f"nobody{n}", 1)  # five different usernames from one address
    response = auth.login(user.username, password)
    assert response.status_code == 429
    assert "Too many failed logins." in response.get_data(as_text=True)


def test_four_failures_still_allow_login(app, auth, make_user):
    user, password = make_user("viewer")
    _fail(auth, user.username, 4)
    assert auth.login(user.username, password).status_code == 302


def test_logout_requires_post_and_ends_session(app, client, auth, login_as):
    login_as("viewer")
    assert client.get("/logout").status_code == 405
    response = client.post("/logout", data={"csrf_token": auth.csrf("/")})
    assert response.status_code == 302
    assert response.headers["Location"] == "/login"
    assert client.get("/").status_code == 302


def test_session_cookie_flags(app, auth, make_user):
    user, password = make_user("viewer")
    response = auth.login(user.username, password)
    cookie = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("session="))
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_every_response_refuses_framing_and_sniffing(client, login_as):
    """Login page, a panel page, a JSON endpoint and a static file: never framed, never sniffed."""
    responses = [client.get("/login")]
    login_as("admin")
    responses += [client.get("/users/directory/"), client.get("/profile/autocomplete.json?q=a")]
    responses.append(client.get("/static/users.js"))
    for response in responses:
        assert response.status_code == 200, response.request.path
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "same-origin"
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
        response.close()
