"""Events API tokens and cursor: what is stored, whether a cursor may be followed, where the listener starts.

The cursor (`nextUrl`) embeds the Events token, so it is a secret like the token itself; the panel
shows only when each was set. The longpoll loop that uses them is a job (mhc/jobs/events_listener.py).
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from mhc.clients import events_api
from mhc.models import JobRun
from mhc.services import audit, secrets

log = logging.getLogger(__name__)
STATS_TOKEN = "stats_api_token"  # noqa: S105 (a key name, not a secret)
MAX_CURSOR = 2048  # a real nextUrl is about 150 characters
DEFAULT_PORTS = {"http": 80, "https": 443}


class EventsNotConfigured(RuntimeError):
    """No Events API token has been pasted yet."""


def save_tokens(
    session: Session, events_token: str | None, stats_token: str | None = None, *, actor_id: uuid.UUID | None = None
) -> list[str]:
    """Store the pasted tokens (blank = keep); a new Events token drops the old cursor. Commit; return what changed."""
    changed = []
    if events_token and events_token.strip():
        secrets.put(session, secrets.EVENTS_TOKEN, events_token.strip())
        secrets.delete(session, secrets.EVENTS_NEXT_URL)  # the cursor embeds the old token
        changed.append(secrets.EVENTS_TOKEN)
    if stats_token and stats_token.strip():
        secrets.put(session, STATS_TOKEN, stats_token.strip())
        changed.append(STATS_TOKEN)
    for name in changed:
        audit.record(session, action="secret_set", object_type="stored_secret", object_id=name, actor_id=actor_id)
    session.commit()
    return changed


def start_url(session: Session, base_url: str, owner: str, longpoll_timeout: int) -> tuple[str, str | None]:
    """Where the listener starts: (the stored cursor or the first URL, why a stored cursor was discarded or None).

    A stored cursor that leaves the configured Events API is deleted (committed) and the feed starts again
    from the first URL. EventsNotConfigured when no Events token is stored."""
    token = secrets.get(session, secrets.EVENTS_TOKEN)
    if not token:
        raise EventsNotConfigured("no Events API token: paste one under Admin → Events API")
    stored = secrets.get(session, secrets.EVENTS_NEXT_URL)
    problem = cursor_problem(base_url, stored) if stored else None
    if problem:
        problem = f"stored cursor discarded: {problem}"
        log.error("Events API: %s; starting again from the configured URL", problem)
        secrets.delete(session, secrets.EVENTS_NEXT_URL)
        session.commit()
        stored = None
    return stored or events_api.first_url(base_url, owner, token, longpoll_timeout), problem


def cursor_problem(base_url: str, url: str) -> str | None:
    """Why `url` may not be followed as the Events API cursor, or None when it may.

    It must keep the scheme, host, port and path prefix of the configured EVENTS_API_URL, carry no
    user part, and hold no character that URL parsers disagree on (backslash, space, control)."""
    if len(url) > MAX_CURSOR or any(c in "\\ " or ord(c) < 32 or 0xD800 <= ord(c) < 0xE000 for c in url):
        return "nextUrl holds characters a cursor never has"
    base, nxt = urlsplit(base_url), urlsplit(url)
    try:
        same_origin = _origin(nxt) == _origin(base) and "@" not in nxt.netloc
    except ValueError:  # a port that is not a number
        same_origin = False
    if not same_origin:
        return f"nextUrl points to {_shown_origin(nxt)}, outside the configured {_shown_origin(base)}"
    prefix = base.path if base.path.endswith("/") else base.path + "/"
    if not nxt.path.startswith(prefix) or {".", ".."} & set(unquote(nxt.path).split("/")):
        return f"nextUrl leaves the path {prefix} of the configured Events API"
    return None


def _origin(parts) -> tuple:
    scheme = parts.scheme.lower()
    return scheme, (parts.hostname or "").lower(), parts.port or DEFAULT_PORTS.get(scheme)


def _shown_origin(parts) -> str:
    """scheme://host[:port] only: the path and query of an Events API URL hold the token."""
    host = (parts.hostname or "")[:100]
    try:
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        port = ""
    return f"{parts.scheme.lower()[:20]}://{host}{port}"


@dataclass(frozen=True)
class ListenerStatus:
    """What the panel may show about the listener: dates and states, never a token or the cursor."""

    token: str
    stats_token: str
    cursor: str
    last_run: JobRun | None


def listener_status(session: Session) -> ListenerStatus:
    """Token/cursor descriptions ("set <date>" / "not set") and the newest events_listen run."""
    last = session.scalars(
        select(JobRun).where(JobRun.kind == "events_listen").order_by(JobRun.created_at.desc()).limit(1)
    ).first()
    return ListenerStatus(
        token=secrets.describe(session, secrets.EVENTS_TOKEN),
        stats_token=secrets.describe(session, STATS_TOKEN),
        cursor=secrets.describe(session, secrets.EVENTS_NEXT_URL),
        last_run=last,
    )
