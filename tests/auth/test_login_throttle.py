"""Login throttling per client address and per account (docs/production.md, "Login throttling")."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask import g
from sqlalchemy import select

from mhc.extensions import db
from mhc.models import AuditLog, SystemUser
from mhc.services.access import login_throttle
from mhc.services.access.login_throttle import ThrottleRules
from tests.conftest import csrf_token_from

RULES = ThrottleRules()  # the defaults, which are also the LOGIN_* settings of the test config


def attempt(app, login: str, password: str, addr: str):
    """One login attempt from a fresh browser at the given client address."""
    # The test's app context (and so `g`) is shared by every request: forget the last client's token and user.
    g.pop("csrf_token", None)
    g.pop("_login_user", None)
    client = app.test_client()
    env = {"REMOTE_ADDR": addr}
    token = csrf_token_from(client.get("/login", environ_base=env).get_data(as_text=True))
    return client.post("/login", data={"login": login, "password": password, "csrf_token": token}, environ_base=env)


def age_failures(seconds: float) -> None:
    """Move every recorded failed login this many seconds into the past (as if that time had passed)."""
    for row in db.session.scalars(select(AuditLog).where(AuditLog.action == "login_failed")):
        row.at = row.at - timedelta(seconds=seconds)
    db.session.commit()


def fail_from_many_addresses(app, login: str, count: int) -> None:
    """`count` failed logins from as many addresses, each after the account's backoff delay has passed."""
    for n in range(count):
        response = attempt(app, login, "wrong password", f"10.0.0.{n}")
        if response.status_code == 429:
            age_failures(int(response.headers["Retry-After"]))
            response = attempt(app, login, "wrong password", f"10.0.0.{n}")
        assert response.status_code == 200


def throttled_rows() -> list[tuple[str, dict]]:
    db.session.expire_all()
    rows = db.session.scalars(select(AuditLog).where(AuditLog.action == "login_throttled").order_by(AuditLog.id))
    return [(row.remote_addr, row.diff) for row in rows]


def test_the_test_config_uses_the_documented_rules(app):
    assert ThrottleRules.from_config(app.config) == ThrottleRules(5, 900, 10, 900, 86400)


@pytest.mark.parametrize(
    "failures, delay",
    [(0, 0), (9, 0), (10, 2), (11, 4), (12, 8), (13, 16), (17, 256), (18, 512), (19, 900), (20, 900), (500, 900)],
)
def test_account_backoff_doubles_up_to_fifteen_minutes(failures, delay):
    assert login_throttle.account_delay(failures, RULES) == delay


def test_five_failures_from_one_client_do_not_lock_out_another(app, make_user):
    user, password = make_user("viewer", username="vera")
    for _ in range(5):
        assert attempt(app, "vera", "wrong password", "10.0.0.1").status_code == 200
    refused = attempt(app, "vera", password, "10.0.0.1")  # that client waits, even with the right password
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "900"
    assert "Too many failed logins. Try again in 15 minutes." in refused.get_data(as_text=True)
    assert attempt(app, "vera", password, "10.0.0.2").status_code == 302  # another client: the right password works
    assert throttled_rows() == [("10.0.0.1", {"reason": "client", "wait_seconds": 900})]


def test_one_client_failing_on_many_names_locks_out_only_itself(app, make_user):
    user, password = make_user("admin", username="root")
    for n in range(5):
        assert attempt(app, f"nobody{n}", "wrong password", "10.0.0.1").status_code == 200
    assert attempt(app, "root", password, "10.0.0.1").status_code == 429
    assert attempt(app, "root", password, "10.0.0.2").status_code == 302


def test_a_client_waits_until_its_oldest_failure_leaves_the_window(app, make_user):
    user, password = make_user("viewer", username="vera")
    for _ in range(5):
        attempt(app, "vera", "wrong password", "10.0.0.1")
    age_failures(600)
    refused = attempt(app, "vera", password, "10.0.0.1")
    assert refused.headers["Retry-After"] == "300"
    assert "Try again in 5 minutes." in refused.get_data(as_text=True)
    age_failures(300)
    assert attempt(app, "vera", password, "10.0.0.1").status_code == 302


def test_brute_force_of_one_account_from_many_addresses_is_slowed(app, make_user):
    """Ten failures from ten addresses: then each attempt waits 2, 4, 8 ... seconds after the latest failure."""
    user, password = make_user("viewer", username="vera")
    for n in range(10):
        assert attempt(app, "vera", "wrong password", f"10.0.0.{n}").status_code == 200
    waits = []
    for n in range(3):
        refused = attempt(app, "vera", password, f"10.1.0.{n}")  # too early: refused without checking the password
        assert refused.status_code == 429
        waits.append(int(refused.headers["Retry-After"]))
        age_failures(waits[-1])  # the delay passes
        assert attempt(app, "vera", "wrong password", f"10.2.0.{n}").status_code == 200
    assert waits == [2, 4, 8]
    refused = attempt(app, "vera", password, "10.1.1.1")
    assert (refused.status_code, refused.headers["Retry-After"]) == (429, "16")
    assert "Try again in 16 seconds." in refused.get_data(as_text=True)
    assert [diff for _, diff in throttled_rows()] == [{"reason": "account", "wait_seconds": w} for w in (2, 4, 8, 16)]


def test_right_password_after_the_backoff_works_and_resets_it(app, make_user):
    user, password = make_user("viewer", username="vera")
    fail_from_many_addresses(app, "vera", 12)
    assert attempt(app, "vera", password, "10.1.0.1").headers["Retry-After"] == "8"
    age_failures(8)
    assert attempt(app, "vera", password, "10.1.0.2").status_code == 302
    # A success starts the count again: a new failure right after it brings no delay.
    assert attempt(app, "vera", "wrong password", "10.1.0.3").status_code == 200
    assert attempt(app, "vera", password, "10.1.0.4").status_code == 302


def test_username_and_email_are_one_account(app, make_user):
    user, password = make_user("viewer", username="vera")
    for n in range(10):
        attempt(app, "vera" if n % 2 else "VERA@example.test", "wrong password", f"10.0.0.{n}")
    assert attempt(app, "vera@example.test", password, "10.1.0.1").status_code == 429


def test_unknown_names_back_off_like_real_accounts(app):
    """The throttle must not tell which login names exist."""
    for n in range(10):
        assert attempt(app, "ghost", "wrong password", f"10.0.0.{n}").status_code == 200
    refused = attempt(app, "Ghost", "wrong password", "10.1.0.1")
    assert (refused.status_code, refused.headers["Retry-After"]) == (429, "2")


def test_failures_older_than_the_account_memory_are_forgotten(app, make_user):
    user, password = make_user("viewer", username="vera")
    for n in range(10):
        attempt(app, "vera", "wrong password", f"10.0.0.{n}")
    age_failures(24 * 3600)
    assert attempt(app, "vera", password, "10.1.0.1").status_code == 302


def test_check_at_explicit_times(app, make_user):
    """The service computes waits from the audit rows' times: exact seconds at a given moment."""
    user, _ = make_user("viewer", username="vera")
    user = db.session.get(SystemUser, user.id)
    now = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
    for n in range(11):
        db.session.add(
            AuditLog(
                at=now - timedelta(seconds=100 - n),
                action="login_failed",
                object_type="system_user",
                object_id=str(user.id),
                username="vera",
                remote_addr=f"10.0.0.{n}",
            )
        )
    db.session.commit()
    latest = now - timedelta(seconds=90)  # 11 failures: the next attempt waits 4 s after the latest
    check = login_throttle.check
    assert check(db.session, RULES, remote_addr="10.9.9.9", login="vera", user=user, now=latest) == (
        login_throttle.Refusal("account", 4)
    )
    assert check(db.session, RULES, remote_addr="10.9.9.9", login="vera", user=user, now=latest + timedelta(seconds=3))
    assert (
        check(db.session, RULES, remote_addr="10.9.9.9", login="vera", user=user, now=latest + timedelta(seconds=4))
        is None
    )
