"""Login throttling per client address and per account, counted from the failed logins in the audit log.

The rule (docs/production.md, "Login throttling"):

- A client address with `client_max_failures` failed logins within the last `client_window_seconds` is refused,
  whatever account it tries, until the oldest of those failures leaves the window. Other clients are not affected.
- An account (a known user, or the login name typed when it matches no user, so the answer never tells which
  names exist) with `account_free_failures` or more failed logins in a row, from any clients, makes its next
  attempt wait: 2 seconds after the latest failure, doubling with each further failure, at most
  `backoff_max_seconds`. "In a row" means since the account's last successful login and within the last
  `account_memory_seconds`. An attempt refused for waiting is not a failure and does not lengthen the wait.

The counts are read from the audit log, so they hold across workers and hosts sharing the database; each is one
statement over the audit log's time index (`ix_audit_log_at`) or its object index (`ix_audit_log_object`).
Both login steps (accounts.authenticate, two_factor.verify_login) pass through this throttle and answer with
the one LoginResult defined here.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mhc.models import AuditLog, SystemUser, utcnow

FAILED = "login_failed"
SUCCEEDED = "login"


@dataclass(frozen=True)
class ThrottleRules:
    """The numbers of the throttle (from the LOGIN_* settings)."""

    client_max_failures: int = 5
    client_window_seconds: int = 15 * 60
    account_free_failures: int = 10
    backoff_max_seconds: int = 15 * 60
    account_memory_seconds: int = 24 * 3600

    @classmethod
    def from_config(cls, config: Mapping) -> ThrottleRules:
        """The rules from an app's configuration."""
        return cls(
            client_max_failures=config["LOGIN_MAX_FAILURES"],
            client_window_seconds=config["LOGIN_WINDOW_SECONDS"],
            account_free_failures=config["LOGIN_ACCOUNT_FREE_FAILURES"],
            backoff_max_seconds=config["LOGIN_BACKOFF_MAX_SECONDS"],
            account_memory_seconds=config["LOGIN_ACCOUNT_MEMORY_SECONDS"],
        )


@dataclass(frozen=True)
class Refusal:
    """Why an attempt is refused without looking at the password, and for how long."""

    reason: str  # "client" (this address failed too often) or "account" (the account's backoff)
    wait_seconds: int

    @property
    def message(self) -> str:
        """What the login page says."""
        return f"Too many failed logins. Try again in {_wait_text(self.wait_seconds)}."


@dataclass
class LoginResult:
    """Outcome of one login step, the password or the second step's code: the user, or the refusal."""

    user: SystemUser | None
    error: str | None = None
    throttled: bool = False
    retry_after: int | None = None  # seconds, when throttled
    restart: bool = False  # second step: the pending login is no longer valid, start again at the password

    @classmethod
    def throttled_by(cls, refusal: Refusal) -> LoginResult:
        """The answer to an attempt the throttle refused: its message, and when to try again."""
        return cls(None, refusal.message, throttled=True, retry_after=refusal.wait_seconds)


def account_delay(failures: int, rules: ThrottleRules) -> int:
    """Seconds an account's next attempt waits after its latest failure, given its failures in a row."""
    if failures < rules.account_free_failures:
        return 0
    doublings = min(failures - rules.account_free_failures + 1, 40)
    return min(2**doublings, rules.backoff_max_seconds)


def check(
    session: Session, rules: ThrottleRules, *, remote_addr: str | None, login: str, user: SystemUser | None, now=None
) -> Refusal | None:
    """A Refusal when this client or this account must still wait; None when the password may be checked."""
    now = now or utcnow()
    waits = [
        Refusal("client", _client_wait(session, rules, remote_addr, now)),
        Refusal("account", _account_wait(session, rules, login, user, now)),
    ]
    longest = max(waits, key=lambda r: r.wait_seconds)
    return longest if longest.wait_seconds > 0 else None


def _client_wait(session: Session, rules: ThrottleRules, remote_addr: str | None, now: datetime) -> int:
    """Seconds until this address has fewer than the allowed failures in the window (0 = not throttled)."""
    if not remote_addr or rules.client_max_failures < 1:
        return 0
    window = timedelta(seconds=rules.client_window_seconds)
    oldest_counted = session.scalar(
        select(AuditLog.at)
        .where(AuditLog.action == FAILED, AuditLog.at >= now - window, AuditLog.remote_addr == remote_addr)
        .order_by(AuditLog.at.desc())
        .limit(1)
        .offset(rules.client_max_failures - 1)
    )
    return _seconds_until(oldest_counted + window, now) if oldest_counted else 0


def _account_wait(session: Session, rules: ThrottleRules, login: str, user: SystemUser | None, now: datetime) -> int:
    """Seconds until the account's backoff delay has passed (0 = no delay)."""
    since = now - timedelta(seconds=rules.account_memory_seconds)
    if user is not None:
        mine = (AuditLog.object_type == "system_user", AuditLog.object_id == str(user.id))
        last_login = session.scalar(select(func.max(AuditLog.at)).where(*mine, AuditLog.action == SUCCEEDED))
        since = max(since, last_login) if last_login else since
    else:
        mine = (AuditLog.object_id.is_(None), func.lower(AuditLog.username) == login.lower())
    failures, latest = session.execute(
        select(func.count(), func.max(AuditLog.at)).where(*mine, AuditLog.action == FAILED, AuditLog.at > since)
    ).one()
    delay = account_delay(failures, rules)
    return _seconds_until(latest + timedelta(seconds=delay), now) if delay and latest else 0


def _seconds_until(moment: datetime, now: datetime) -> int:
    return max(0, math.ceil((moment - now).total_seconds()))


def _wait_text(seconds: int) -> str:
    if seconds < 120:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    return f"{math.ceil(seconds / 60)} minutes"
