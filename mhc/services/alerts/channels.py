"""Alert channels: an Apprise URL per channel, checked when added, encrypted at rest, shown only as its
scheme and host (docs/alerts.md#channels-and-secrets)."""

from __future__ import annotations

import re
import uuid
from urllib.parse import urlsplit

import apprise
from sqlalchemy import select
from sqlalchemy.orm import Session

from mhc.logs import remember_secret
from mhc.models import AlertChannel, AlertRule
from mhc.services import audit, crypto
from mhc.services.alerts.kinds import AlertError

MAX_URL = 2000
TOKEN_KEY = re.compile(r"(?i)key|token|secret|pass|auth|sig|hook|id$")  # query keys whose values are secrets


def describe_channel(channel: AlertChannel | str) -> str:
    """What the panel shows of a channel's URL: `scheme://host`, never a path, user, password or token."""
    url = channel if isinstance(channel, str) else reveal_url(channel)
    return redacted_url(url)


def redacted_url(url: str) -> str:
    """`scheme://host` of a URL (host without user, password or port details beyond the name)."""
    try:
        parts = urlsplit(url.strip())
        host = parts.hostname or ""
    except ValueError:
        return "(unreadable URL)"
    return f"{parts.scheme}://{host}" if parts.scheme else "(unreadable URL)"


def reveal_url(channel: AlertChannel) -> str:
    """The channel's URL decrypted; from now on this process masks it (and its parts) in every log line."""
    url = crypto.reveal(channel.url_secret)
    remember_url(url)
    return url


def remember_url(url: str) -> None:
    """Mask the URL and each part of it that can carry a token (user, password, long path pieces, token-like
    query values) in every later log line; the host stays readable (the mask is process-wide)."""
    remember_secret(url)
    try:
        parts = urlsplit(url)
    except ValueError:
        return
    if not parts.scheme or not parts.netloc:
        return  # not a URL: its pieces would be host names and words (the whole text is masked above)
    for value in (parts.username, parts.password):
        remember_secret(value)
    for piece in parts.path.split("/"):
        if len(piece) >= 8 or any(ch.isdigit() for ch in piece):
            remember_secret(piece)
    for key, _, value in (item.partition("=") for item in parts.query.replace(";", "&").split("&")):
        if TOKEN_KEY.search(key):
            remember_secret(value)


def check_url(url: str) -> str:
    """The URL stripped, when Apprise knows how to send to it; AlertError (without the URL) otherwise."""
    url = (url or "").strip()
    if not url:
        raise AlertError("the channel URL is empty")
    if len(url) > MAX_URL:
        raise AlertError(f"the channel URL is longer than {MAX_URL} characters")
    scheme = url.partition("://")[0].lower() if "://" in url else ""
    if not scheme:
        raise AlertError("the channel URL has no scheme (like json://, mailto:// or discord://)")
    if not apprise.Apprise().add(url):
        raise AlertError(f"Apprise cannot send to this {scheme}:// URL: check its form in the Apprise documentation")
    return url


def add_channel(session: Session, name: str, url: str, actor_id: uuid.UUID | None) -> AlertChannel:
    """Add a channel after Apprise accepts its URL; the URL is encrypted and audited as scheme and host; commits."""
    name = _name(name)
    remember_url((url or "").strip())  # before Apprise parses it: Apprise logs the URLs it loads
    url = check_url(url)
    if session.scalar(select(AlertChannel.id).where(AlertChannel.name == name)) is not None:
        raise AlertError(f"a channel named {name!r} already exists")
    channel = AlertChannel(
        name=name,
        kind=url.partition("://")[0].lower()[:32],
        url_secret=crypto.encrypt(url),
        enabled=True,
        created_by=actor_id,
    )
    session.add(channel)
    session.flush()
    changes = {"name": [None, name], "kind": [None, channel.kind], "url": [None, redacted_url(url)]}
    audit.record_change(session, channel, "create", actor_id=actor_id, changes=changes)
    session.commit()
    return channel


def remove_channel(session: Session, channel_id: int, actor_id: uuid.UUID | None) -> None:
    """Delete a channel and its delivery log; refused while a rule sends to it; commits."""
    channel = get_channel(session, channel_id)
    users = list(
        session.scalars(select(AlertRule.name).where(AlertRule.channel_id == channel.id).order_by(AlertRule.name))
    )
    if users:
        raise AlertError(f"channel {channel.name!r} is used by rule(s) {', '.join(users)}: change or remove them first")
    audit.record_change(session, channel, "delete", actor_id=actor_id, changes={"name": [channel.name, None]})
    session.delete(channel)
    session.commit()


def set_channel_enabled(session: Session, channel_id: int, enabled: bool, actor_id: uuid.UUID | None) -> AlertChannel:
    """Turn a channel on or off (while off its rules write nothing; rows already waiting fail, to Retry); commits."""
    channel = get_channel(session, channel_id)
    if channel.enabled != bool(enabled):
        audit.record_change(
            session, channel, "update", actor_id=actor_id, changes={"enabled": [channel.enabled, bool(enabled)]}
        )
        channel.enabled = bool(enabled)
    session.commit()
    return channel


def list_channels(session: Session) -> list[AlertChannel]:
    """Every channel by name."""
    return list(session.scalars(select(AlertChannel).order_by(AlertChannel.name)))


def get_channel(session: Session, channel_id) -> AlertChannel:
    """One channel by id; AlertError when there is none."""
    try:
        channel = session.get(AlertChannel, int(channel_id))
    except (TypeError, ValueError):
        channel = None
    if channel is None:
        raise AlertError("no such channel")
    return channel


def _name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise AlertError("give the channel a name")
    if len(name) > 100:
        raise AlertError("a channel name has at most 100 characters")
    return name
