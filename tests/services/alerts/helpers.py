"""Channels and rules built through the services, as the panel builds them."""

from __future__ import annotations

from mhc.extensions import db
from mhc.services import alerts


def add_channel(name: str, url: str):
    """A channel made through the service, as the panel does."""
    return alerts.add_channel(db.session, name, url, None)


def add_rule(name: str, kind: str, channel, **fields):
    """A rule made through the service, as the panel does."""
    values = {"name": name, "kind": kind, "channel_id": channel.id, "enabled": True, **fields}
    return alerts.save_rule(db.session, None, values, None)
