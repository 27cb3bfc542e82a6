"""What a priority lookup's state means, in the owner's words: a short label for a table cell and a sentence for
its title, the legend above the Users lists, and why a lookup cannot progress (docs/operator.md, "Users lists:
what the Priority column says").

Pure: plain values in (level, status, stored failure reason, which schedules are off), plain text out. A failed
lookup's reason is the scraper's or the network's raw text; lookup_state (the failure table) turns it into a
short label, the same as the Profile header's.
"""

from __future__ import annotations

from dataclasses import dataclass

from mhc.services.users import lookup_state

LEVEL_MEANINGS = {
    1: "look the person up once: the next Affiliate API poll that finds them online records them, then Complete.",
    2: "track the person: recorded on every Affiliate API poll while online, profile scraped on every P2 round.",
}
STATUS_LABELS = {"queued": "Queued", "processing": "Processing", "complete": "Complete", "failed": "Failed"}
STATUS_MEANINGS = {
    (1, "queued"): "waiting for the next Affiliate API poll to find this person online.",
    (1, "processing"): "being looked up now.",
    (1, "complete"): "found and recorded; nothing more to do.",
    (2, "queued"): "waiting for the next P2 round (or a Scrape Profile) to read the profile page.",
    (2, "processing"): "the profile page is being read now.",
    (2, "complete"): "profile read; still recorded on every poll and scraped on every P2 round.",
}
# Which schedule a waiting lookup depends on (mhc/jobs/scheduler.py SCHEDULES kinds).
WAITS_FOR = {1: "affiliate_poll", 2: "p2_scrape"}
WAITING = ("queued", "processing")
WAIT_LABELS = {1: lookup_state.P1_WAITS_FOR_POLL.label, 2: "Waits: round is off"}


@dataclass(frozen=True)
class PriorityState:
    """One Priority cell: `label` fits the cell (at most three words), `title` is the full sentence."""

    level: int
    status: str
    label: str
    title: str
    blocked: bool = False  # it cannot progress until the owner changes a setting


def blocked_sentence(level: int, off: str) -> str:
    """The sentence for a lookup that cannot progress because the schedule it needs is off (`off` names why,
    e.g. "AFFILIATE_WM is not set")."""
    if level == 1:
        return f"P1 waits for the Affiliate API poll, which is off: {setting_hint(off)}."
    return f"P2 waits for the P2 profile-scrape round, which is off: {setting_hint(off)}."


def setting_hint(off: str) -> str:
    """ "AFFILIATE_WM is not set" -> "set AFFILIATE_WM"; "P2_SCRAPE_SECONDS is 0" -> "set P2_SCRAPE_SECONDS above 0"."""
    key = off.split(" ", 1)[0]
    return f"set {key} above 0" if off.endswith(" is 0") else f"set {key}"


def priority_state(level: int, status: str, reason: str | None, schedules_off: dict[str, str]) -> PriorityState:
    """The cell's label and title for a lookup. `schedules_off`: {schedule kind: why it is off ("AFFILIATE_WM is
    not set")} for the schedules that do not run."""
    prefix = f"P{level}: "
    if status == "failed":  # the same words as the Profile header (lookup_state)
        failure = lookup_state.explain(level, status, reason, {})
        return PriorityState(level, status, failure.label, f"{prefix}failed. {failure.message} {failure.next_step}")
    off = schedules_off.get(WAITS_FOR.get(level, ""))
    if status in WAITING and off and not (level == 2 and status == "processing"):
        return PriorityState(level, status, WAIT_LABELS[level], blocked_sentence(level, off), blocked=True)
    meaning = STATUS_MEANINGS.get((level, status), "")
    return PriorityState(level, status, STATUS_LABELS.get(status, status), prefix + meaning)


def off_reason(disabled: str | None) -> str | None:
    """A schedule's disabled_reason ("off (AFFILIATE_WM is not set)") as "AFFILIATE_WM is not set"."""
    if not disabled:
        return None
    return disabled.removeprefix("off (").removesuffix(")")


@dataclass(frozen=True)
class Legend:
    """The legend above a Users list: what P1 and P2 mean, each status, what the row actions do, and the
    notices for lookups that cannot progress."""

    levels: tuple[tuple[str, str], ...]
    statuses: tuple[tuple[str, str], ...]
    notices: tuple[str, ...]


def legend(schedules_off: dict[str, str]) -> Legend:
    """The legend for these schedule states (a notice per level whose schedule is off)."""
    notices = tuple(
        blocked_sentence(level, schedules_off[kind]) for level, kind in WAITS_FOR.items() if kind in schedules_off
    )
    statuses = (
        ("Queued", "added; waiting for its poll (P1) or its profile scrape (P2)."),
        ("Processing", "being looked up now."),
        ("Complete", "done: the person was found and recorded (P2 keeps tracking)."),
        ("Failed", "the last try failed; the cell says why, hover it for what to do."),
        ("Waits: … is off", "cannot progress until a setting is changed (see the notice above the list)."),
    )
    return Legend(tuple((f"P{k}", v) for k, v in LEVEL_MEANINGS.items()), statuses, notices)


def blocked_notices(lookups, schedules_off: dict[str, str]) -> list[str]:
    """The notices for the levels some of these (level, status) pairs wait on while their schedule is off, P1 first."""
    levels = {
        level
        for level, status in lookups
        if status in WAITING and priority_state(level, status, None, schedules_off).blocked
    }
    return [blocked_sentence(level, schedules_off[WAITS_FOR[level]]) for level in sorted(levels)]
