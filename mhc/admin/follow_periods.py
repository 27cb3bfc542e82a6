"""Follow periods on the page: the Profile page's two lists and the Unfollowed tab's compact cell.

The periods come from mhc/services/follows/periods.py (one query per page); this module only words them:
dates as <time> elements (UTC in the title), lengths through the panel's duration words.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from markupsafe import Markup

from mhc.admin import words
from mhc.services.follows.periods import Period, unfollow_count

DIRECTION_TITLES = {"follower": "They follow you", "following": "You follow them"}


@dataclass(frozen=True)
class ShownPeriod:
    """One period as the Profile page lists it."""

    started_at: datetime | None
    ended_at: datetime | None
    length: str  # "8 days", "still following: 3 days", "—" when the start is unknown
    returned: bool  # a period after an earlier one: the person came back


@dataclass(frozen=True)
class DirectionPeriods:
    """Both sides of the Profile page's "Follow periods" card."""

    direction: str
    title: str
    periods: list[ShownPeriod]
    summary: str  # "2 periods, 1 unfollow"


def shown(direction: str, periods: list[Period], now: datetime) -> DirectionPeriods:
    """The periods of one direction, newest last, with their lengths in words."""
    rows = [
        ShownPeriod(p.started_at, p.ended_at, words.duration(p.seconds(now)) if p.started_at else "—", i > 0)
        for i, p in enumerate(periods)
    ]
    left = unfollow_count(periods)
    summary = words.plural(len(periods), "period") + (f", {words.plural(left, 'unfollow')}" if left else "")
    return DirectionPeriods(direction, DIRECTION_TITLES[direction], rows, summary)


def _day(value: datetime | None, empty: str) -> Markup:
    if value is None:
        return Markup("{}").format(empty)
    value = value.astimezone(UTC)
    return Markup('<time datetime="{}" title="{} UTC">{}</time>').format(
        value.isoformat(), value.strftime("%Y-%m-%d %H:%M"), value.strftime("%Y-%m-%d")
    )


LINE_BREAK = Markup(",<br>")  # between periods when the list opens


def story(periods: list[Period], separator: Markup | str = ", ") -> Markup:
    """The periods in a line: "followed 2026-11-12 → left 2026-11-20, back 2026-11-22 → still following"."""
    parts = []
    for i, p in enumerate(periods):
        start = _day(p.started_at, "before the history")
        end = Markup("still following") if p.ongoing else Markup("left {}").format(_day(p.ended_at, ""))
        parts.append(Markup("{} {} → {}").format("back" if i else "followed", start, end))
    return (separator if isinstance(separator, Markup) else Markup.escape(separator)).join(parts)


def cell(periods: list[Period] | None) -> Markup | str:
    """The Unfollowed tab's cell: "1 period" or "2 periods" opening the whole story ("—" for no history)."""
    if not periods:
        return Markup('<span class="text-muted" title="No follow history recorded">—</span>')
    label = words.plural(len(periods), "period")
    if len(periods) == 1:
        return Markup('<span class="follow-periods" title="{}">{}</span>').format(story(periods).striptags(), label)
    return Markup(
        '<details class="follow-periods" data-testid="follow-periods"><summary title="Followed, left and came back: '
        'each unfollow counts, so this person adds {} to the unfollow totals">{}</summary>{}</details>'
    ).format(words.plural(unfollow_count(periods), "unfollow"), label, story(periods, LINE_BREAK))


def list_cell(view, context, person, name):
    """The Unfollowed tab's column formatter: the page's periods come with its `users` context (one query)."""
    page_periods = (context.get("users") or {}).get("periods") or {}
    return cell(page_periods.get((person.id, "follower")))
