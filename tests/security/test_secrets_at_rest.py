"""The owner's cookies and API tokens are encrypted at rest (Fernet, keys from MHC_SECRETS_KEY)."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import current_app
from flask_migrate import downgrade, upgrade

from config import Config, ConfigError
from mhc.extensions import db
from mhc.jobs import events_jobs
from mhc.jobs.follow_jobs import run_follow_sync_here
from mhc.models.types import UTCDateTime
from mhc.services import audit, crypto, secrets
from mhc.services.sources import events_cursor
from tests.conftest import make_app
from tests.foundation.test_migrations import empty_db_url  # noqa: F401 (fixture)

ROOT = Path(__file__).resolve().parents[2]
KEY_A = "YWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWE="  # 32 x "a", url-safe base64
KEY_B = "YmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmI="
COOKIE_VALUE = "s3ss10n-v4lue-xyz"
EVENTS_TOKEN = "events-token-0123456789"
STATS_TOKEN = "stats-token-9876543210"
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def raw_values() -> dict[str, str]:
    """The value column exactly as the database holds it."""
    db.session.commit()
    return dict(db.session.execute(sa.text("SELECT name, value FROM stored_secrets")).all())


def use_keys(*keys: str) -> None:
    current_app.config["SECRETS_KEYS"] = keys


RAW = sa.table("stored_secrets", sa.column("name"), sa.column("value"), sa.column("updated_at", UTCDateTime()))


def insert_raw(name: str, value: str) -> None:
    """A row written as the app wrote it before encryption: plain text."""
    db.session.execute(sa.insert(RAW).values(name=name, value=value, updated_at=T0))
    db.session.commit()


def test_round_trip(app):
    token = crypto.encrypt("ünïcode ✓ secret")
    assert token.startswith(crypto.PREFIX) and "secret" not in token
    assert crypto.decrypt(token) == "ünïcode ✓ secret"
    assert crypto.encrypt("same") != crypto.encrypt("same")  # a fresh IV every time
    secrets.put(db.session, "anything", "plain text")
    db.session.commit()
    assert secrets.get(db.session, "anything") == "plain text"


def test_rows_in_the_database_are_not_plain(app, caplog):
    caplog.set_level(logging.DEBUG)
    secrets.store_cookies(db.session, f"sessionid={COOKIE_VALUE}; csrftoken=csrf-abcdef")
    events_cursor.save_tokens(db.session, EVENTS_TOKEN, STATS_TOKEN)
    secrets.put(db.session, secrets.EVENTS_NEXT_URL, f"http://x/events/hudson/{EVENTS_TOKEN}/?i=3")
    db.session.commit()
    raw = raw_values()
    assert set(raw) == {secrets.COOKIES, secrets.EVENTS_TOKEN, events_cursor.STATS_TOKEN, secrets.EVENTS_NEXT_URL}
    for value in raw.values():
        assert value.startswith("fernet:")
        for plain in (COOKIE_VALUE, "csrf-abcdef", "sessionid", EVENTS_TOKEN, STATS_TOKEN, "events/hudson"):
            assert plain not in value
    assert [c["value"] for c in secrets.load_cookies(db.session)][0] == COOKIE_VALUE
    assert secrets.get(db.session, secrets.EVENTS_TOKEN) == EVENTS_TOKEN
    assert secrets.get(db.session, events_cursor.STATS_TOKEN) == STATS_TOKEN
    audit_rows = str(db.session.execute(sa.text("SELECT * FROM audit_log")).all())
    assert "secret_set" in audit_rows and EVENTS_TOKEN not in audit_rows and STATS_TOKEN not in audit_rows
    assert audit.diff({"value": "a"}, {"value": EVENTS_TOKEN}) == {"value": [audit.REDACTED, audit.REDACTED]}
    assert all(plain not in caplog.text for plain in (COOKIE_VALUE, EVENTS_TOKEN, STATS_TOKEN))


def test_legacy_plain_row_is_still_read(app):
    insert_raw("x", "old")
    assert secrets.get(db.session, "x") == "old"
    assert secrets.key_status(db.session) == {"plain": 1}


def test_production_without_secrets_key_refuses(tmp_path):
    env = {"MHC_ENV": "production", "SECRET_KEY": "k" * 32, "MHC_INSTANCE_DIR": str(tmp_path)}
    with pytest.raises(ConfigError, match="^MHC_SECRETS_KEY must be set when MHC_ENV=production$"):
        Config.from_env(env)
    assert not (tmp_path / "secrets_key").exists()  # production never falls back to a generated key
    assert Config.from_env({**env, "MHC_SECRETS_KEY": f"{KEY_B}, {KEY_A}"}).SECRETS_KEYS == (KEY_B, KEY_A)


def test_production_startup_without_secrets_key_prints_one_line(tmp_path):
    env = {"MHC_ENV": "production", "SECRET_KEY": "k" * 32, "MHC_INSTANCE_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    proc = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "check-db"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode != 0
    assert "MHC_SECRETS_KEY must be set when MHC_ENV=production" in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize("bad", ["not-a-key", "YWFh", f"{KEY_A},short", " , "])
def test_malformed_key_is_refused_in_one_line(tmp_path, bad):
    with pytest.raises(ConfigError, match="MHC_SECRETS_KEY") as caught:
        Config.from_env({"MHC_SECRETS_KEY": bad, "MHC_INSTANCE_DIR": str(tmp_path)})
    assert "\n" not in str(caught.value) and "short" not in str(caught.value)  # the key itself is never echoed


def test_development_key_is_created_once_with_mode_0600_and_reused(tmp_path):
    first = Config.from_env({"MHC_INSTANCE_DIR": str(tmp_path)}).SECRETS_KEYS
    second = Config.from_env({"MHC_INSTANCE_DIR": str(tmp_path)}).SECRETS_KEYS
    assert first == second and len(first) == 1
    path = tmp_path / "secrets_key"
    assert path.stat().st_mode & 0o777 == 0o600
    assert path.read_text() == first[0]
    token = crypto.encrypt("hello", first)
    assert crypto.decrypt(token, Config.from_env({"MHC_INSTANCE_DIR": str(tmp_path)}).SECRETS_KEYS) == "hello"
    assert Config.from_env({"MHC_INSTANCE_DIR": str(tmp_path), "MHC_SECRETS_KEY": KEY_A}).SECRETS_KEYS == (KEY_A,)


def test_rotate_with_two_keys_then_drop_the_old_one(app, runner):
    use_keys(KEY_A)
    secrets.store_cookies(db.session, f"sessionid={COOKIE_VALUE}")
    events_cursor.save_tokens(db.session, EVENTS_TOKEN, STATS_TOKEN)
    db.session.execute(sa.update(RAW).values(updated_at=datetime(2026, 1, 2, 3, 4, tzinfo=UTC)))
    db.session.commit()
    use_keys(KEY_B, KEY_A)  # a new key put in front
    assert secrets.key_status(db.session) == {"key 2": 3}
    result = runner.invoke(args=["secrets", "status"])
    assert result.exit_code == 0 and "key 2: 3" in result.output and COOKIE_VALUE not in result.output
    result = runner.invoke(args=["secrets", "rotate"])
    assert result.exit_code == 0, result.output
    assert "re-encrypted 3 stored secrets" in result.output
    assert secrets.key_status(db.session) == {"key 1": 3}
    assert secrets.describe(db.session, secrets.COOKIES) == "set 2026-01-02 03:04 UTC"  # the owner's date is kept
    use_keys(KEY_B)  # the old key dropped
    assert secrets.load_cookies(db.session)[0]["value"] == COOKIE_VALUE
    assert secrets.get(db.session, secrets.EVENTS_TOKEN) == EVENTS_TOKEN
    assert secrets.get(db.session, events_cursor.STATS_TOKEN) == STATS_TOKEN
    assert all(COOKIE_VALUE not in v and EVENTS_TOKEN not in v for v in raw_values().values())


def test_rotate_encrypts_legacy_plain_rows(app, runner):
    insert_raw(secrets.EVENTS_TOKEN, EVENTS_TOKEN)
    assert "re-encrypted 1 stored secret under" in runner.invoke(args=["secrets", "rotate"]).output
    assert raw_values()[secrets.EVENTS_TOKEN].startswith("fernet:")
    assert secrets.get(db.session, secrets.EVENTS_TOKEN) == EVENTS_TOKEN


def test_wrong_key_gives_a_clear_error(app, runner):
    use_keys(KEY_A)
    secrets.store_cookies(db.session, f"sessionid={COOKIE_VALUE}")
    before = raw_values()
    use_keys(KEY_B)
    message = "stored secrets cannot be decrypted with MHC_SECRETS_KEY: was the key changed?"
    with pytest.raises(crypto.SecretsUndecryptable, match="^stored secrets cannot be decrypted"):
        secrets.load_cookies(db.session)
    assert message in secrets.describe(db.session, secrets.COOKIES)
    assert secrets.key_status(db.session) == {"undecryptable": 1}
    for args in (["secrets", "rotate"], ["secrets", "status"]):
        result = runner.invoke(args=args)
        assert result.exit_code == 1
        assert f"Error: {message}" in result.output and "Traceback" not in result.output
    assert raw_values() == before  # a failed rotate changes nothing


def test_wrong_key_fails_the_follow_sync_in_one_line(app, fake_cb):
    use_keys(KEY_A)
    secrets.store_cookies(db.session, "sessionid=fake-session")
    use_keys(KEY_B)
    run = run_follow_sync_here("following")
    assert run.status == "failed"
    assert run.error == (
        "SecretsUndecryptable: stored secrets cannot be decrypted with MHC_SECRETS_KEY: was the key changed?"
    )
    assert fake_cb.requests == []  # nothing was read with missing cookies


def test_wrong_key_stops_the_events_listener_in_one_line(app, capsys):
    use_keys(KEY_A)
    events_cursor.save_tokens(db.session, EVENTS_TOKEN)
    use_keys(KEY_B)
    assert events_jobs.run_listener_process(max_batches=1) == 2
    assert capsys.readouterr().out.strip() == (
        "Error: stored secrets cannot be decrypted with MHC_SECRETS_KEY: was the key changed?"
    )


def test_panel_says_when_secrets_cannot_be_decrypted(client, login_as):
    use_keys(KEY_A)
    secrets.store_cookies(db.session, f"sessionid={COOKIE_VALUE}")
    events_cursor.save_tokens(db.session, EVENTS_TOKEN)
    use_keys(KEY_B)
    login_as("admin")
    for path in ("/follow-lists/", "/events-api/"):
        response = client.get(path)
        page = response.get_data(as_text=True)
        assert response.status_code == 200
        assert "cannot be decrypted with MHC_SECRETS_KEY: was the key changed?" in page
        assert COOKIE_VALUE not in page and EVENTS_TOKEN not in page


def test_saved_cookies_are_never_shown_again(client, login_as, auth):
    login_as("admin")
    token = auth.csrf("/follow-lists/")
    client.post("/follow-lists/cookies", data={"csrf_token": token, "cookies": f"sessionid={COOKIE_VALUE}"})
    page = client.get("/follow-lists/").get_data(as_text=True)
    assert COOKIE_VALUE not in page and "fernet:" not in page
    assert COOKIE_VALUE not in raw_values()[secrets.COOKIES]


@pytest.mark.e2e
def test_follow_sync_with_encrypted_cookies(app, fake_cb, fake_cb_config):
    current_app.config.update(fake_cb_config)
    secrets.store_cookies(db.session, "sessionid=fake-session; csrftoken=fake-csrf")
    assert "fake-session" not in raw_values()[secrets.COOKIES]
    run = run_follow_sync_here("following")
    assert run.status == "finished", run.error
    assert set(fake_cb.state["follow_sessionids"]) == {"fake-session"}  # the browser sent the decrypted cookie


LEGACY = {
    secrets.COOKIES: json.dumps([{"name": "sessionid", "value": COOKIE_VALUE, "domain": ".chaturbate.com"}]),
    secrets.EVENTS_TOKEN: EVENTS_TOKEN,
    "stats_api_token": STATS_TOKEN,
}


def test_migration_encrypts_legacy_rows_and_downgrade_restores_them(empty_db_url, tmp_path):  # noqa: F811
    app = make_app(empty_db_url, tmp_path, SECRETS_KEYS=(KEY_A,))
    with app.app_context():
        upgrade(revision="0016")
        for name, value in LEGACY.items():
            insert_raw(name, value)
        upgrade(revision="0017")
        encrypted = raw_values()
        assert set(encrypted) == set(LEGACY)
        for value in encrypted.values():
            assert value.startswith("fernet:") and COOKIE_VALUE not in value and EVENTS_TOKEN not in value
        assert {name: secrets.get(db.session, name) for name in LEGACY} == LEGACY
        assert secrets.load_cookies(db.session)[0]["value"] == COOKIE_VALUE
        secrets.put(db.session, "written_after", "new value")  # a row the app wrote after the upgrade
        db.session.commit()
        downgrade(revision="0016")
        assert raw_values() == {**LEGACY, "written_after": "new value"}
        db.session.remove()
        db.engine.dispose()
