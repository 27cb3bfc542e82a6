"""List sizes for the Users pages: exact when cheap, PostgreSQL's estimate (labelled approximate) when not.

A fixed number of statements whatever the list's size:
1. PostgreSQL: one EXPLAIN (planned, not executed) estimates the list.
2. Above ESTIMATE_TRUST_FACTOR x EXACT_COUNT_CAP expected rows the estimate is shown ("≈ 120.0k") and nothing
   is counted; Models and Viewers are that estimate times their share of persons, which is what the planner
   itself assumes for the role condition (read from its statistics at most once per ROLE_SHARES_TTL).
   Counting a big list, even capped, joins or rechecks up to 2,001 rows (10-50 ms for a tag or substring
   filter at 200k persons, bench/list_pages.py); the planner's estimates for these filters were within 20%
   at that size, so a factor of 2 keeps the exact count for lists that may really be under the cap.
3. Otherwise one scan counts All, Models and Viewers exactly, reading at most EXACT_COUNT_CAP + 1 rows.
SQLite (small installations) has no estimates: one exact count.
"Apply to all N matching" confirmations always count exactly (selection.count_exact).
"""

from __future__ import annotations

import time

from sqlalchemy import func, select
from sqlalchemy.orm import Query, Session

from mhc import sqlcompat
from mhc.models import Person
from mhc.services.stats import Count
from mhc.services.users.conditions import MODEL_ROLES, ROLE_TOGGLES, VIEWER_ROLES

EXACT_COUNT_CAP = 2_000
ESTIMATE_TRUST_FACTOR = 2  # estimates above 2x the cap are shown as they are (see the module docstring)
# Column statistics change only when PostgreSQL analyzes persons: read them again after this long.
ROLE_SHARES_TTL = 300.0
_role_shares_cache: dict[str, tuple[float, dict[str, float]]] = {}


def list_counts(session: Session, query: Query, *, toggles: bool) -> dict[str, Count]:
    """{"all": Count} for a list's query, plus "models" and "viewers" when `toggles` (the query must then
    have no role condition of its own)."""
    keys = list(ROLE_TOGGLES) if toggles else ["all"]
    estimate = sqlcompat.planner_rows(session, query.with_entities(Person.id).order_by(None).statement)
    if estimate is not None and estimate > ESTIMATE_TRUST_FACTOR * EXACT_COUNT_CAP:
        shares = role_shares(session) if toggles else {}
        if not toggles or shares:  # before the first ANALYZE there are no shares: count instead
            estimated = {"all": estimate, **{key: round(estimate * share) for key, share in shares.items()}}
            return {key: Count(estimated[key], approximate=True) for key in keys}
    counted = dict(zip(keys, _count(session, query, keys, capped=estimate is not None), strict=True))
    if estimate is None or counted["all"] <= EXACT_COUNT_CAP:
        return {key: Count(n) for key, n in counted.items()}
    # The cap was reached although the planner expected fewer rows: All is at least the cap, and the
    # Models and Viewers counts are only lower bounds.
    counted["all"] = max(estimate, EXACT_COUNT_CAP + 1)
    return {key: Count(n, approximate=True) for key, n in counted.items()}


def role_shares(session: Session) -> dict[str, float]:
    """Share of persons under the Models and Viewers toggles, from PostgreSQL's column statistics (the roles
    are few, so all of them are most-common values); empty before the first ANALYZE. Kept per database for
    ROLE_SHARES_TTL seconds (reading pg_stats costs about a millisecond a page)."""
    key = session.get_bind().url.render_as_string(hide_password=True)
    cached = _role_shares_cache.get(key)
    if cached and time.monotonic() - cached[0] < ROLE_SHARES_TTL:
        return cached[1]
    freqs = sqlcompat.value_shares(session, "persons", "role")
    if not freqs:
        return {}
    shares = {t: sum(freqs.get(role, 0.0) for role in ROLE_TOGGLES[t]) for t in ("models", "viewers")}
    _role_shares_cache[key] = (time.monotonic(), shares)
    return shares


def _count(session: Session, query: Query, keys: list[str], *, capped: bool) -> list[int]:
    """One scan counting the list and, when asked, its models and viewers (at most EXACT_COUNT_CAP + 1 rows
    when `capped`)."""
    roles = query.with_entities(Person.role).order_by(None)
    if capped:
        roles = roles.limit(EXACT_COUNT_CAP + 1)
    sub = roles.subquery()
    columns = [func.count()]
    if len(keys) > 1:
        columns += [func.count().filter(sub.c.role.in_(r)) for r in (MODEL_ROLES, VIEWER_ROLES)]
    return [int(n) for n in session.execute(select(*columns).select_from(sub)).one()]
