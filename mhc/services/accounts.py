"""System user accounts: authentication and role changes."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from mhc.auth.passwords import hash_password, verify_password
from mhc.models import SystemRole, SystemUser, utcnow
from mhc.services import audit


class AccountError(ValueError):
    """A request about system users that the rules refuse; the message is for the user."""


@dataclass
class LoginResult:
    """Outcome of one login attempt."""

    user: SystemUser | None
    error: str | None = None


def authenticate(
    session: Session, login: str, password: str, *, remote_addr: str | None, max_failures: int, window_seconds: int
) -> LoginResult:
    """Check credentials (username or email), with throttling; audit the attempt and commit."""
    login = (login or "").strip()
    if audit.recent_login_failures(session, login, remote_addr, window_seconds) >= max_failures:
        minutes = window_seconds // 60
        audit.record(
            session, action="login_throttled", object_type="system_user", username=login, remote_addr=remote_addr
        )
        session.commit()
        return LoginResult(None, f"Too many failed logins. Try again in {minutes} minutes.")
    user = session.scalars(
        select(SystemUser).where(
            or_(func.lower(SystemUser.username) == login.lower(), func.lower(SystemUser.email) == login.lower())
        )
    ).first()
    ok = verify_password(user.password_hash if user else None, password)
    if not ok or not user.is_active:
        audit.record(
            session,
            action="login_failed",
            object_type="system_user",
            object_id=user.id if user else None,
            username=login,
            remote_addr=remote_addr,
        )
        session.commit()
        return LoginResult(None, "Invalid username or password." if not ok else "This account is deactivated.")
    user.last_login_at = utcnow()
    audit.record(
        session, action="login", object_type="system_user", object_id=user.id, user=user, remote_addr=remote_addr
    )
    session.commit()
    return LoginResult(user)


def create_user(
    session: Session, username: str, email: str, password: str, role_name: str, *, actor=None
) -> SystemUser:
    """Create a system user with an argon2 password hash; audit and commit."""
    role = session.scalars(select(SystemRole).where(SystemRole.name == role_name)).first()
    if role is None:
        raise AccountError(f"no such role: {role_name}")
    username, email = username.strip(), email.strip().lower()
    clash = session.scalars(
        select(SystemUser).where(or_(func.lower(SystemUser.username) == username.lower(), SystemUser.email == email))
    ).first()
    if clash:
        raise AccountError(f"a system user with username {username!r} or email {email!r} already exists")
    user = SystemUser(username=username, email=email, password_hash=hash_password(password), role=role, is_active=True)
    session.add(user)
    session.flush()
    audit.record(
        session,
        action="create",
        object_type="system_user",
        object_id=user.id,
        user=actor,
        changes={"username": [None, username], "email": [None, email], "role": [None, role_name]},
    )
    session.commit()
    return user


def generate_password() -> str:
    """A random password a person can still type."""
    return secrets.token_urlsafe(12)


def ensure_admin(session: Session, username: str, email: str, password: str | None) -> tuple[SystemUser, str | None]:
    """Create an admin if no active admin exists; return it and the password when one was generated."""
    existing = session.scalars(
        select(SystemUser).join(SystemRole).where(SystemRole.name == "admin", SystemUser.is_active.is_(True))
    ).first()
    if existing:
        return existing, None
    generated = password or generate_password()
    user = create_user(session, username, email, generated, "admin")
    return user, generated
