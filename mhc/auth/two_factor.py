"""The second login step (a TOTP or recovery code) and the rule that sends a user whose role requires
two-factor login to enrolment before anything else. The pending state between the two steps is kept by
mhc/auth/login_steps.py.
"""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from mhc.auth.login_steps import PENDING_KEY, finish_login, pending_login, refused
from mhc.extensions import db
from mhc.models import parse_uuid
from mhc.services.access import login_throttle, two_factor

bp = Blueprint("two_factor", __name__)

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
    "theme_css.darkly",
    "healthz",
}


class CodeForm(FlaskForm):
    """The six-digit code from the authenticator app, or a recovery code."""

    code = StringField("Code", validators=[DataRequired(), Length(max=64)])


@bp.route("/login/two-factor", methods=["GET", "POST"])
def login_code():
    """Second login step: a correct code completes the login started with the password."""
    if current_user.is_authenticated:
        return redirect(url_for("admin.index"))
    pending = pending_login()
    if pending is None:
        return _restart("Your login expired; log in again.")
    form = CodeForm()
    if not form.validate_on_submit():
        return render_template("auth/two_factor.html", form=form)
    result = two_factor.verify_login(
        db.session,
        parse_uuid(pending["u"]),
        pending["v"],
        form.code.data,
        remote_addr=request.remote_addr,
        throttle=login_throttle.ThrottleRules.from_config(current_app.config),
    )
    if result.restart:
        return _restart(result.error)
    if result.user is None:
        return refused(result, "auth/two_factor.html", form)
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
