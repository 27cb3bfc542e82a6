"""deploy/: the three systemd units pass `systemd-analyze verify` (rendered to point at this checkout and its
virtualenv), carry the restart, environment and hardening settings the production docs promise, and the web
unit's gunicorn command, run for real, writes access lines with the request id and without query values."""

from __future__ import annotations

import configparser
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from mhc.jobs.runs import JOB_TIMEOUT_SECONDS
from tests.foundation.processes import child_env, free_port
from tests.waiting import wait_until

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
UNITS = ("mhc-web.service", "mhc-worker@.service", "mhc-events.service")
INSTALL_DIR = "/opt/mhc"
SYSTEMD_ANALYZE = shutil.which("systemd-analyze") or (
    "/usr/bin/systemd-analyze" if Path("/usr/bin/systemd-analyze").exists() else None
)


def unit_text(name: str) -> str:
    return (DEPLOY / name).read_text()


def render(text: str) -> str:
    """The unit as installed from this checkout: /opt/mhc is the repository, /opt/mhc/.venv this interpreter's."""
    return text.replace(f"{INSTALL_DIR}/.venv", sys.prefix).replace(INSTALL_DIR, str(ROOT))


def service(name: str) -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    parser.optionxform = str  # systemd keys are case-sensitive
    parser.read_string(unit_text(name))
    return parser["Service"]


def exec_start(name: str) -> list[str]:
    """ExecStart as the argument list systemd runs ("%%" is one "%" in a unit file)."""
    raw = service(name)["ExecStart"]
    assert not re.search(r"(?<!%)%(?!%)", raw.replace("%%", "")), "a single % is a systemd specifier"
    return shlex.split(raw.replace("%%", "%"))


@pytest.mark.skipif(SYSTEMD_ANALYZE is None, reason="systemd-analyze is not installed on this machine")
@pytest.mark.parametrize("name", UNITS)
def test_systemd_analyze_verify_accepts_the_unit(name, tmp_path):
    rendered = tmp_path / name
    rendered.write_text(render(unit_text(name)))
    result = subprocess.run(
        [SYSTEMD_ANALYZE, "verify", str(rendered)], capture_output=True, text=True, timeout=60, check=False
    )
    # Unknown keys and bad values are only warnings with exit code 0: any output at all is a defect.
    assert (result.returncode, result.stdout + result.stderr) == (0, ""), result.stdout + result.stderr


def test_verify_would_catch_a_missing_binary(tmp_path):
    if SYSTEMD_ANALYZE is None:
        pytest.skip("systemd-analyze is not installed on this machine")
    broken = tmp_path / "mhc-worker@.service"
    broken.write_text(unit_text("mhc-worker@.service").replace("/opt/mhc/.venv/bin/python", "/opt/mhc/no/python"))
    result = subprocess.run([SYSTEMD_ANALYZE, "verify", str(broken)], capture_output=True, text=True, check=False)
    assert result.returncode != 0 and "is not executable" in result.stderr


@pytest.mark.parametrize("name", UNITS)
def test_every_unit_restarts_runs_as_mhc_and_is_hardened(name):
    unit = service(name)
    expected = {
        "User": "mhc",
        "WorkingDirectory": INSTALL_DIR,
        "EnvironmentFile": "/etc/mhc/mhc.env",
        "Restart": "on-failure",
        "NoNewPrivileges": "yes",
        "PrivateTmp": "yes",
        "ProtectSystem": "strict",
        "ReadWritePaths": f"{INSTALL_DIR}/instance",
        "KillSignal": "SIGTERM",
    }
    assert {key: unit.get(key) for key in expected} == expected
    assert int(unit["RestartSec"]) >= 1


def test_the_three_processes_are_the_documented_commands():
    venv = f"{INSTALL_DIR}/.venv/bin"
    assert exec_start("mhc-worker@.service") == [f"{venv}/python", "worker.py"]
    assert exec_start("mhc-events.service") == [f"{venv}/python", "worker.py", "events"]
    web = exec_start("mhc-web.service")
    assert web[0] == f"{venv}/gunicorn" and web[-1] == "wsgi:app"
    assert web[1:5] == ["--workers", "2", "--bind", "127.0.0.1:8000"]
    assert web[web.index("--access-logfile") + 1] == "-"
    assert "%({x-request-id}o)s" in web[web.index("--access-logformat") + 1]
    readme = (ROOT / "README.md").read_text()
    assert shlex.join(["gunicorn", *web[1:]]) in readme  # the README shows the same command
    assert "python worker.py events" in readme


def test_a_stop_waits_for_the_longest_job():
    worker = service("mhc-worker@.service")
    assert int(worker["TimeoutStopSec"]) >= JOB_TIMEOUT_SECONDS
    assert worker["KillMode"] == "mixed"  # SIGTERM to the worker only: the job's Chromium stays until it ends


def test_the_env_example_names_only_real_settings_and_holds_no_secret():
    config_source = (ROOT / "config.py").read_text()
    lines = [line.strip() for line in (DEPLOY / "mhc.env.example").read_text().splitlines()]
    settings = dict(line.lstrip("#").split("=", 1) for line in lines if re.match(r"#?[A-Z_]+=", line))
    unknown = [key for key in settings if f'"{key}"' not in config_source]
    assert unknown == []
    for key in ("MHC_ENV", "SECRET_KEY", "MHC_SECRETS_KEY", "DATABASE_URL", "REDIS_URL", "MHC_LOG_LEVEL"):
        assert key in settings
    assert settings["MHC_ENV"] == "production"
    for key in ("SECRET_KEY", "MHC_SECRETS_KEY"):
        assert settings[key].startswith("replace-with-")


def test_the_web_units_gunicorn_logs_the_request_id_and_no_query_values(app, tmp_path):
    command = exec_start("mhc-web.service")
    port = free_port()
    command[0] = str(Path(sys.prefix) / "bin" / "gunicorn")
    command[command.index("--bind") + 1] = f"127.0.0.1:{port}"
    command[command.index("--workers") + 1] = "1"
    env = child_env(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path / "instance")
    out, err = tmp_path / "access.log", tmp_path / "error.log"
    with open(out, "w") as stdout, open(err, "w") as stderr:
        proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=stdout, stderr=stderr)
    try:
        response = _get_when_up(f"http://127.0.0.1:{port}/healthz?token=Query-Secret-1", proc, err)
        assert response.headers["X-Request-ID"] == "probe-42"
    finally:
        proc.terminate()
        assert proc.wait(30) == 0
    access = [line for line in out.read_text().splitlines() if "/healthz" in line]
    assert access and re.fullmatch(r'127\.0\.0\.1 probe-42 "GET /healthz" 200 \d+ \d+ms', access[-1]), access
    app_lines = err.read_text()
    assert "request_id=probe-42 GET /healthz?token= 200" in app_lines
    assert "Query-Secret-1" not in out.read_text() + app_lines


def _get_when_up(url: str, proc: subprocess.Popen, log: Path) -> requests.Response:
    def answered() -> list[requests.Response]:
        # In a list: a Response with an error status is falsy, and any answer ends the wait.
        if proc.poll() is not None:
            raise AssertionError(f"gunicorn exited:\n{log.read_text()}")
        try:
            return [requests.get(url, headers={"X-Request-ID": "probe-42"}, timeout=5)]
        except requests.ConnectionError:
            return []

    return wait_until(answered, 30, message=lambda: f"gunicorn to answer:\n{log.read_text()}")[0]
