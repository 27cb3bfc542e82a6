"""Logging for every process (web app, `python worker.py`, the Events listener, CLI commands).

One handler on the root logger, set up from MHC_LOG_LEVEL and MHC_LOG_FORMAT (text or json). Each line carries
the request id of the web request or the run id of the job it was written during (both read from context
variables, so a line from any library called meanwhile carries them too), and passes through `redact`, the one
place secrets are masked. docs/production.md, "Logging", describes the lines.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime

from flask import Flask, Response, g, request

CLI_DEFAULT_LEVEL = "ERROR"  # a command reports its own outcome; its lines are not repeated as log lines
REQUEST_ID_HEADER = "X-Request-ID"
SAFE_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
MASK = "***"

request_id_var: ContextVar[str | None] = ContextVar("mhc_request_id", default=None)
run_id_var: ContextVar[str | None] = ContextVar("mhc_run_id", default=None)

# Secrets that can reach a log line through a library (a URL in urllib3's debug lines, werkzeug's request
# line): the Events API token is a path segment after the username, the Stats API token a query value, and
# cookies or credentials travel as name=value pairs or headers.
_REDACTIONS = (
    (re.compile(r"(/events/[^/\s?#\"']+/)[^/\s?#\"']+"), rf"\g<1>{MASK}"),
    (
        re.compile(
            r"(?i)((?<![a-z0-9])(?:token|access_token|api_key|password|passwd|secret|csrf_token|csrftoken|"
            r"sessionid|session|remember_token|cookies?)(?:=[\"']?|[\"']?\s*:\s*[\"']))[^&;\s\"',}]+"
        ),
        rf"\g<1>{MASK}",
    ),
    (re.compile(r"(?i)\b((?:set-)?cookie|authorization)(\s*[:=]\s*)[^\r\n]+"), rf"\g<1>\g<2>{MASK}"),
    (re.compile(r"(\b[a-z][a-z0-9+.-]*://[^:/\s@]*:)[^@\s/]+@"), rf"\g<1>{MASK}@"),  # a password in a URL
)
MIN_SECRET_LENGTH = 6  # shorter values would mask ordinary words
_known_secrets: tuple[str, ...] = ()  # longest first; replaced whole, so readers in other threads need no lock
_remember_lock = threading.Lock()


def remember_secret(value: str | None) -> None:
    """Mask this exact value in every later log line (a token or cookie value read from storage)."""
    global _known_secrets
    if not isinstance(value, str) or len(value) < MIN_SECRET_LENGTH or value in _known_secrets:
        return
    with _remember_lock:
        _known_secrets = tuple(sorted({*_known_secrets, value}, key=len, reverse=True))


def redact(text: str) -> str:
    """The text with known secret values and token-like URL parts, credentials and cookies masked."""
    for secret in _known_secrets:
        if secret in text:
            text = text.replace(secret, MASK)
    for pattern, replacement in _REDACTIONS:
        text = pattern.sub(replacement, text)
    return text


class ContextFilter(logging.Filter):
    """Adds request_id and run_id (None when not set) to every record the handler writes."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = request_id_var.get()
        if getattr(record, "run_id", None) is None:
            record.run_id = run_id_var.get()
        return True


REQUEST_FIELDS = ("method", "path", "status", "duration_ms", "remote_addr")


class TextFormatter(logging.Formatter):
    """`2026-01-01T12:00:00.123Z INFO mhc.request request_id=... message`, secrets masked."""

    def format(self, record: logging.LogRecord) -> str:
        ids = "".join(f"{k}={v} " for k in ("request_id", "run_id") if (v := getattr(record, k, None)))
        line = f"{_timestamp(record)} {record.levelname} {record.name} {ids}{record.getMessage()}"
        if details := _exception_text(self, record):
            line = f"{line}\n{details}"
        return redact(line)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request_id/run_id, request fields, exception."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": _timestamp(record),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        for key in ("request_id", "run_id", *REQUEST_FIELDS):
            if (value := getattr(record, key, None)) is not None:
                entry[key] = redact(value) if isinstance(value, str) else value
        if details := _exception_text(self, record):
            entry["exception"] = redact(details)
        return json.dumps(entry, ensure_ascii=False, default=str)


def _timestamp(record: logging.LogRecord) -> str:
    return datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _exception_text(formatter: logging.Formatter, record: logging.LogRecord) -> str:
    parts = []
    if record.exc_info:
        parts.append(formatter.formatException(record.exc_info))
    elif record.exc_text:
        parts.append(record.exc_text)
    if record.stack_info:
        parts.append(formatter.formatStack(record.stack_info))
    return "\n".join(parts)


class StderrHandler(logging.StreamHandler):
    """Writes to whatever sys.stderr is at the time of each line (a test may replace it between apps)."""

    def __init__(self):
        super().__init__(sys.stderr)

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, value) -> None:
        pass


def build_handler(fmt: str = "text", stream=None) -> logging.Handler:
    """A handler writing our lines (ids added, secrets masked) to `stream`, or to stderr."""
    handler = logging.StreamHandler(stream) if stream is not None else StderrHandler()
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    handler.addFilter(ContextFilter())
    handler.mhc_handler = True
    return handler


class _State:
    level = "INFO"
    cli_level = CLI_DEFAULT_LEVEL


def configure_logging(level: str | None = None, fmt: str = "text", stream=None) -> logging.Handler:
    """Install our one root handler (replacing an earlier one); level None = INFO, and ERROR for CLI commands."""
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "mhc_handler", False)]:
        root.removeHandler(old)
    handler = build_handler(fmt, stream)
    root.addHandler(handler)
    _State.level, _State.cli_level = level or "INFO", level or CLI_DEFAULT_LEVEL
    root.setLevel(_State.level)
    return handler


def use_cli_level() -> None:
    """A CLI command is starting: log only errors unless MHC_LOG_LEVEL was set."""
    logging.getLogger().setLevel(_State.cli_level)


@contextmanager
def run_context(run_id) -> Iterator[None]:
    """Every log line written in this block (this thread, or a thread started with its context) names the run."""
    token = run_id_var.set(str(run_id))
    try:
        yield
    finally:
        run_id_var.reset(token)


def init_logging(app: Flask) -> None:
    """Configure logging from the app's settings and give each web request an id."""
    from flask.logging import default_handler

    configure_logging(app.config.get("LOG_LEVEL"), app.config.get("LOG_FORMAT", "text"))
    app.logger.removeHandler(default_handler)  # Flask's own handler would print every error twice
    app.before_request(_start_request)
    app.after_request(_finish_request)
    app.teardown_request(_end_request)


def request_id_from(header: str | None) -> str:
    """The caller's X-Request-ID when it is a safe id (letters, digits, `._-`, at most 64), else a new one."""
    if header and SAFE_REQUEST_ID.fullmatch(header):
        return header
    return uuid.uuid4().hex


def _start_request() -> None:
    g.request_id = request_id_from(request.headers.get(REQUEST_ID_HEADER))
    g.request_started = time.perf_counter()
    request_id_var.set(g.request_id)


def _finish_request(response: Response) -> Response:
    request_id = g.get("request_id") or request_id_from(None)
    response.headers[REQUEST_ID_HEADER] = request_id
    fields = {
        "method": request.method,
        "path": _path_without_values(),
        "status": response.status_code,
        "duration_ms": round((time.perf_counter() - g.get("request_started", time.perf_counter())) * 1000, 1),
        "remote_addr": request.remote_addr,
    }
    line = "%(method)s %(path)s %(status)s %(duration_ms)sms %(remote_addr)s"
    logging.getLogger("mhc.request").info(line, fields, extra={**fields, "request_id": request_id})
    return response


def _end_request(_exc: BaseException | None) -> None:
    request_id_var.set(None)


def _path_without_values() -> str:
    """The path plus the names (never the values) of its query parameters: a value may be a secret."""
    names = list(dict.fromkeys(request.args.keys()))
    path = request.path + ("?" + "&".join(f"{name}=" for name in names) if names else "")
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", path)  # a line break in a path must not forge a line
