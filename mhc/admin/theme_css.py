"""The dark swatch, served without its web-font import (docs/operator.md#light-and-dark-theme).

Bootswatch's Darkly, as Flask-Admin ships it, starts with `@import url(https://fonts.googleapis.com/...)`:
every page in the dark theme (and every page and the login page under "follow the system") would ask Google
for the Lato font. The panel serves the same file with that import taken out, read once from the installed
Flask-Admin; the font falls back to the swatch's next choice, the system's own sans-serif.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import flask_admin
from flask import Blueprint, Flask, Response

DARKLY = Path(flask_admin.__file__).parent / "static/bootstrap/bootstrap4/swatch/darkly/bootstrap.min.css"
REMOTE_IMPORT = re.compile(rb"@import url\([^)]*\);?")
MAX_AGE = 7 * 86400  # the URL carries Flask-Admin's version, so a new file gets a new URL

blueprint = Blueprint("theme_css", __name__)


@cache
def darkly_css() -> bytes:
    """The Darkly stylesheet without its @import of remote fonts."""
    return REMOTE_IMPORT.sub(b"", DARKLY.read_bytes())


@blueprint.route("/theme/darkly.css")
def darkly():
    response = Response(darkly_css(), mimetype="text/css")
    response.cache_control.public = True
    response.cache_control.max_age = MAX_AGE
    return response


def init_theme_css(app: Flask) -> None:
    """Serve the dark swatch (public: the login page uses it too)."""
    app.register_blueprint(blueprint)
    app.jinja_env.globals["flask_admin_version"] = flask_admin.__version__
