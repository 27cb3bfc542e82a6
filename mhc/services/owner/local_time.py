"""The owner's local time for the Hudson analytics: UTC offset stretches, local month starts, and the
local hour of the week as a SQL expression that is the same integer arithmetic on both backends
(docs/domain.md#where-followers-come-from)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import case, literal

from mhc import sqlcompat
from mhc.models.types import UTCDateTime


def utc_offsets(timezone: str, since: datetime, until: datetime) -> list[tuple[datetime, int]]:
    """(from, UTC offset in seconds) for each stretch of one offset between two moments, found to the second."""
    zone = ZoneInfo(timezone)

    def offset(moment: datetime) -> int:
        return int(moment.astimezone(zone).utcoffset().total_seconds())

    spans = [(since, offset(since))]
    step, moment = timedelta(hours=1), since
    while moment < until:
        nxt = min(moment + step, until)
        if offset(nxt) != spans[-1][1]:
            low, high = moment, nxt  # the change is in (low, high]: halve down to one second
            while high - low > timedelta(seconds=1):
                mid = low + (high - low) / 2
                low, high = (low, mid) if offset(mid) != spans[-1][1] else (mid, high)
            spans.append((high, offset(high)))
        moment = nxt
    return spans


def hour_of_week(column, spans: list[tuple[datetime, int]]):
    """0 = Monday 00:00 to 167 = Sunday 23:00, local time: epoch seconds plus the offset of the moment's
    stretch, in whole hours, counted from a Monday (1970-01-01, second 0, was a Thursday: 72 hours in)."""
    if len(spans) == 1:
        offset = literal(spans[0][1])
    else:
        stretches = zip(spans[1:], spans, strict=False)
        offset = case(
            *[(column < literal(start, UTCDateTime()), before) for (start, _), (_, before) in stretches],
            else_=spans[-1][1],
        )
    return ((sqlcompat.epoch_seconds(column) + offset) // 3600 + 72) % 168


def month_starts(timezone: str, as_of: datetime, months: int) -> list[datetime]:
    """UTC instants of the local first-of-month midnights: `months` months up to as_of's, then the next one."""
    local = as_of.astimezone(ZoneInfo(timezone))
    year, month = local.year, local.month
    firsts = []
    for back in range(months - 1, -2, -1):
        y, m = divmod(year * 12 + month - 1 - back, 12)
        firsts.append(datetime(y, m + 1, 1, tzinfo=ZoneInfo(timezone)).astimezone(UTC))
    return firsts
