"""Two-factor login (TOTP) for system users: enrolment, the second login step, recovery codes, resets.

The rules are explained in docs/production.md ("Two-factor login"). The TOTP secret is stored encrypted
(mhc.services.crypto), shown only while enrolment is pending, and never logged or put into an audit diff.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime

import pyotp
from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from mhc.models import SystemRecoveryCode, SystemRole, SystemTwoFactor, SystemUser, utcnow
from mhc.services import audit, crypto
from mhc.services.access import login_sessions, login_throttle
from mhc.services.access.login_throttle import LoginResult
from mhc.services.access.passwords import verify_password

RECOVERY_CODE_COUNT = 10
# Codes of the step before and after the current 30-second step are accepted too, for clock drift.
STEP_WINDOW = 1
TOTP_CODE = re.compile(r"[0-9]{6}")  # ASCII digits only: other scripts' digits are not codes
RECOVERY_ALPHABET = "abcdefghijklmnopqrstuvwxyz234567"  # base32: 5 bits a letter, no 0/1/8/9 to misread


class TwoFactorError(ValueError):
    """A two-factor request the rules refuse; the message is for the user."""


@dataclass
class TwoFactorStatus:
    """What the account page shows about one user's two-factor login."""

    enabled: bool
    pending: bool
    confirmed_at: datetime | None
    recovery_codes_left: int
    required: bool


def _row(session: Session, user_id) -> SystemTwoFactor | None:
    return session.get(SystemTwoFactor, user_id)


def is_enabled(session: Session, user_id) -> bool:
    """True when the user has confirmed two-factor login (so every login asks for a code)."""
    row = _row(session, user_id)
    return row is not None and row.confirmed_at is not None


def enrolment_required(session: Session, user: SystemUser) -> bool:
    """True when the user's role requires two-factor login and the user has not turned it on yet."""
    return bool(user.role and user.role.require_two_factor) and not is_enabled(session, user.id)


def status(session: Session, user: SystemUser) -> TwoFactorStatus:
    """The user's two-factor state for the account page."""
    row = _row(session, user.id)
    left = session.scalar(
        select(func.count())
        .select_from(SystemRecoveryCode)
        .where(SystemRecoveryCode.user_id == user.id, SystemRecoveryCode.used_at.is_(None))
    )
    enabled = row is not None and row.confirmed_at is not None
    return TwoFactorStatus(
        enabled=enabled,
        pending=row is not None and not enabled,
        confirmed_at=row.confirmed_at if enabled else None,
        recovery_codes_left=left or 0,
        required=bool(user.role and user.role.require_two_factor),
    )


def begin_enrolment(session: Session, user: SystemUser) -> str:
    """Create (or replace) a pending secret for the user; return it to show once. Commits."""
    row = _row(session, user.id)
    if row is not None and row.confirmed_at is not None:
        raise TwoFactorError("Two-factor login is already on.")
    secret = pyotp.random_base32()
    if row is None:
        row = SystemTwoFactor(user_id=user.id)
        session.add(row)
    row.secret, row.created_at, row.last_used_step = crypto.encrypt(secret), utcnow(), None
    session.commit()
    return secret


def pending_secret(session: Session, user: SystemUser) -> str | None:
    """The secret of a pending enrolment (to show as QR code and text); None once confirmed or when absent."""
    row = _row(session, user.id)
    if row is None or row.confirmed_at is not None:
        return None
    return crypto.reveal(row.secret)


def provisioning_uri(secret: str, username: str, issuer: str) -> str:
    """The otpauth:// URI an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=issuer)


def confirm_enrolment(session: Session, user: SystemUser, code: str, *, now: datetime | None = None) -> list[str]:
    """Turn two-factor login on once a current code proves the app holds the secret; return the new
    recovery codes (shown once). Audits and commits."""
    row = _row(session, user.id)
    if row is None or row.confirmed_at is not None:
        raise TwoFactorError("There is no pending two-factor setup; start again.")
    if not _accept_totp(session, row, code, now or utcnow()):
        raise TwoFactorError("That code is not valid; check the clock of your device and try the next code.")
    row.confirmed_at = now or utcnow()
    codes = _replace_recovery_codes(session, user.id)
    audit.record_change(session, user, "two_factor_enabled", actor_id=user.id)
    session.commit()
    return codes


def verify_login(
    session: Session,
    user_id,
    session_version: int,
    code: str,
    *,
    remote_addr: str | None,
    throttle: login_throttle.ThrottleRules,
    now: datetime | None = None,
) -> LoginResult:
    """Check the second login step's code (TOTP or recovery code); a wrong code is a failed login, counted by
    the same throttle as wrong passwords. A right one completes the login (audited as `login`). Commits."""
    user = session.get(SystemUser, user_id)
    still_valid = user is not None and user.is_active and user.session_version == session_version
    if not still_valid or not is_enabled(session, user_id):
        return LoginResult(None, "Your login is no longer valid; log in again.", restart=True)
    record = dict(object_type="system_user", object_id=user.id, username=user.username, remote_addr=remote_addr)
    refusal = login_throttle.check(session, throttle, remote_addr=remote_addr, login=user.username, user=user)
    if refusal:
        audit.record(session, action="login_throttled", changes={"step": [None, "two_factor"]}, **record)
        session.commit()
        return LoginResult.throttled_by(refusal)
    method = _check_code(session, _row(session, user_id), code, now or utcnow())
    if method is None:
        audit.record(session, action="login_failed", changes={"step": [None, "two_factor"]}, **record)
        session.commit()
        return LoginResult(None, "Invalid code.")
    user.last_login_at = utcnow()
    audit.record(session, action="login", actor_id=user.id, changes={"two_factor": [None, method]}, **record)
    session.commit()
    return LoginResult(user)


def regenerate_recovery_codes(
    session: Session, user: SystemUser, proof: str, *, now: datetime | None = None
) -> list[str]:
    """Replace the user's recovery codes (a current code or the password proves it is them). Audits and commits."""
    row = _enabled_row(session, user)
    _check_proof(session, user, row, proof, now or utcnow())
    codes = _replace_recovery_codes(session, user.id)
    audit.record_change(session, user, "two_factor_codes_regenerated", actor_id=user.id)
    session.commit()
    return codes


def disable(session: Session, user: SystemUser, proof: str, *, now: datetime | None = None) -> None:
    """Turn two-factor login off (a current code or the password proves it is them). Audits and commits."""
    row = _enabled_row(session, user)
    if user.role and user.role.require_two_factor:
        raise TwoFactorError(f"The {user.role.name} role requires two-factor login; it cannot be turned off.")
    _check_proof(session, user, row, proof, now or utcnow())
    _remove(session, user.id)
    audit.record_change(session, user, "two_factor_disabled", actor_id=user.id)
    session.commit()


def reset(session: Session, user_id, *, actor_id: uuid.UUID | None) -> bool:
    """An admin removes a user's two-factor login (a lost or stolen device); True when there was one. The user's
    open sessions end too, since whoever holds the device may hold one. Audits and commits."""
    user = session.get(SystemUser, user_id)
    if user is None:
        raise TwoFactorError("no such system user")
    had = _row(session, user_id) is not None
    _remove(session, user_id)
    if had:
        login_sessions.revoke_all(session, user, "two_factor_reset")
    audit.record(
        session,
        action="two_factor_reset",
        object_type="system_user",
        object_id=user_id,
        actor_id=actor_id,
        changes={"two_factor": ["on" if had else "off", "off"]},
    )
    session.commit()
    return had


def set_required_roles(session: Session, required: set[str], *, actor_id: uuid.UUID | None) -> int:
    """Make exactly the named roles require two-factor login; audit each change; commit. Returns how many changed."""
    changed = 0
    for role in session.scalars(select(SystemRole).order_by(SystemRole.name)):
        wanted = role.name in required
        if role.require_two_factor == wanted:
            continue
        audit.record_change(
            session,
            role,
            "set_two_factor_required",
            actor_id=actor_id,
            changes={"require_two_factor": [role.require_two_factor, wanted]},
        )
        role.require_two_factor = wanted
        changed += 1
    session.commit()
    return changed


@dataclass
class UserTwoFactorRow:
    """One line of the admins' two-factor overview."""

    id: object
    username: str
    role: str | None
    is_active: bool
    state: str  # "on", "pending" or "off"
    confirmed_at: datetime | None


def overview(session: Session) -> list[UserTwoFactorRow]:
    """Every system user with their two-factor state, by username (one query)."""
    query = (
        select(SystemUser, SystemRole.name, SystemTwoFactor.confirmed_at, SystemTwoFactor.user_id)
        .outerjoin(SystemRole, SystemUser.role_id == SystemRole.id)
        .outerjoin(SystemTwoFactor, SystemTwoFactor.user_id == SystemUser.id)
        .order_by(SystemUser.username)
    )
    return [
        UserTwoFactorRow(user.id, user.username, role, user.is_active, _state(has_row, confirmed), confirmed)
        for user, role, confirmed, has_row in session.execute(query)
    ]


def _state(has_row, confirmed_at) -> str:
    if has_row is None:
        return "off"
    return "on" if confirmed_at is not None else "pending"


# --- codes -----------------------------------------------------------------------------------


def _enabled_row(session: Session, user: SystemUser) -> SystemTwoFactor:
    row = _row(session, user.id)
    if row is None or row.confirmed_at is None:
        raise TwoFactorError("Two-factor login is not on.")
    return row


def _check_proof(session: Session, user: SystemUser, row: SystemTwoFactor, proof: str, now: datetime) -> None:
    """A current TOTP code (six digits) or the account's password; raise TwoFactorError otherwise."""
    proof = (proof or "").strip()
    if TOTP_CODE.fullmatch(proof.replace(" ", "")):
        ok = _accept_totp(session, row, proof, now)
    else:
        ok = verify_password(user.password_hash, proof)
    if not ok:
        raise TwoFactorError("Enter a current code from your app, or your password.")


def _check_code(session: Session, row: SystemTwoFactor, code: str, now: datetime) -> str | None:
    """'totp' or 'recovery_code' when the code is accepted (and used up), else None."""
    code = (code or "").strip()
    if TOTP_CODE.fullmatch(code.replace(" ", "")):
        return "totp" if _accept_totp(session, row, code, now) else None
    return "recovery_code" if _use_recovery_code(session, row.user_id, code, now) else None


def _accept_totp(session: Session, row: SystemTwoFactor, code: str, now: datetime) -> bool:
    """True when the code belongs to a step within the window and later than the last accepted one.

    The step is claimed with one conditional UPDATE, so two requests racing with the same code cannot both win.
    """
    code = (code or "").replace(" ", "")
    if not TOTP_CODE.fullmatch(code):
        return False
    totp = pyotp.TOTP(crypto.reveal(row.secret))
    current = totp.timecode(now)
    for step in range(current - STEP_WINDOW, current + STEP_WINDOW + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            claimed = session.execute(
                update(SystemTwoFactor)
                .where(
                    SystemTwoFactor.user_id == row.user_id,
                    or_(SystemTwoFactor.last_used_step.is_(None), SystemTwoFactor.last_used_step < step),
                )
                .values(last_used_step=step)
                .execution_options(synchronize_session=False)
            )
            session.expire(row, ["last_used_step"])
            return claimed.rowcount == 1
    return False


def _normalise_recovery_code(code: str) -> str:
    return re.sub(r"[\s-]", "", code or "").lower()


def _recovery_digest(code: str) -> str:
    return hashlib.sha256(_normalise_recovery_code(code).encode()).hexdigest()


def _use_recovery_code(session: Session, user_id, code: str, now: datetime) -> bool:
    """Mark one unused recovery code used; True when it existed (a single conditional UPDATE)."""
    if not _normalise_recovery_code(code):
        return False
    used = session.execute(
        update(SystemRecoveryCode)
        .where(
            SystemRecoveryCode.user_id == user_id,
            SystemRecoveryCode.code_hash == _recovery_digest(code),
            SystemRecoveryCode.used_at.is_(None),
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    return used.rowcount == 1


def new_recovery_code() -> str:
    """A recovery code with 80 random bits, as four groups of four base32 letters (e.g. abcd-efgh-ijkl-mnop)."""
    raw = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(16))
    return "-".join(raw[i : i + 4] for i in range(0, 16, 4))


def _replace_recovery_codes(session: Session, user_id) -> list[str]:
    """Drop the user's old recovery codes and add RECOVERY_CODE_COUNT new ones; return them in plain text."""
    session.execute(delete(SystemRecoveryCode).where(SystemRecoveryCode.user_id == user_id))
    codes = [new_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]
    now = utcnow()
    session.add_all(SystemRecoveryCode(user_id=user_id, code_hash=_recovery_digest(c), created_at=now) for c in codes)
    return codes


def _remove(session: Session, user_id) -> None:
    session.execute(delete(SystemRecoveryCode).where(SystemRecoveryCode.user_id == user_id))
    row = _row(session, user_id)
    if row is not None:
        session.delete(row)


__all__ = [
    "TwoFactorError",
    "begin_enrolment",
    "confirm_enrolment",
    "disable",
    "enrolment_required",
    "is_enabled",
    "new_recovery_code",
    "overview",
    "pending_secret",
    "provisioning_uri",
    "regenerate_recovery_codes",
    "reset",
    "set_required_roles",
    "status",
    "verify_login",
]
