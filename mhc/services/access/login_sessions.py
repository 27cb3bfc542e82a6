"""Login sessions of system users: started at login, resumed on every request, ended for good.

Flask's session is a signed cookie the server cannot take back, so the cookie only carries a random token;
whether that token still opens the panel is decided here, from its `system_sessions` row. The rules are
explained in docs/reliability.md ("Sessions end when they should").
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session, selectinload

from mhc.models import SystemRole, SystemSession, SystemUser, utcnow
from mhc.services import audit

# last_seen_at is written at most this often per session, so reading a page is not a write every time.
LAST_SEEN_RESOLUTION = timedelta(minutes=1)
USER_AGENT_MAX = 512


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start(session: Session, user: SystemUser, *, remote_addr: str | None, user_agent: str | None) -> str:
    """Record a new login session for the user; return the token the session cookie carries. Commits."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    session.add(
        SystemSession(
            id=_digest(token),
            user_id=user.id,
            session_version=user.session_version,
            created_at=now,
            last_seen_at=now,
            remote_addr=remote_addr,
            user_agent=(user_agent or "")[:USER_AGENT_MAX] or None,
        )
    )
    session.commit()
    return token


def resume(
    session: Session, token: str | None, user_id: str, *, idle: timedelta, max_age: timedelta
) -> SystemUser | None:
    """The user this token's open session belongs to, or None (and the row ended) when it may not continue."""
    row = session.get(SystemSession, _digest(token)) if token else None
    if row is None or row.ended_at is not None or str(row.user_id) != user_id:
        return None
    now = utcnow()
    user = session.get(
        SystemUser, row.user_id, options=[selectinload(SystemUser.role).selectinload(SystemRole.permissions)]
    )
    reason = _refusal(row, user, now, idle, max_age)
    if reason:
        _end(row, reason, now)
        session.commit()
        return None
    if now - row.last_seen_at >= LAST_SEEN_RESOLUTION:
        row.last_seen_at = now
        session.commit()
    return user


def _refusal(row: SystemSession, user: SystemUser | None, now: datetime, idle: timedelta, max_age: timedelta):
    """Why this session must end now, or None."""
    if user is None or not user.is_active or user.session_version != row.session_version:
        return "revoked"
    if now - row.created_at > max_age:
        return "expired"
    if now - row.last_seen_at > idle:
        return "idle"
    return None


def _end(row: SystemSession, reason: str, now: datetime) -> None:
    row.ended_at, row.end_reason = now, reason


def end(session: Session, token: str | None, *, user_id: uuid.UUID, remote_addr: str | None) -> None:
    """`user_id` logs out: this one session ends for good (a copied cookie stops working too); audit and commit."""
    row = session.get(SystemSession, _digest(token)) if token else None
    if row is not None and row.ended_at is None:
        _end(row, "logout", utcnow())
    audit.record(
        session,
        action="logout",
        object_type="system_user",
        object_id=user_id,
        actor_id=user_id,
        remote_addr=remote_addr,
    )
    session.commit()


def revoke_all(session: Session, user: SystemUser, reason: str, *, keep: str | None = None) -> int:
    """Bump the user's session version and end their open sessions, except the one `keep` names (the caller
    commits). Returns how many sessions ended."""
    user.session_version = (user.session_version or 1) + 1
    query = update(SystemSession).where(SystemSession.user_id == user.id, SystemSession.ended_at.is_(None))
    if keep:
        kept = _digest(keep)
        session.execute(
            update(SystemSession)
            .where(SystemSession.id == kept, SystemSession.user_id == user.id, SystemSession.ended_at.is_(None))
            .values(session_version=user.session_version)
        )
        query = query.where(SystemSession.id != kept)
    ended = session.execute(query.values(ended_at=utcnow(), end_reason=reason[:32]))
    return ended.rowcount or 0


def end_everywhere(session: Session, user_ids, *, actor_id: uuid.UUID | None, remote_addr: str | None = None) -> int:
    """Log out everywhere, for each listed system user: every session ends; audit each; commit once.
    Returns how many users it was done for."""
    users = session.scalars(select(SystemUser).where(SystemUser.id.in_(list(user_ids)))).all()
    for user in users:
        ended = revoke_all(session, user, "logout_everywhere")
        audit.record_change(
            session,
            user,
            "logout_everywhere",
            actor_id=actor_id,
            changes={"sessions_ended": [None, ended]},
            remote_addr=remote_addr,
        )
    session.commit()
    return len(users)


__all__ = ["end", "end_everywhere", "resume", "revoke_all", "start"]
