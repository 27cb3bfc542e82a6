"""The steps both login pages share: open the login session, remember a half-done login, check `next`.

Between a correct password and the second step's code, Flask's session holds a value signed with SECRET_KEY
(its own salt) and timestamped: the user's id and session version, and where to go next. It is honoured for
TWO_FACTOR_PENDING_SECONDS only; no login session row exists until the code is accepted.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_login import login_user
from flask_principal import Identity, identity_changed
from itsdangerous import BadSignature, URLSafeTimedSerializer

from mhc.extensions import db
from mhc.services.access import login_sessions

# The key under which Flask's signed session cookie carries the login session's token.
SESSION_TOKEN_KEY = "mhc_login_session"  # noqa: S105 (a key name, not a secret)
# The key of the half-done login (password accepted, code not yet given).
PENDING_KEY = "mhc_two_factor_pending"
_SALT = "mhc-two-factor-pending"


def safe_next(target: str | None) -> str | None:
    """Return target only if it is a same-site relative path; else None."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in target):
        return None  # browsers drop tabs and newlines, so "/\t/evil.example" would become "//evil.example"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def refused(result, template: str, form):
    """The step's page again with the refusal's message (a login or a code result); 429 with Retry-After
    when the attempts were throttled."""
    flash(result.error, "error")
    page = render_template(template, form=form)
    if result.throttled:
        return page, 429, {"Retry-After": str(result.retry_after)}
    return page


def finish_login(user, next_target: str | None):
    """Open the login session (its row, and the token in the cookie) and go to a safe `next` or the index.

    With two-factor login on, this runs only after the second step."""
    session[SESSION_TOKEN_KEY] = login_sessions.start(
        db.session, user, remote_addr=request.remote_addr, user_agent=request.user_agent.string
    )
    login_user(user)
    identity_changed.send(current_app._get_current_object(), identity=Identity(user.get_id()))
    return redirect(safe_next(next_target) or url_for("admin.index"))


def start_second_step(user, next_target: str | None):
    """Remember the half-done login (signed, timestamped) and ask for the code."""
    payload = {"u": str(user.id), "v": user.session_version, "n": next_target}
    session[PENDING_KEY] = _serializer().dumps(payload)
    return redirect(url_for("two_factor.login_code"))


def pending_login() -> dict | None:
    """The pending login when its signature is good and it is younger than TWO_FACTOR_PENDING_SECONDS."""
    raw = session.get(PENDING_KEY)
    if not raw:
        return None
    try:
        return _serializer().loads(raw, max_age=current_app.config["TWO_FACTOR_PENDING_SECONDS"])
    except BadSignature:  # also an expired one (SignatureExpired)
        return None


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt=_SALT)
