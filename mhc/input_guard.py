"""Hostile input answers 4xx, never 5xx: one place for the rules every request shares.

- A NUL character anywhere in the path, the query string or a form (names, values, upload file names) is
  refused with 400 before any view runs: no column can store it (PostgreSQL refuses it in text) and no
  legitimate value of the panel contains one.
- Request bodies are capped by MAX_CONTENT_LENGTH (MHC_MAX_UPLOAD_MB); a larger one is refused with 413.
- 400, 403, 404, 405, 413 and 500 answer one plain sentence: JSON for the panel's .json endpoints and JSON
  clients, else a page inside the panel's layout (navigation included) for a logged-in user, or a small
  page of its own for anyone else (it shows no navigation, and needs nothing that may be broken).
- `bounded_int` is the one parser for whole-number parameters (pages, ids): out of range is not a number.
"""

from __future__ import annotations

import logging

from flask import Flask, abort, current_app, g, jsonify, render_template, request
from flask_login import current_user
from werkzeug.exceptions import HTTPException

from mhc.extensions import db

log = logging.getLogger(__name__)

NUL = "\x00"
NUL_MESSAGE = "The request contains a NUL character, which no field of the panel accepts."
TITLES = {
    400: "Bad request",
    403: "Not allowed",
    404: "Not found",
    405: "Method not allowed",
    413: "Too large",
    500: "Something went wrong",
}
DEFAULT_MESSAGES = {
    400: "The request could not be understood: one of its values is not valid.",
    404: "There is nothing here: the page, or the row it names, does not exist.",
    405: "This address does not accept that kind of request.",
}
# Always these words, whatever the code that refused said: a 403 names no permission, role or row.
FIXED_MESSAGES = {
    403: "Your account is not allowed to open this page. An admin of the panel can give you access.",
    500: "Something went wrong on the panel's side; nothing was changed. The error is in the panel's log.",
}
INT64 = (-(2**63), 2**63 - 1)


def init_input_guard(app: Flask) -> None:
    """Refuse NUL characters and answer 400/403/404/405/413/500 with a short sentence."""
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
    if error.code in FIXED_MESSAGES:
        return FIXED_MESSAGES[error.code]
    if error.code == 413:
        return f"The request is too large: uploads and pasted lists may be at most {upload_limit_mb()} MB in all."
    default = type(error).description
    described = error.description and error.description != default
    return error.description if described else DEFAULT_MESSAGES.get(error.code, default or "")


def upload_limit_mb() -> int:
    """The configured upload limit in whole megabytes."""
    return (current_app.config.get("MAX_CONTENT_LENGTH") or 0) // (1024 * 1024)


def short_error(error: HTTPException):
    """A short sentence for the error: JSON for .json endpoints and JSON clients, else a page."""
    message = _message(error)
    if error.code == 500:
        _rollback()  # the failed request may have left the session unusable
        request_id = g.get("request_id")
        message = f"{message[:-1]} (request {request_id})." if request_id else message
    if request.path.endswith(".json") or request.accept_mimetypes.best == "application/json":
        return jsonify({"error": message}), error.code
    context = {"code": error.code, "title": TITLES[error.code], "message": message}
    return _panel_page(context) or render_template("errors/error.html", **context), error.code


def _panel_page(context: dict) -> str | None:
    """The error inside the panel's layout for a logged-in user; None for anyone else, or when the layout
    itself cannot be drawn (then the small page, which needs neither the database nor the menu)."""
    admin = current_app.extensions.get("mhc_admin")  # set by init_admin; no import: admin builds on this module
    try:
        if admin is None or not current_user.is_authenticated:
            return None
        return admin.index_view.render("errors/panel_error.html", **context)
    except Exception:  # noqa: BLE001  an error page must not fail itself: the plain page is always there
        log.exception("the panel layout could not be drawn for an error page")
        _rollback()
        return None


def _rollback() -> None:
    """End the request's transaction; with the database gone, there is nothing to end."""
    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001  the error page is drawn either way
        log.warning("rollback before an error page failed", exc_info=True)
