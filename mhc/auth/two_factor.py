"""The second login step (a TOTP or recovery code), the pending state between the two steps, and the rule
that sends a user whose role requires two-factor login to enrolment before anything else.

Between a correct password and the code, Flask's session holds a value signed with SECRET_KEY (its own salt)
and timestamped: the user's id and session version, and where to go next. It is honoured for
TWO_FACTOR_PENDING_SECONDS only; no login session row exists until the code is accepted.
"""

from __future__ import annotations

import uuid

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from itsdangerous import BadSignature, URLSafeTimedSerializer
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from mhc.auth.views import finish_login
from mhc.extensions import db
from mhc.services.access import login_throttle, two_factor

bp = Blueprint("two_factor", __name__)

PENDING_KEY = "mhc_two_factor_pending"
_SALT = "mhc-two-factor-pending"

# What a user who must still enrol may reach: the enrolment pages, logging out, and public pages.
ENROLMENT_ENDPOINTS = {
    "account_two_factor.index",
    "account_two_factor.setup",
    "account_two_factor.confirm",
    "auth.login",
    "auth.logout",
    "auth.logout_everywhere",
    "two_factor.login_code",
    "static",
    "admin.static",
    "healthz",
}


class CodeForm(FlaskForm):
    """The six-digit code from the authenticator app, or a recovery code."""

    code = StringField("Code", validators=[DataRequired(), Length(max=64)])


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt=_SALT)


def start_second_step(user, next_target: str | None):
    """Remember the half-done login (signed, timestamped) and ask for the code."""
    payload = {"u": str(user.id), "v": user.session_version, "n": next_target}
    session[PENDING_KEY] = _serializer().dumps(payload)
    return redirect(url_for("two_factor.login_code"))


def _pending() -> dict | None:
    """The pending login when its signature is good and it is younger than TWO_FACTOR_PENDING_SECONDS."""
    raw = session.get(PENDING_KEY)
    if not raw:
        return None
    try:
        return _serializer().loads(raw, max_age=current_app.config["TWO_FACTOR_PENDING_SECONDS"])
    except BadSignature:  # also an expired one (SignatureExpired)
        return None


@bp.route("/login/two-factor", methods=["GET", "POST"])
def login_code():
    """Second login step: a correct code completes the login started with the password."""
    if current_user.is_authenticated:
        return redirect(url_for("admin.index"))
    pending = _pending()
    if pending is None:
        return _restart("Your login expired; log in again.")
    form = CodeForm()
    if not form.validate_on_submit():
        return render_template("auth/two_factor.html", form=form)
    result = two_factor.verify_login(
        db.session,
        uuid.UUID(pending["u"]),
        pending["v"],
        form.code.data,
        remote_addr=request.remote_addr,
        throttle=login_throttle.ThrottleRules.from_config(current_app.config),
    )
    if result.restart:
        return _restart(result.error)
    if result.user is None:
        flash(result.error, "error")
        if result.throttled:
            return render_template("auth/two_factor.html", form=form), 429, {"Retry-After": str(result.retry_after)}
        return render_template("auth/two_factor.html", form=form)
    session.pop(PENDING_KEY, None)
    return finish_login(result.user, pending.get("n"))


def _restart(message: str):
    session.pop(PENDING_KEY, None)
    flash(message, "info")
    return redirect(url_for("auth.login"))


@bp.before_app_request
def _require_enrolment():
    """A logged-in user whose role requires two-factor login and who has not turned it on reaches only
    the enrolment pages (and logout) until they do."""
    if request.endpoint is None or request.endpoint in ENROLMENT_ENDPOINTS:
        return None
    if not current_user.is_authenticated or not two_factor.enrolment_required(db.session, current_user):
        return None
    if request.accept_mimetypes.best == "application/json" or request.path.startswith("/api/"):
        return {"error": "two-factor login must be set up first"}, 403
    flash("Your role requires two-factor login: set it up to continue.", "info")
    return redirect(url_for("account_two_factor.index"))
