"""Log lines: every web request has an id (echoed in X-Request-ID, on each line written meanwhile), every job
run's lines carry its run id, JSON lines parse, and the settings come from MHC_LOG_LEVEL / MHC_LOG_FORMAT."""

from __future__ import annotations

import json
import logging
import re
import time
import uuid

import pytest
from sqlalchemy import select

from config import Config, ConfigError
from mhc import logs
from mhc.extensions import db
from mhc.jobs import enqueue, queues
from mhc.jobs.heartbeat import run_heartbeat
from mhc.models import JobRun, utcnow
from tests.foundation.processes import child_env
from tests.foundation.processes import flask as run_flask
from tests.waiting import wait_for_run

GENERATED = re.compile(r"[0-9a-f]{32}")


@pytest.fixture
def app_config():
    return {"LOG_LEVEL": "DEBUG"}


def probe(app):
    """A route that logs one line from a library-like logger while it answers."""

    def view():
        logging.getLogger("tests.probe").info("probe says hello")
        return "ok"

    app.add_url_rule("/_log_probe", "log_probe", view)


def lines_of(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.strip()]


def test_a_request_id_is_generated_echoed_and_on_every_line(app, client, login_as, capsys):
    probe(app)
    login_as("viewer")
    capsys.readouterr()
    response = client.get("/_log_probe?next=/secret-place&q=x")
    request_id = response.headers["X-Request-ID"]
    assert GENERATED.fullmatch(request_id)
    lines = lines_of(capsys.readouterr().err)
    probe_line = next(line for line in lines if "probe says hello" in line)
    assert f" INFO tests.probe request_id={request_id} probe says hello" in probe_line
    request_line = next(line for line in lines if " mhc.request " in line)
    assert re.search(
        rf" INFO mhc\.request request_id={request_id} GET /_log_probe\?next=&q= 200 [0-9.]+ms 127\.0\.0\.1$",
        request_line,
    ), request_line
    assert "secret-place" not in "\n".join(lines)  # query values never reach the log
    assert client.get("/_log_probe").headers["X-Request-ID"] != request_id  # one id per request


@pytest.mark.parametrize("incoming", ["abc-123.X_y", "a", "7" * 64, "0f8c2f52-9d3e-4c7a-8e61-5b2a3c4d5e6f"])
def test_a_safe_incoming_request_id_is_reused(client, incoming, capsys):
    response = client.get("/login", headers={"X-Request-ID": incoming})
    assert response.headers["X-Request-ID"] == incoming
    assert f"request_id={incoming} GET /login 200" in capsys.readouterr().err


@pytest.mark.parametrize(
    "incoming", ["", "has space", "x" * 65, "a/b", "<script>", "id;drop", "caf\u00e9", "two\tparts"]
)
def test_an_unsafe_incoming_request_id_is_replaced(client, incoming, capsys):
    response = client.get("/login", headers={"X-Request-ID": incoming})
    replaced = response.headers["X-Request-ID"]
    assert GENERATED.fullmatch(replaced)
    err = capsys.readouterr().err
    assert f"request_id={replaced} GET /login 200" in err
    if incoming:
        assert incoming not in err


def test_a_line_break_in_a_path_cannot_forge_a_log_line(client, capsys):
    client.get("/login%0aFAKE%20ERROR%20line")
    request_line = next(line for line in capsys.readouterr().err.splitlines() if " mhc.request " in line)
    assert "GET /login\\x0aFAKE ERROR line 404" in request_line


@pytest.fixture
def json_app_config(app_config):
    app_config["LOG_FORMAT"] = "json"
    return app_config


def test_json_lines_parse_and_carry_the_request_id(json_app_config, app, client, login_as, capsys):
    probe(app)
    login_as("viewer")
    capsys.readouterr()
    response = client.get("/_log_probe?page=2", headers={"X-Request-ID": "edge-42"})
    assert response.headers["X-Request-ID"] == "edge-42"
    entries = [json.loads(line) for line in lines_of(capsys.readouterr().err)]  # every line is one JSON object
    mine = [e for e in entries if e.get("request_id") == "edge-42"]
    assert [e["logger"] for e in mine] == ["tests.probe", "mhc.request"]
    assert mine[0]["message"] == "probe says hello" and mine[0]["level"] == "INFO"
    request = mine[1]
    assert (request["method"], request["path"], request["status"], request["remote_addr"]) == (
        "GET",
        "/_log_probe?page=",
        200,
        "127.0.0.1",
    )
    assert isinstance(request["duration_ms"], float)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", request["time"])
    assert "run_id" not in request


def test_json_lines_carry_the_exception_text(json_app_config, app, capsys):
    try:
        raise ValueError("broken on purpose")
    except ValueError:
        logging.getLogger("tests.probe").exception("it failed")
    entry = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
    assert (entry["level"], entry["message"]) == ("ERROR", "it failed")
    assert entry["exception"].startswith("Traceback (most recent call last):")
    assert entry["exception"].endswith("ValueError: broken on purpose")


def test_a_jobs_lines_carry_its_run_id(app, capsys):
    run = enqueue("selftest", {"value": 3})
    # The run's own row says when it is done (the worker may be between taking the job and running it).
    assert wait_for_run(run.id, timeout=30).status == "finished"
    assert queues().wait_idle(30)  # the runner logs "finished" after recording it: let the job return first
    mine = [line for line in capsys.readouterr().err.splitlines() if f"run_id={run.id} " in line]
    assert [line.split(f"run_id={run.id} ", 1)[1].split(" after ")[0] for line in mine] == [
        "selftest started",
        "selftest finished",
    ]
    assert mine[1].endswith(": {'value': 6}")
    assert all(" mhc.jobs.runner " in line for line in mine)


def test_the_run_heartbeat_threads_lines_carry_the_run_id(app, capsys):
    run = JobRun(id=uuid.uuid4(), kind="selftest", status="running", args={}, created_at=utcnow())
    db.session.add(run)
    db.session.commit()
    with logs.run_context(run.id), run_heartbeat(run.id, 0.05):
        run.status = "failed"  # someone else ended the run: the heartbeat thread says so, and stops
        db.session.commit()
        time.sleep(0.5)
    warning = next(line for line in capsys.readouterr().err.splitlines() if "no longer 'running'" in line)
    assert f" WARNING mhc.jobs.heartbeat run_id={run.id} run {run.id} is no longer" in warning


def test_the_level_and_format_come_from_the_environment():
    cfg = Config.from_env({"MHC_LOG_LEVEL": "debug", "MHC_LOG_FORMAT": "JSON", "SECRET_KEY": "k"})
    assert (cfg.LOG_LEVEL, cfg.LOG_FORMAT) == ("DEBUG", "json")
    cfg = Config.from_env({"SECRET_KEY": "k"})
    assert (cfg.LOG_LEVEL, cfg.LOG_FORMAT) == (None, "text")
    with pytest.raises(ConfigError, match="MHC_LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL, got 'LOUD'"):
        Config.from_env({"MHC_LOG_LEVEL": "loud", "SECRET_KEY": "k"})
    with pytest.raises(ConfigError, match="MHC_LOG_FORMAT must be text or json, got 'xml'"):
        Config.from_env({"MHC_LOG_FORMAT": "xml", "SECRET_KEY": "k"})


def test_servers_log_info_and_cli_commands_only_warnings_unless_told(app):
    root = logging.getLogger()
    logs.configure_logging(None, "text")
    assert root.level == logging.INFO
    logs.use_cli_level()
    assert root.level == logging.ERROR
    logs.configure_logging("DEBUG", "text")
    logs.use_cli_level()
    assert root.level == logging.DEBUG
    assert [h for h in root.handlers if getattr(h, "mhc_handler", False)].__len__() == 1  # replaced, not added


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        ("GET https://eventsapi.chaturbate.com/events/hudson/Tok3nValue99/?i=5 200", "/events/hudson/***/?i=5 200"),
        ("http://127.0.0.1:5000/statsapi/?username=hudson&token=Stat5Token", "?username=hudson&token=***"),
        ("Cookie: sessionid=abc123; csrftoken=def456", "Cookie: ***"),
        ("{'sessionid': 'abc123xyz', 'n': 1}", "{'sessionid': '***', 'n': 1}"),
        ("postgresql://mhc:hunter2pass@db:5432/mhc", "postgresql://mhc:***@db:5432/mhc"),
        ("csrf_token=IjQ2Zm&password=pa55word", "csrf_token=***&password=***"),
    ],
)
def test_redaction_masks_token_like_parts(raw, masked):
    assert masked in logs.redact(raw)


def test_a_remembered_secret_is_masked_anywhere():
    logs.remember_secret("k9-very-own-Secret")
    assert logs.redact("value was k9-very-own-Secret, said nobody") == "value was ***, said nobody"


def test_tokens_and_cookies_read_from_storage_are_masked_wherever_they_appear(app):
    from mhc.services import secrets

    secrets.put(db.session, secrets.EVENTS_TOKEN, "Stored-Events-Token-77")
    secrets.store_cookies(db.session, "sessionid=Stored-Session-Value-88; csrftoken=Stored-Csrf-99")
    line = "GET https://feed.example/v2/hudson/Stored-Events-Token-77/ sent Stored-Session-Value-88 and Stored-Csrf-99"
    assert logs.redact(line) == line  # not read yet: no pattern knows these (no /events/ path, no name=)
    assert secrets.get(db.session, secrets.EVENTS_TOKEN) == "Stored-Events-Token-77"
    assert len(secrets.load_cookies(db.session)) == 2
    assert logs.redact(line) == "GET https://feed.example/v2/hudson/***/ sent *** and ***"


@pytest.mark.parametrize(
    "harmless",
    ["GET /healthz?token= 200 3.1ms", "tip of 25 tokens: thanks", "session: 3 rows", "Saved 2 cookies"],
)
def test_redaction_leaves_ordinary_text_alone(harmless):
    assert logs.redact(harmless) == harmless


def test_a_cli_command_says_its_outcome_once_and_logs_json_lines_when_asked(app, tmp_path):
    env = child_env(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path / "instance")
    quiet = run_flask(["follows", "sync", "following"], env)  # no cookies imported: the run fails at once
    assert quiet.returncode == 1
    said = "FollowSyncAborted: no Chaturbate session cookies imported (Admin → Follow lists): nothing read"
    assert (quiet.stdout + quiet.stderr).count(said) == 1, quiet.stdout + quiet.stderr

    loud = run_flask(["follows", "sync", "following"], {**env, "MHC_LOG_LEVEL": "INFO", "MHC_LOG_FORMAT": "json"})
    entries = [json.loads(line) for line in loud.stderr.splitlines() if line.startswith("{")]
    runs = db.session.scalars(select(JobRun.id).order_by(JobRun.created_at)).all()
    assert [(e["level"], e["message"].split(" after ")[0], e["run_id"]) for e in entries] == [
        ("INFO", "follow_sync started", str(runs[1])),
        ("WARNING", "follow_sync failed", str(runs[1])),
    ]
