"""Configuration from the environment."""

import subprocess
import sys
from pathlib import Path

import pytest

from config import Config, ConfigError

ROOT = Path(__file__).resolve().parents[2]


def test_production_without_secret_key_refuses(tmp_path):
    with pytest.raises(ConfigError, match="SECRET_KEY must be set"):
        Config.from_env({"MHC_ENV": "production", "MHC_INSTANCE_DIR": str(tmp_path)})


def test_production_startup_prints_one_line(tmp_path):
    env = {"MHC_ENV": "production", "MHC_INSTANCE_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    proc = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "check-db"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode != 0
    assert "SECRET_KEY must be set when MHC_ENV=production" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_development_key_is_created_once_and_kept(tmp_path):
    first = Config.from_env({"MHC_INSTANCE_DIR": str(tmp_path)}).SECRET_KEY
    second = Config.from_env({"MHC_INSTANCE_DIR": str(tmp_path)}).SECRET_KEY
    assert first == second and len(first) == 64
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600


def test_plain_postgres_url_is_used_as_written(tmp_path):
    cfg = Config.from_env({"DATABASE_URL": "postgresql://user@host:5432/db", "MHC_INSTANCE_DIR": str(tmp_path)})
    assert cfg.SQLALCHEMY_DATABASE_URI == "postgresql://user@host:5432/db"
    default = Config.from_env({"MHC_INSTANCE_DIR": str(tmp_path)})
    assert default.SQLALCHEMY_DATABASE_URI == f"sqlite:///{tmp_path / 'mhc.sqlite3'}"
    assert default.REDIS_URL is None


def test_unreachable_database_gives_one_line(tmp_path):
    env = {
        "DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none",
        "MHC_INSTANCE_DIR": str(tmp_path),
        "PATH": "/usr/bin:/bin",
    }
    proc = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "check-db"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0
    assert proc.stderr.startswith("Error: cannot connect to the database postgresql://nobody@127.0.0.1:1/none")
