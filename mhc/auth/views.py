"""Login and logout."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, logout_user
from flask_principal import AnonymousIdentity, identity_changed
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from mhc.auth.login_steps import SESSION_TOKEN_KEY, finish_login, refused, safe_next, start_second_step
from mhc.extensions import db
from mhc.services.access import accounts, login_sessions, login_throttle, two_factor

bp = Blueprint("auth", __name__)


class LoginForm(FlaskForm):
    """Username or email, and password."""

    login = StringField("Username or email", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=1024)])


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Show the login form; on success go to a safe `next` or the index."""
    if current_user.is_authenticated:
        return redirect(url_for("admin.index"))
    form = LoginForm()
    if form.validate_on_submit():
        result = accounts.authenticate(
            db.session,
            form.login.data,
            form.password.data,
            remote_addr=request.remote_addr,
            throttle=login_throttle.ThrottleRules.from_config(current_app.config),
        )
        if result.user is None:
            return refused(result, "auth/login.html", form)
        if two_factor.is_enabled(db.session, result.user.id):
            return start_second_step(result.user, safe_next(request.args.get("next")))
        return finish_login(result.user, request.args.get("next"))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout():
    """Log out (POST only, CSRF-protected): this session ends for good, even in a copied cookie."""
    token = session.get(SESSION_TOKEN_KEY)
    if current_user.is_authenticated:
        login_sessions.end(db.session, token, user_id=current_user.id, remote_addr=request.remote_addr)
    return _logged_out("You are logged out.")


@bp.route("/logout/everywhere", methods=["POST"])
def logout_everywhere():
    """End every session of the current user, on every device (POST only, CSRF-protected)."""
    if current_user.is_authenticated:
        login_sessions.end_everywhere(
            db.session, [current_user.id], actor_id=current_user.id, remote_addr=request.remote_addr
        )
    return _logged_out("You are logged out everywhere.")


def _logged_out(message: str):
    """Forget the login in this cookie and go to the login page."""
    session.pop(SESSION_TOKEN_KEY, None)
    logout_user()
    identity_changed.send(current_app._get_current_object(), identity=AnonymousIdentity())
    flash(message, "info")
    return redirect(url_for("auth.login"))
