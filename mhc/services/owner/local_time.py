"""The owner's local time for the Hudson analytics: UTC offset stretches, local month starts, and the
local hour of the week as a SQL expression that is the same integer arithmetic on both backends
(docs/domain.md#where-followers-come-from)."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import case, literal

from mhc import sqlcompat


def utc_offsets(timezone: str, since: datetime, until: datetime) -> list[tuple[datetime, int]]:
    """(from, UTC offset in seconds) for each stretch of one offset between two moments; each change is found
    to the whole second (time zones change offsets on whole seconds)."""
    zone = ZoneInfo(timezone)

    def offset(second: int) -> int:
        return int(datetime.fromtimestamp(second, UTC).astimezone(zone).utcoffset().total_seconds())

    # No offset changes between a moment and the whole second before it, so whole seconds do.
    low, end = math.floor(since.timestamp()), math.ceil(until.timestamp())
    spans = [(since, offset(low))]
    while low < end:
        high = min(low + 3600, end)
        if offset(high) != spans[-1][1]:
            while high - low > 1:  # the change is in (low, high]: halve down to one second
                mid = (low + high) // 2
                low, high = (low, mid) if offset(mid) != spans[-1][1] else (mid, high)
            spans.append((datetime.fromtimestamp(high, UTC), offset(high)))
        low = high
    return spans


def aligned(spans: list[tuple[datetime, int]], seconds: int) -> bool:
    """True when every offset and every change (after the first stretch's start) is a whole multiple of
    `seconds`: then each UTC stretch of that length lies in one local hour."""
    changes = [start.timestamp() for start, _ in spans[1:]]
    return all(offset % seconds == 0 for _, offset in spans) and all(c % seconds == 0 for c in changes)


def hour_of_week(column, spans: list[tuple[datetime, int]]):
    """hour_of_week_at of a timestamp column."""
    return hour_of_week_at(sqlcompat.epoch_seconds(column), spans)


def hour_of_week_at(seconds, spans: list[tuple[datetime, int]]):
    """0 = Monday 00:00 to 167 = Sunday 23:00, local time, of a moment given as whole Unix seconds: the
    seconds plus the offset of the moment's stretch, in whole hours, counted from a Monday (1970-01-01,
    second 0, was a Thursday: 72 hours in)."""
    if len(spans) == 1:
        offset = literal(spans[0][1])
    else:
        stretches = zip(spans[1:], spans, strict=False)
        offset = case(
            *[(seconds < literal(int(start.timestamp())), before) for (start, _), (_, before) in stretches],
            else_=spans[-1][1],
        )
    return ((seconds + offset) // 3600 + 72) % 168


def month_starts(timezone: str, as_of: datetime, months: int) -> list[datetime]:
    """UTC instants of the local first-of-month midnights: `months` months up to as_of's, then the next one."""
    local = as_of.astimezone(ZoneInfo(timezone))
    year, month = local.year, local.month
    firsts = []
    for back in range(months - 1, -2, -1):
        y, m = divmod(year * 12 + month - 1 - back, 12)
        firsts.append(datetime(y, m + 1, 1, tzinfo=ZoneInfo(timezone)).astimezone(UTC))
    return firsts
