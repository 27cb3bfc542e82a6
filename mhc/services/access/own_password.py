"""Changing your own password: prove the current one, choose a new one under the same rules and hash as
account creation, and every other session of yours ends (docs/production.md#changing-your-own-password).

A wrong current password counts as a failed login for the login throttle (per client and per account), so a
stolen open session cannot be used to guess the password faster than the login page allows.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy.orm import Session

from mhc.models import SystemUser
from mhc.services import audit
from mhc.services.access import login_sessions, login_throttle
from mhc.services.access.accounts import AccountError, check_password
from mhc.services.access.passwords import hash_password, verify_password

STEP = {"step": [None, "change_password"]}  # how the throttle's audit rows say where the attempt came from


@dataclass(frozen=True)
class PasswordChange:
    """The outcome: changed (and how many other sessions ended), or why not (nothing changed)."""

    changed: bool
    error: str | None = None
    sessions_ended: int = 0
    retry_after: int | None = None  # seconds, when the throttle refused the attempt


def change_own_password(
    session: Session,
    user_id: uuid.UUID,
    current: str,
    new: str,
    repeated: str,
    *,
    keep_token: str | None,
    remote_addr: str | None,
    throttle: login_throttle.ThrottleRules,
) -> PasswordChange:
    """Set the user's password when `current` is right and `new` is acceptable and typed twice alike; end
    every session of the user but `keep_token` (the one asking). Audited without any password; commits."""
    user = session.get(SystemUser, user_id)
    if user is None or not user.is_active:
        return PasswordChange(False, "This account is not active; nothing changed.")
    record = dict(object_type="system_user", object_id=user.id, username=user.username, remote_addr=remote_addr)
    refusal = login_throttle.check(session, throttle, remote_addr=remote_addr, login=user.username, user=user)
    if refusal:
        audit.record(session, action="login_throttled", changes=STEP, **record)
        session.commit()
        return PasswordChange(False, refusal.message, retry_after=refusal.wait_seconds)
    if not verify_password(user.password_hash, current or ""):
        audit.record(session, action=login_throttle.FAILED, changes=STEP, **record)
        session.commit()
        return PasswordChange(False, "Your current password is not right; nothing changed.")
    if (new or "") != (repeated or ""):
        return PasswordChange(False, "The two new passwords differ; nothing changed.")
    if new == current:
        return PasswordChange(False, "The new password is your current one; nothing changed.")
    try:
        check_password(new)
    except AccountError as exc:
        return PasswordChange(False, f"Not changed: {exc}.")
    user.password_hash = hash_password(new)
    ended = login_sessions.revoke_all(session, user, "password_changed", keep=keep_token)
    changes = {"sessions_ended": [None, ended]}
    audit.record_change(session, user, "password_change", actor_id=user.id, changes=changes, remote_addr=remote_addr)
    session.commit()
    return PasswordChange(True, sessions_ended=ended)
