"""Behind a proxy (X-Forwarded-* trusted only from configured hops) and the security headers on every response."""

from __future__ import annotations

import re

import pytest
from flask import request
from sqlalchemy import select

from config import Config, ConfigError
from mhc.extensions import db
from mhc.models import AuditLog, SystemSession

# As two proxies in a row write them: each appends what it saw (the client, then the first proxy).
FORWARDED = {
    "X-Forwarded-For": "198.51.100.1, 203.0.113.7",
    "X-Forwarded-Proto": "https, https",
    "X-Forwarded-Host": "mhc.example, mhc.example",
}


def _seen(app) -> list[tuple[str, str, str]]:
    """Records (remote_addr, scheme, host) as the app sees each request."""
    seen = []

    def record():
        seen.append((request.remote_addr, request.scheme, request.host))

    app.before_request(record)
    return seen


def _log_in_behind_proxy(client, auth, make_user, *, right: bool = False):
    user, password = make_user("viewer", username="vera")
    token = auth.csrf("/login")
    # Over https, CSRF protection also wants a same-site Referer: the public address the browser is on.
    referer = "https://mhc.example/login"
    return client.post(
        "/login",
        data={"login": "vera", "password": password if right else "wrong password", "csrf_token": token},
        headers={**FORWARDED, "Referer": referer},
        environ_base={"REMOTE_ADDR": "127.0.0.1"},
    )


@pytest.mark.parametrize(
    "app_config, expected",
    [
        ({}, ("127.0.0.1", "http", "localhost")),  # default: X-Forwarded-* ignored
        ({"PROXY_HOPS": 1}, ("203.0.113.7", "https", "mhc.example")),  # one trusted proxy: its last entry only
        ({"PROXY_HOPS": 2}, ("198.51.100.1", "https", "mhc.example")),
    ],
)
def test_forwarded_headers_are_honoured_only_from_trusted_hops(app, client, auth, make_user, expected):
    seen = _seen(app)
    assert _log_in_behind_proxy(client, auth, make_user).status_code == 200
    assert seen[-1] == expected
    row = db.session.scalars(select(AuditLog).where(AuditLog.action == "login_failed")).one()
    assert row.remote_addr == expected[0]  # the audit log records the real client


@pytest.mark.parametrize("app_config", [{"PROXY_HOPS": 1}])
def test_login_session_records_the_forwarded_address(app, client, auth, make_user):
    assert _log_in_behind_proxy(client, auth, make_user, right=True).status_code == 302
    assert db.session.scalars(select(SystemSession.remote_addr)).one() == "203.0.113.7"
    assert db.session.scalars(select(AuditLog.remote_addr).where(AuditLog.action == "login")).one() == "203.0.113.7"


def test_proxy_hops_from_the_environment(tmp_path):
    base = {"MHC_INSTANCE_DIR": str(tmp_path)}
    assert Config.from_env(base).PROXY_HOPS == 0
    assert Config.from_env({**base, "MHC_PROXY_HOPS": "1"}).PROXY_HOPS == 1
    for bad in ("-1", "6", "one"):
        with pytest.raises(ConfigError, match="MHC_PROXY_HOPS"):
            Config.from_env({**base, "MHC_PROXY_HOPS": bad})


@pytest.mark.parametrize(
    "app_config, hsts",
    [({}, None), ({"MHC_ENV": "production"}, "max-age=31536000; includeSubDomains")],
)
def test_hsts_only_in_production(client, hsts):
    response = client.get("/login")
    assert response.headers.get("Strict-Transport-Security") == hsts


NONCE_RE = re.compile(r"script-src 'self' 'nonce-([A-Za-z0-9_-]{24})';")
SCRIPT_TAG_RE = re.compile(r"<script\b[^>]*>", re.IGNORECASE)
INLINE_HANDLER_RE = re.compile(r"<[^>]*\son[a-z]+\s*=", re.IGNORECASE)
PAGES = ["/", "/users/directory/", "/system_users/", "/system_users/new/", "/audit_log/", "/jobs/", "/events/"]


def _nonce(response) -> str:
    policy = response.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy
    match = NONCE_RE.search(policy)
    assert match, policy
    return match.group(1)


def test_csp_nonce_is_fresh_and_on_every_script_tag(app, client, login_as):
    login_as("admin")
    nonces = []
    for path in PAGES:
        response = client.get(path)
        assert response.status_code == 200, path
        html = response.get_data(as_text=True)
        nonce = _nonce(response)
        tags = SCRIPT_TAG_RE.findall(html)
        assert tags, path
        assert [t for t in tags if f'nonce="{nonce}"' not in t] == [], path
        assert INLINE_HANDLER_RE.findall(html) == [], path
        nonces.append(nonce)
    assert len(set(nonces)) == len(PAGES)  # a fresh nonce per request


def test_login_page_and_json_carry_the_policy_too(client):
    assert _nonce(client.get("/login"))
    response = client.get("/healthz")
    assert _nonce(response) and response.headers["X-Frame-Options"] == "DENY"
