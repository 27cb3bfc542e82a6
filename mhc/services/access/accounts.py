"""System user accounts: authentication and role changes."""

from __future__ import annotations

import re
import secrets
import uuid

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from mhc.models import SystemPermission, SystemRole, SystemUser, utcnow
from mhc.services import audit
from mhc.services.access import login_sessions, login_throttle, two_factor
from mhc.services.access.login_throttle import LoginResult
from mhc.services.access.passwords import hash_password, needs_rehash, verify_password


class AccountError(ValueError):
    """A request about system users that the rules refuse; the message is for the user."""


def authenticate(
    session: Session, login: str, password: str, *, remote_addr: str | None, throttle: login_throttle.ThrottleRules
) -> LoginResult:
    """Check credentials (username or email), with throttling per client and per account; audit and commit."""
    login = (login or "").strip()
    user = session.scalars(
        select(SystemUser).where(
            or_(func.lower(SystemUser.username) == login.lower(), func.lower(SystemUser.email) == login.lower())
        )
    ).first()
    refusal = login_throttle.check(session, throttle, remote_addr=remote_addr, login=login, user=user)
    if refusal:
        changes = {"reason": refusal.reason, "wait_seconds": refusal.wait_seconds}
        _record_refusal(session, "login_throttled", user, login, remote_addr, changes)
        return LoginResult.throttled_by(refusal)
    ok = verify_password(user.password_hash if user else None, password)
    if not ok or not user.is_active:
        _record_refusal(session, "login_failed", user, login, remote_addr)
        return LoginResult(None, "Invalid username or password." if not ok else "This account is deactivated.")
    if needs_rehash(user.password_hash):  # the configured argon2 cost changed since this hash was made
        user.password_hash = hash_password(password)
    # With two-factor login on, the login completes (`login`, last_login_at) only at the second step.
    second_step = two_factor.is_enabled(session, user.id)
    if not second_step:
        user.last_login_at = utcnow()
    audit.record_change(
        session, user, "login_password" if second_step else "login", actor_id=user.id, remote_addr=remote_addr
    )
    session.commit()
    return LoginResult(user)


def _record_refusal(session: Session, action: str, user, login: str, remote_addr, changes=None) -> None:
    """Audit a refused login under the name typed (and the user, when it names one); commit."""
    audit.record(
        session,
        action=action,
        object_type="system_user",
        object_id=user.id if user else None,
        username=login,
        remote_addr=remote_addr,
        changes=changes,
    )
    session.commit()


# A new system user gets the least-privileged role unless another is chosen.
DEFAULT_ROLE = "viewer"


def create_user(
    session: Session,
    username: str,
    email: str,
    password: str,
    role_name: str = DEFAULT_ROLE,
    *,
    actor_id: uuid.UUID | None = None,
) -> SystemUser:
    """Create a system user with an argon2 password hash; audit and commit."""
    role = session.scalars(select(SystemRole).where(SystemRole.name == role_name)).first()
    if role is None:
        raise AccountError(f"no such role: {role_name}")
    username, email = _clean_identity(username, email)
    check_password(password)
    _refuse_clash(session, username, email)
    user = SystemUser(username=username, email=email, password_hash=hash_password(password), role=role, is_active=True)
    session.add(user)
    session.flush()
    audit.record_change(
        session,
        user,
        "create",
        actor_id=actor_id,
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


# --- editing system users, roles and grants -------------------------------------------------

ADMIN_PERMISSION = "manage_system_users"
MIN_PASSWORD_LENGTH = 8
USERNAME_PATTERN = re.compile(r"[A-Za-z0-9_.-]{3,64}")
USERNAME_RULE = "use 3 to 64 letters, digits, underscores, dots or hyphens"


def clean_username(username: str) -> str:
    """The username, trimmed, or AccountError when it breaks the username rule."""
    username = (username or "").strip()
    if not USERNAME_PATTERN.fullmatch(username):
        raise AccountError(f"Invalid username {username!r}: {USERNAME_RULE}.")
    return username


def clean_email(email: str) -> str:
    """The email address normalised to lower case, or AccountError saying what is wrong with it.

    The panel sends no mail, so nothing is looked up (no DNS). The domain needs a dot; the reserved "test"
    domains are accepted (the test suite and demo data use them), other special-use names such as localhost are not.
    """
    email = (email or "").strip()
    try:
        checked = validate_email(email, check_deliverability=False, test_environment=True)
    except EmailNotValidError as exc:
        raise AccountError(f"Invalid email address {email!r}: {exc}") from exc
    return checked.normalized.lower()


def _clean_identity(username: str, email: str) -> tuple[str, str]:
    return clean_username(username), clean_email(email)


def check_password(password: str) -> None:
    """AccountError unless the password follows the rules every new password must (creation, reset, own change)."""
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise AccountError(f"passwords need at least {MIN_PASSWORD_LENGTH} characters")


def _refuse_clash(session: Session, username: str, email: str, exclude_id=None) -> None:
    query = select(SystemUser.id).where(
        or_(func.lower(SystemUser.username) == username.lower(), func.lower(SystemUser.email) == email)
    )
    if exclude_id is not None:
        query = query.where(SystemUser.id != exclude_id)
    if session.scalars(query).first() is not None:
        raise AccountError(f"a system user with username {username!r} or email {email!r} already exists")


def _role(session: Session, role_name: str) -> SystemRole:
    role = session.scalars(select(SystemRole).where(SystemRole.name == role_name)).first()
    if role is None:
        raise AccountError(f"no such role: {role_name}")
    return role


def _snapshot(user: SystemUser) -> dict:
    return {
        "username": user.username,
        "email": user.email,
        "role": user.role.name if user.role else None,
        "is_active": user.is_active,
        "password_hash": user.password_hash,
    }


def admin_user_ids(session: Session) -> set:
    """Ids of active system users whose role grants manage_system_users (the panel's admins)."""
    query = (
        select(SystemUser.id)
        .join(SystemRole, SystemUser.role_id == SystemRole.id)
        .join(SystemRole.permissions)
        .where(SystemUser.is_active.is_(True), SystemPermission.name == ADMIN_PERMISSION)
    )
    return set(session.scalars(query))


class _AdminGuard:
    """Remembers whether the actor is an admin before a change; refuses a result without admins."""

    def __init__(self, session: Session, actor_id: uuid.UUID | None):
        self.session, self.actor_id = session, actor_id
        self.actor_was_admin = self.actor_id is not None and self.actor_id in admin_user_ids(session)

    def commit(self) -> None:
        """Flush, refuse no active admin left or the actor stripped of admin rights, else commit."""
        self.session.flush()
        admins = admin_user_ids(self.session)
        if not admins:
            self.session.rollback()
            raise AccountError("Refused: this would leave no active admin (someone must keep manage_system_users).")
        if self.actor_was_admin and self.actor_id not in admins:
            self.session.rollback()
            raise AccountError("Refused: you cannot remove your own admin rights.")
        self.session.commit()


def _load(session: Session, user_id) -> SystemUser:
    user = session.get(SystemUser, user_id)
    if user is None:
        raise AccountError("no such system user")
    return user


def update_user(
    session: Session,
    user_id,
    *,
    actor_id: uuid.UUID | None = None,
    username: str | None = None,
    email: str | None = None,
    role_name: str | None = None,
    is_active: bool | None = None,
    new_password: str | None = None,
    keep_session: str | None = None,
) -> SystemUser:
    """Change the given fields of one system user (None = keep); audit the diff and commit once.

    A new password, role or active state ends every session of the user, except `keep_session` (the acting
    user's own session token, so changing your own password does not log you out).
    """
    user = _load(session, user_id)
    guard = _AdminGuard(session, actor_id)
    before = _snapshot(user)
    _set_identity(session, user, username, email)
    if role_name is not None:
        user.role = _role(session, role_name)
    if is_active is not None:
        user.is_active = bool(is_active)
    if new_password:
        check_password(new_password)
        user.password_hash = hash_password(new_password)
    changes = audit.diff(before, _snapshot(user))
    if changes.keys() & SESSION_ENDING_FIELDS:
        login_sessions.revoke_all(session, user, "account_changed", keep=keep_session if user.is_active else None)
    if changes:
        audit.record_change(session, user, "update", actor_id=actor_id, changes=changes)
    guard.commit()
    return user


# Changing one of these ends the user's sessions: a session must not outlive the password, role or
# active state it was opened under.
SESSION_ENDING_FIELDS = {"password_hash", "role", "is_active"}


def _set_identity(session: Session, user: SystemUser, username: str | None, email: str | None) -> None:
    """Apply a new username or email; only a changed value is checked, so older accounts stay editable."""
    name = user.username if username is None or username.strip() == user.username else clean_username(username)
    mail = user.email if email is None or email.strip().lower() == user.email else clean_email(email)
    if (name, mail) != (user.username, user.email):
        _refuse_clash(session, name, mail, exclude_id=user.id)
        user.username, user.email = name, mail


def set_role(session: Session, username: str, role_name: str, *, actor_id: uuid.UUID | None = None) -> SystemUser:
    """Give the named system user another role (by username or email)."""
    user = session.scalars(
        select(SystemUser).where(
            or_(func.lower(SystemUser.username) == username.lower(), func.lower(SystemUser.email) == username.lower())
        )
    ).first()
    if user is None:
        raise AccountError(f"no such system user: {username}")
    return update_user(session, user.id, actor_id=actor_id, role_name=role_name)


def set_active(session: Session, user_ids, active: bool, *, actor_id: uuid.UUID | None = None) -> int:
    """Activate or deactivate several system users; audit each change; commit once. Returns how many changed."""
    guard = _AdminGuard(session, actor_id)
    users = session.scalars(select(SystemUser).where(SystemUser.id.in_(list(user_ids)))).all()
    changed = [u for u in users if u.is_active != active]
    for user in changed:
        user.is_active = active
        login_sessions.revoke_all(session, user, "activated" if active else "deactivated")
        audit.record_change(
            session,
            user,
            "activate" if active else "deactivate",
            actor_id=actor_id,
            changes={"is_active": [not active, active]},
        )
    guard.commit()
    return len(changed)


def deactivate(session: Session, user_ids, *, actor_id: uuid.UUID | None = None) -> int:
    """Deactivate system users (the last active admin is refused)."""
    return set_active(session, user_ids, False, actor_id=actor_id)


def grants(session: Session) -> dict[str, set[str]]:
    """Role name -> the permission names it holds."""
    roles = session.scalars(select(SystemRole).order_by(SystemRole.name)).all()
    return {role.name: {p.name for p in role.permissions} for role in roles}


def set_grants(session: Session, wanted: dict[str, set[str]], *, actor_id: uuid.UUID | None = None) -> int:
    """Make each listed role hold exactly the given permissions; audit per role; commit once."""
    guard = _AdminGuard(session, actor_id)
    roles = {r.name: r for r in session.scalars(select(SystemRole).where(SystemRole.name.in_(list(wanted))))}
    by_name = {p.name: p for p in session.scalars(select(SystemPermission))}
    unknown = sorted(set(wanted) - set(roles)) + sorted({n for names in wanted.values() for n in names} - set(by_name))
    if unknown:
        raise AccountError(f"unknown roles or permissions: {', '.join(unknown)}")
    changed = 0
    for name, role in sorted(roles.items()):
        before = sorted(p.name for p in role.permissions)
        after = sorted(wanted[name])
        if before == after:
            continue
        role.permissions = [by_name[n] for n in after]
        changed += 1
        audit.record_change(session, role, "set_grants", actor_id=actor_id, changes={"permissions": [before, after]})
    guard.commit()
    return changed


def list_users(session: Session) -> list[SystemUser]:
    """All system users by username, roles loaded."""
    return list(session.scalars(select(SystemUser).order_by(SystemUser.username)))
