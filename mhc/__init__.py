"""MHC Control Panel: the application factory."""

from __future__ import annotations

from flask import Flask

from config import Config


def create_app(config: object | None = None) -> Flask:
    """Build the Flask app: configuration, then one init_* call per subsystem."""
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_object(config or Config.from_env())

    # Here, not at the top: `import mhc.models` (Alembic, scripts, tests) must not load the whole web app.
    from mhc import admin, auth, cli, database, health, input_guard, jobs, logs, web_security

    logs.init_logging(app)  # first: every later hook's log lines carry the request id
    web_security.init_web_security(app)
    database.init_database(app)
    input_guard.init_input_guard(app)
    auth.init_auth(app)
    jobs.init_jobs(app)
    admin.init_admin(app)
    cli.init_cli(app)
    health.init_health(app)
    return app
