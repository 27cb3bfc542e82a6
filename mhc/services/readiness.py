"""What a trigger needs before it can succeed: the cookies, a token or a setting that is missing.

A button whose work must fail is shown disabled with the reason and a link (the panel turns the link key
into an address, mhc/admin/links.py), and the view that receives the trigger refuses it the same way, so no
run is queued that can only fail (docs/operator.md#buttons-that-need-setting-up).
Plain rules over a session and the configuration; no request, no flash.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy.orm import Session

from mhc.models import StoredSecret
from mhc.services import failures, secrets

FOLLOW_SYNC = "follow_sync"
AFFILIATE_KINDS = ("affiliate_poll", "refresh_person")
SETTINGS_LINK = None  # a setting of the environment file: no page to send the owner to


@dataclass(frozen=True)
class Missing:
    """Why a trigger cannot succeed yet: `reason` is the short button title, `next_step` says what to do,
    `link` where (failures.COOKIES, failures.EVENTS_TOKEN or None)."""

    reason: str
    next_step: str
    link: str | None

    def sentence(self) -> str:
        """The refusal as one sentence, for a flash or a JSON error."""
        return f"{self.reason}: {self.next_step}"


NO_COOKIES = Missing(
    "Import cookies first",
    "the follow lists are read while logged in as you, and no Chaturbate cookies are imported.",
    failures.COOKIES,
)
NO_CAMPAIGN = Missing(
    "Set AFFILIATE_WM first",
    "the online rooms are read with your affiliate campaign; set AFFILIATE_WM in the environment file and "
    "restart the panel.",
    SETTINGS_LINK,
)
NO_EVENTS_TOKEN = Missing(
    "Paste the Events API token first",
    "the listener reads your room's events with your Events API token, and none is stored.",
    failures.EVENTS_TOKEN,
)


DEMO_RUN = Missing(
    "Demo sample",
    "this run is part of the demo data; it never ran, so it is not retried.",
    SETTINGS_LINK,
)


def has_secret(session: Session, name: str) -> bool:
    """True when a secret of this name is stored (without decrypting it)."""
    return session.get(StoredSecret, name) is not None


def missing_for(kind: str, session: Session, config: Mapping) -> Missing | None:
    """What a run of `kind` lacks before it can succeed, or None when nothing known is missing."""
    if kind == FOLLOW_SYNC and not has_secret(session, secrets.COOKIES):
        return NO_COOKIES
    if kind in AFFILIATE_KINDS and not config.get("AFFILIATE_WM"):
        return NO_CAMPAIGN
    if kind == "events_listen" and not has_secret(session, secrets.EVENTS_TOKEN):
        return NO_EVENTS_TOKEN
    return None


def missing_for_retry(run, session: Session, config: Mapping) -> Missing | None:
    """What retrying `run` lacks: the demo's sample runs are never retried (they would reach a live site for
    a made-up person); otherwise what a new run of its kind lacks."""
    if (run.artifacts or {}).get("demo"):
        return DEMO_RUN
    return missing_for(run.kind, session, config)
