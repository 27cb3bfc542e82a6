"""WSGI entry point: `gunicorn wsgi:app`, or `flask --app wsgi run`."""

import sys

from config import ConfigError
from mhc import create_app

try:
    app = create_app()
except ConfigError as exc:  # one line for the operator, not a traceback
    sys.exit(f"Error: {exc}")
