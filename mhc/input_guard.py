"""Hostile input answers 4xx, never 5xx: one place for the rules every request shares.

- A NUL character anywhere in the path, the query string or a form (names, values, upload file names) is
  refused with 400 before any view runs: no column can store it (PostgreSQL refuses it in text) and no
  legitimate value of the panel contains one.
- Request bodies are capped by MAX_CONTENT_LENGTH (MHC_MAX_UPLOAD_MB); a larger one is refused with 413.
- 400, 404, 405 and 413 answer a short sentence: a small HTML page, or JSON for the panel's .json endpoints.
- `bounded_int` is the one parser for whole-number parameters (pages, ids): out of range is not a number.
"""

from __future__ import annotations

from flask import Flask, abort, current_app, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

NUL = "\x00"
NUL_MESSAGE = "The request contains a NUL character, which no field of the panel accepts."
TITLES = {400: "Bad request", 404: "Not found", 405: "Method not allowed", 413: "Too large"}
DEFAULT_MESSAGES = {
    400: "The request could not be understood: one of its values is not valid.",
    404: "There is nothing here: the page, or the row it names, does not exist.",
    405: "This address does not accept that kind of request.",
}
INT64 = (-(2**63), 2**63 - 1)


def init_input_guard(app: Flask) -> None:
    """Refuse NUL characters and answer 400/404/405/413 with a short sentence."""
    app.before_request(reject_nul)
    for code in TITLES:
        app.register_error_handler(code, short_error)


def bounded_int(raw, low: int = INT64[0], high: int = INT64[1]) -> int | None:
    """A whole number written in decimal within [low, high]; None for anything else (never raises)."""
    text = str(raw).strip() if raw is not None else ""
    if not text or len(text) > 20 or not text.lstrip("+-").isdigit() or not text.isascii():
        return None
    value = int(text)
    return value if low <= value <= high else None


def clamp(value: int | None, low: int, high: int) -> int:
    """`value` moved into [low, high] (None counts as low)."""
    return low if value is None else max(low, min(high, value))


def shorten(text: object, limit: int = 200) -> str:
    """Text cut to `limit` characters for a message: a flash lives in the session cookie (about 4 KB in all),
    so user input is never repeated in one whole."""
    text = str(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _has_nul(pairs) -> bool:
    return any(NUL in key or NUL in value for key, value in pairs)


def reject_nul():
    """400 when the path, the query string or the form carries a NUL character."""
    if NUL in request.path or _has_nul(request.args.items(multi=True)):
        abort(400, NUL_MESSAGE)
    if request.method in ("POST", "PUT", "PATCH"):
        names = [(key, f.filename or "") for key, f in request.files.items(multi=True)]
        if _has_nul(request.form.items(multi=True)) or _has_nul(names):
            abort(400, NUL_MESSAGE)
    return None


def _message(error: HTTPException) -> str:
    if error.code == 413:
        return f"The request is too large: uploads and pasted lists may be at most {upload_limit_mb()} MB in all."
    default = type(error).description
    described = error.description and error.description != default
    return error.description if described else DEFAULT_MESSAGES.get(error.code, default or "")


def upload_limit_mb() -> int:
    """The configured upload limit in whole megabytes."""
    return (current_app.config.get("MAX_CONTENT_LENGTH") or 0) // (1024 * 1024)


def short_error(error: HTTPException):
    """A short sentence for the error: JSON for .json endpoints and JSON clients, else a small page."""
    message = _message(error)
    if request.path.endswith(".json") or request.accept_mimetypes.best == "application/json":
        return jsonify({"error": message}), error.code
    page = render_template("errors/error.html", code=error.code, title=TITLES[error.code], message=message)
    return page, error.code
