"""Login and logout."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_user, logout_user
from flask_principal import AnonymousIdentity, Identity, identity_changed
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from mhc.extensions import db
from mhc.services import accounts, audit

bp = Blueprint("auth", __name__)


class LoginForm(FlaskForm):
    """Username or email, and password."""

    login = StringField("Username or email", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=1024)])


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
            max_failures=current_app.config["LOGIN_MAX_FAILURES"],
            window_seconds=current_app.config["LOGIN_WINDOW_SECONDS"],
        )
        if result.user is None:
            flash(result.error, "error")
            return render_template("auth/login.html", form=form), 429 if result.throttled else 200
        login_user(result.user)
        identity_changed.send(current_app._get_current_object(), identity=Identity(result.user.get_id()))
        return redirect(safe_next(request.args.get("next")) or url_for("admin.index"))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout():
    """Log out (POST only, CSRF-protected) and return to the login page."""
    if current_user.is_authenticated:
        audit.record(
            db.session,
            action="logout",
            object_type="system_user",
            object_id=current_user.id,
            user=current_user,
            remote_addr=request.remote_addr,
        )
        db.session.commit()
    logout_user()
    identity_changed.send(current_app._get_current_object(), identity=AnonymousIdentity())
    flash("You are logged out.", "info")
    return redirect(url_for("auth.login"))
