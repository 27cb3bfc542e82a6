"""Authentication (Flask-Login) and authorisation (Flask-Principal) wiring."""

from __future__ import annotations

from datetime import timedelta
from functools import partial

from flask import Flask, current_app, redirect, request, session, url_for
from flask_login import current_user
from flask_principal import Identity, Need, Permission, RoleNeed, UserNeed, identity_loaded

from mhc.auth import two_factor, views
from mhc.auth.login_steps import SESSION_TOKEN_KEY
from mhc.extensions import csrf, db, login_manager, principal
from mhc.models import SystemUser
from mhc.services.access import login_sessions, passwords

# A granted permission, kept apart from role names so a role called "view_users" grants nothing.
PermissionNeed = partial(Need, "permission")

# Endpoints reachable without logging in.
PUBLIC_ENDPOINTS = {"auth.login", "static", "admin.static", "theme_css.darkly", "healthz"}
PUBLIC_ENDPOINTS |= {"two_factor.login_code"}  # the second login step: before the login session exists


def init_auth(app: Flask) -> None:
    """Bind Flask-Login, Flask-Principal and CSRF; require login on every non-public endpoint."""
    passwords.configure(app.config["PASSWORD_HASH_TIME_COST"], app.config["PASSWORD_HASH_MEMORY_KIB"])
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = "strong"
    principal.init_app(app)
    principal.identity_loader(_identity_from_login)
    identity_loaded.connect_via(app)(_load_needs)
    app.register_blueprint(views.bp)
    app.register_blueprint(two_factor.bp)  # also sends users who must enrol to enrolment
    app.before_request(_require_login)


@login_manager.user_loader
def _load_user(user_id: str) -> SystemUser | None:
    # Every request, and Flask-Login's "remember me" cookie too (the panel never sets one): no open login
    # session row for the token in the signed cookie, no user.
    return login_sessions.resume(
        db.session,
        session.get(SESSION_TOKEN_KEY),
        user_id,
        idle=timedelta(minutes=current_app.config["SESSION_IDLE_MINUTES"]),
        max_age=timedelta(hours=current_app.config["SESSION_MAX_HOURS"]),
    )


def _identity_from_login() -> Identity | None:
    if current_user.is_authenticated:
        return Identity(current_user.get_id())
    return None


def _load_needs(sender, identity: Identity) -> None:
    """Put the user's role and each of its permission names into the identity."""
    user = current_user._get_current_object()
    identity.user = user
    if not getattr(user, "is_authenticated", False):
        return
    identity.provides.add(UserNeed(user.get_id()))
    if user.role:
        identity.provides.add(RoleNeed(user.role.name))
    for name in user.permission_names:
        identity.provides.add(PermissionNeed(name))


def _require_login():
    if request.endpoint in PUBLIC_ENDPOINTS or request.endpoint is None:
        return None
    if current_user.is_authenticated:
        return None
    if request.accept_mimetypes.best == "application/json" or request.path.startswith("/api/"):
        return {"error": "login required"}, 401
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


def can(name: str) -> bool:
    """True when the current identity holds the named permission."""
    if not current_user.is_authenticated:
        return False
    return Permission(PermissionNeed(name)).can()


def require(name: str):
    """Flask-Principal permission for one named permission (use as decorator or .require())."""
    return Permission(PermissionNeed(name))


def current_session_token() -> str | None:
    """The token of the login session this request belongs to (None when logged out)."""
    return session.get(SESSION_TOKEN_KEY)


def current_user_id():
    """The logged-in system user's id, or None outside a request."""
    return getattr(current_user, "id", None) if current_app and current_user else None
