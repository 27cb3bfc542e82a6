"""Sending one message through Apprise, with the reason for a failure in the owner's words and every part of
the channel URL masked (docs/alerts.md#channels-and-secrets)."""

from __future__ import annotations

import logging

import apprise

from mhc.logs import redact

TIMEOUT_SECONDS = 20
FORMAT = apprise.NotifyFormat.TEXT  # plain lines; Apprise converts for channels that want HTML or Markdown


def send(url: str, title: str, body: str) -> str | None:
    """Send one message; None when the channel took it, else why not (redacted, one line)."""
    notifier = apprise.Apprise()
    if not notifier.add(url):
        return "Apprise no longer accepts this channel's URL: remove the channel and add it again"
    with apprise.LogCapture(level=logging.WARNING) as captured:
        try:
            ok = bool(notifier.notify(body=body, title=title, body_format=FORMAT, timeout=TIMEOUT_SECONDS))
        except Exception as exc:  # a plugin bug must end as a failed delivery with its reason, not a lost one
            return _reason(f"{exc.__class__.__name__}: {exc}")
        log = captured.getvalue()
    return None if ok else _reason(log)


def _reason(log: str) -> str:
    """The last useful line Apprise logged, prefixed with what it means for the owner."""
    lines = [line.split(" - ", 2)[-1].strip() for line in (log or "").splitlines() if line.strip()]
    detail = lines[-1] if lines else "no reason given"
    for line in reversed(lines):  # a line naming the error is more useful than a trailing "details" line
        if "error" in line.lower() or "fail" in line.lower():
            detail = line
            break
    return redact(f"the channel did not take the message: {detail}")[:1000]
