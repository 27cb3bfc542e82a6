"""Stats API client: the owner's account numbers, decoded with -1 mapped to null (docs/domain.md#stats-api).

Imports nothing from the app; the token is a secret: never log the URL.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import requests

from mhc.clients.http import failure_reason

INT_FIELDS = (
    "token_balance",
    "tips_in_last_hour",
    "votes_up",
    "votes_down",
    "time_online",
    "num_followers",
    "num_viewers",
    "num_registered_viewers",
)


class StatsApiError(RuntimeError):
    """The Stats API could not be read; the message says why (404 = unknown user)."""


@dataclass(frozen=True)
class OwnerStats:
    """One Stats API answer; fields the API reports as -1 are None."""

    username: str
    token_balance: int | None = None
    tips_in_last_hour: int | None = None
    votes_up: int | None = None
    votes_down: int | None = None
    satisfaction_score: int | None = None
    last_broadcast: datetime | None = None
    time_online: int | None = None
    num_followers: int | None = None
    num_viewers: int | None = None
    num_registered_viewers: int | None = None


def _int(value) -> int | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = int(float(value))
    except (TypeError, ValueError):
        return None
    return None if number == -1 else number


def _datetime(value) -> datetime | None:
    if value in (None, -1, "-1", ""):
        return None
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def decode(body: dict) -> OwnerStats:
    """Turn a Stats API JSON object into OwnerStats (pure)."""
    if not isinstance(body, dict) or not body.get("username"):
        raise StatsApiError("Stats API answer has no username")
    values = {name: _int(body.get(name)) for name in INT_FIELDS}
    score = body.get("satisfaction_score")
    return OwnerStats(
        username=str(body["username"]).lower(),
        satisfaction_score=_int(score),
        last_broadcast=_datetime(body.get("last_broadcast")),
        **values,
    )


def fetch(http: requests.Session, url: str, username: str, token: str, timeout: float = 30.0) -> OwnerStats:
    """GET the Stats API for one user and decode it (`http` from clients.http.make_session retries 5xx/429)."""
    try:
        response = http.get(url, params={"username": username, "token": token}, timeout=timeout)
    except requests.RequestException as exc:
        raise StatsApiError(f"Stats API request failed: {exc.__class__.__name__}: {failure_reason(exc)}") from None
    if response.status_code == 404:
        raise StatsApiError("Stats API: unknown user (HTTP 404)")
    if response.status_code != 200:
        raise StatsApiError(f"Stats API answered HTTP {response.status_code}")
    try:
        return decode(response.json())
    except ValueError:
        raise StatsApiError("Stats API answered malformed JSON") from None
