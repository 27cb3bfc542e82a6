"""The panel's words: Jinja filters that say counts, durations, times, event names, job kinds and roles
the way the owner says them, and the link behind a failed run's next step.

One home for these words: every template uses the filters, so "1 person" and "entered the room" read the
same on every page. Registered by init_words(app) from init_admin. docs/operator.md#the-panels-words.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from flask import Flask, current_app, url_for
from markupsafe import Markup

from mhc.services import failures

# Events API methods (mhc/clients/events_api.py KNOWN_METHODS) as a sentence about the person says them.
EVENT_NAMES = {
    "broadcastStart": "started broadcasting",
    "broadcastStop": "stopped broadcasting",
    "userEnter": "entered the room",
    "userLeave": "left the room",
    "follow": "followed",
    "unfollow": "unfollowed",
    "fanclubJoin": "joined the fan club",
    "chatMessage": "chat message",
    "privateMessage": "private message",
    "tip": "tip",
    "mediaPurchase": "bought media",
    "roomSubjectChange": "changed the room subject",
}
# Job kinds (mhc/jobs/kinds.py KINDS) and follow-list sources, as the owner names the work.
JOB_NAMES = {
    "affiliate_poll": "online rooms check",
    "refresh_person": "person refresh",
    "p2_scrape": "P2 profile round",
    "artifact_cleanup": "old files cleanup",
    "batch_action": "batch action",
    "events_listen": "events listener",
    "stats_poll": "account stats check",
    "follow_sync": "follow list sync",
    "profile_scrape": "profile read",
    "selftest": "self-test",
    "alert_delivery": "alert sending",
    "list_scrape": "follow list read",
    "manual_import": "manual import",
}
ROLE_NAMES = {"VIEWER": "viewer", "MODEL": "model", "BOTH": "viewer and model", "UNKNOWN": "unknown"}
STATUS_NAMES = {
    "queued": "waiting",
    "running": "running",
    "finished": "done",
    "failed": "failed",
    "cancelled": "cancelled",
    "held": "waiting for you",
}
IRREGULAR = {"person": "persons", "child": "children"}
UNITS = (("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1))


def plural(count, singular: str, many: str | None = None) -> str:
    """'1 person', '2 persons', '1,204 tips': the count with its noun agreeing."""
    number = int(count or 0)
    return f"{number:,} {singular if number == 1 else (many or plural_of(singular))}"


def plural_of(noun: str) -> str:
    """The plural of an English noun of the panel ('person' → 'persons', 'retry' → 'retries')."""
    if noun in IRREGULAR:
        return IRREGULAR[noun]
    if noun.endswith("y") and noun[-2:-1] not in "aeiou":
        return noun[:-1] + "ies"
    if noun.endswith(("s", "x", "ch", "sh")):
        return noun + "es"
    return noun + "s"


def duration(seconds) -> str:
    """Seconds as people say them, at most two units: '1 day', '2 hours 5 minutes', '12 seconds'."""
    if seconds is None:
        return "—"
    total = float(seconds)
    if total < 1:
        return "less than a second"
    if total < 10 and total != int(total):
        return f"{total:.1f} seconds"
    left, amounts = round(total), []
    for unit, size in UNITS:
        amount, left = divmod(left, size)
        amounts.append((amount, unit))
    first = next(i for i, (amount, _) in enumerate(amounts) if amount)
    # The largest unit and the one just below it, when that is not zero: "1 day 2 hours", never "1 day 3 seconds".
    shown = [pair for pair in amounts[first : first + 2] if pair[0]]
    return " ".join(plural(amount, unit) for amount, unit in shown)


def when(value, seconds: bool = False) -> str:
    """A time in UTC without microseconds or offset: '2026-11-25 19:06 UTC' ('—' when there is none)."""
    if value is None or value == "":
        return "—"
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
    if value.tzinfo is not None:
        value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%d %H:%M:%S UTC" if seconds else "%Y-%m-%d %H:%M UTC")


def local_time(value, seconds: bool = False) -> Markup | str:
    """A time as a <time> element: its text is `when`'s UTC time (without JavaScript, and for the server's
    tests); panel.js shows it in the browser's local time and keeps the UTC time in its title."""
    shown = when(value, seconds)
    if shown == "—" or isinstance(value, str):
        return shown
    moment = value.astimezone(UTC) if value.tzinfo is not None else value.replace(tzinfo=UTC)
    extra = Markup(" data-seconds") if seconds else Markup("")
    return Markup('<time datetime="{}" data-local{}>{}</time>').format(moment.isoformat(), extra, shown)


def event_name(method: str | None) -> str:
    """An Events API method as people say it ('userEnter' → 'entered the room')."""
    if not method:
        return "unknown event"
    return EVENT_NAMES.get(method) or _split_camel(method)


def job_kind(kind: str | None) -> str:
    """A job kind as the owner names the work ('follow_sync' → 'follow list sync')."""
    if not kind:
        return "job"
    return JOB_NAMES.get(kind) or kind.replace("_", " ")


def job_status(status: str | None) -> str:
    """A run's status in plain words ('finished' → 'done', 'held' → 'waiting for you')."""
    return STATUS_NAMES.get(status or "", status or "")


def role(value) -> str:
    """A person's role ('BOTH' → 'viewer and model'); accepts the Role enum or its value."""
    key = getattr(value, "value", value)
    return ROLE_NAMES.get(str(key).upper(), str(key).lower()) if key else "unknown"


def role_change(old, new=None) -> str:
    """'VIEWER → BOTH' (one string) or (old, new) as 'viewer → viewer and model'."""
    if new is None and isinstance(old, str) and "→" in old:
        old, _, new = (part.strip() for part in old.partition("→"))
    return f"{role(old)} → {role(new)}"


def _split_camel(name: str) -> str:
    words, word = [], ""
    for char in name:
        if char.isupper() and word:
            words.append(word)
            word = ""
        word += char.lower()
    return " ".join([*words, word]).replace("_", " ")


@dataclass(frozen=True)
class ShownFailure:
    """A Failure with the address of its next step, ready for a template."""

    cause: str
    label: str
    message: str
    next_step: str
    url: str | None


def explain_failure(run) -> ShownFailure | None:
    """Why `run` failed, with the link of its next step (None when the run did not fail).

    What other pages call to show a failure (the Jobs page, Follow lists, the Users list's Priority cell,
    the Profile header): the label in a cell, the message and the link where there is room."""
    failure = failures.explain(run, current_app.config)
    if failure is None:
        return None
    return ShownFailure(failure.cause, failure.label, failure.message, failure.next_step, failure_url(failure, run))


def failure_url(failure: failures.Failure, run) -> str | None:
    """Where a failure's next step is done: the cookies form, the Events API page or the run's Details."""
    if failure.link == failures.COOKIES:
        return url_for("follows.index", _anchor="cookie-import")
    if failure.link == failures.EVENTS_TOKEN:
        return url_for("events_api.index")
    if failure.link == failures.JOBS:
        return url_for("jobs.index", _anchor="workers")
    if failure.link == failures.DETAILS and getattr(run, "id", None):
        return url_for("jobs.detail", run_id=run.id, details=1, _anchor="details")  # opened on arrival
    return None


FILTERS = {
    "plural": plural,
    "duration": duration,
    "when": when,
    "local_time": local_time,
    "event_name": event_name,
    "job_kind": job_kind,
    "job_status": job_status,
    "role": role,
    "role_change": role_change,
}


def init_words(app: Flask) -> None:
    """Register the filters, and explain_failure as a template global."""
    app.jinja_env.filters.update(FILTERS)
    app.jinja_env.globals["explain_failure"] = explain_failure
