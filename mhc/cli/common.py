"""Helpers shared by the command modules, and the one place expected failures become one-line errors."""

from __future__ import annotations

import functools

import click
import redis
from flask import current_app, has_app_context
from sqlalchemy.exc import OperationalError

from mhc.database import DatabaseUnavailable, check_database
from mhc.extensions import db
from mhc.jobs import JobAlreadyRunning, JobsUnavailable
from mhc.logs import use_cli_level
from mhc.services.crypto import SecretsUndecryptable
from mhc.services.follows.follow_ledger import FollowListError

DATABASE_EXIT = 2  # the database cannot be reached, or stayed locked past the busy timeout
FAILURE_EXIT = 1


class CommandError(click.ClickException):
    """An expected failure: click prints it as one `Error: ...` line on stderr and exits non-zero."""

    def __init__(self, message: str, exit_code: int = FAILURE_EXIT):
        super().__init__(" ".join(str(message).split()))
        self.exit_code = exit_code


def require_database() -> None:
    """Fail with a one-line message (status 2) when the database cannot be reached."""
    check_database()


def one_line_errors(command: click.Command) -> click.Command:
    """Make a command, and every subcommand of a group, report expected failures as one line, not a traceback."""
    if command.callback is not None and not getattr(command.callback, "_one_line_errors", False):
        command.callback = _guarded(command.callback)
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            one_line_errors(sub)
    return command


def _guarded(callback):
    @functools.wraps(callback)
    def run(*args, **kwargs):
        use_cli_level()  # a command's own output stays readable: only warnings are logged unless MHC_LOG_LEVEL says
        try:
            return callback(*args, **kwargs)
        except click.ClickException:
            raise
        except Exception as exc:  # only the expected kinds are translated; anything else keeps its traceback
            error = expected_error(exc)
            if error is None:
                raise
            _rollback()
            raise error from None

    run._one_line_errors = True
    return run


def expected_error(exc: BaseException) -> CommandError | None:
    """The one-line error for a failure an operator can act on; None for a bug (keep its traceback)."""
    if isinstance(exc, DatabaseUnavailable):
        return CommandError(str(exc), DATABASE_EXIT)
    if isinstance(exc, OperationalError):
        return CommandError(_database_reason(exc), DATABASE_EXIT)
    if isinstance(exc, (JobsUnavailable, JobAlreadyRunning, FollowListError, SecretsUndecryptable)):
        return CommandError(str(exc))
    if isinstance(exc, redis.RedisError):
        return CommandError(f"the job queue is unavailable ({exc}); nothing was started")
    if isinstance(exc, OSError):  # an input file that cannot be read, a closed socket
        where = f"{exc.filename}: " if exc.filename else ""
        return CommandError(f"{where}{exc.strerror or exc}")
    return None


def _database_reason(exc: OperationalError) -> str:
    reason = (str(exc.orig).strip().splitlines() or ["unknown error"])[0] if exc.orig else str(exc)
    if "locked" in reason:
        timeout = current_app.config.get("SQLITE_BUSY_TIMEOUT") if has_app_context() else None
        waited = f" ({timeout:g} s, SQLITE_BUSY_TIMEOUT)" if timeout else ""
        return f"{reason}: another process held the write lock longer than the busy timeout{waited}; try again"
    return f"database unavailable: {reason}"


def _rollback() -> None:
    if has_app_context():
        try:
            db.session.rollback()
        except Exception:  # noqa: S110 (the session is only being tidied before the process exits)
            pass
