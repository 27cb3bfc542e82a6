"""One Users list page (Directory, Following, Followers, Unfollowed): rows, counts and paging, in a fixed
number of statements whatever the list's size.

A page runs (1) its counts (counts.py: an EXPLAIN and at most one capped count on PostgreSQL, one count on
SQLite), (2) one id query and (3) one row query ("deferred join"). The id query selects only `persons.id`
in the page's order with OFFSET/LIMIT; every sort matches an index ((column, id) and (column DESC NULLS
LAST, id DESC) on persons, migrations 0001/0006/0024; the (date) WHERE flag indexes on profiles for the follow
tabs), so PostgreSQL reads the index in order, index-only for the Directory: skipping 9,950 entries for
page 200 costs about what page 1 costs (bench/list_pages.py measures both). The row query then loads those
persons with profile and priority lookup by primary key. Page numbers stay (Flask-Admin's pager); a keyset
cursor was not needed at this size.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy.orm import Query, Session, joinedload

from mhc.models import Person, Profile
from mhc.services.stats import Count
from mhc.services.users.conditions import filtered_query, role_condition, search_condition
from mhc.services.users.counts import list_counts

LOAD_CHUNK = 5_000  # ids per IN list (SQLite binds at most 32,766 parameters)

# Sort names a list may ask for -> columns; username sorts on (platform, username), the unique index.
SORTS = {
    "username": (Person.platform, Person.username),
    "age": (Person.age,),
    "num_followers": (Person.num_followers,),
    "rank": (Person.rank,),
    "last_seen_at": (Person.last_seen_at,),
    # Fan value (docs/domain.md#fan-value), migration 0024's indexes: the NOT NULL counts read their (column, id)
    # index both ways; the times also have a (column DESC NULLS LAST, id DESC) one.
    "tipped_tokens": (Person.tipped_tokens,),
    "tips_count": (Person.tips_count,),
    "last_tip_at": (Person.last_tip_at,),
    "first_seen_in_room_at": (Person.first_seen_in_room_at,),
    "following_since": (Profile.following_since,),
    "follower_since": (Profile.follower_since,),
    "unfollower_at": (Profile.unfollower_at,),
}
# Each tab's order when none is asked for: newest first.
DEFAULT_SORTS = {
    "directory": "last_seen_at",
    "following": "following_since",
    "followers": "follower_since",
    "unfollowed": "unfollower_at",
}


@dataclass(frozen=True)
class ListRequest:
    """What a list page asks for. `conditions` are the active filters' SQL conditions except the
    All | Models | Viewers toggle, which is `toggle` (None on tabs that show no toggle counts)."""

    tab: str
    conditions: tuple = ()
    search: str | None = None
    toggle: str | None = None
    sort: str | None = None
    desc: bool = True
    page: int = 0
    page_size: int | None = 50  # None or 0: every row (CSV export)


@dataclass(frozen=True)
class ListPage:
    """Everything a list page shows: its rows, its size, and the toggle counts when the tab has them."""

    rows: list[Person]
    count: Count
    toggle_counts: dict[str, Count] | None = field(default=None)


def list_page(session: Session, request: ListRequest) -> ListPage:
    """Counts, then the page's ids in index order, then its rows (profile and priority loaded)."""
    unfiltered_roles = _query(session, request, with_toggle=False)
    counts = list_counts(session, unfiltered_roles, toggles=request.toggle is not None)
    query = _with_toggle(unfiltered_roles, request.toggle)
    sort, desc = _sort(request)
    size = request.page_size or None
    ids = _page_ids(query, order_by(sort, desc), max(request.page, 0) * (size or 0), size)
    return ListPage(
        rows=load_persons(session, ids),
        count=counts[request.toggle or "all"],
        toggle_counts=counts if request.toggle is not None else None,
    )


def matching_query(session: Session, request: ListRequest) -> Query:
    """Every person the request's list holds (all pages), for "apply to all N matching"."""
    return _query(session, request, with_toggle=True)


def _query(session: Session, request: ListRequest, *, with_toggle: bool) -> Query:
    search = search_condition(request.search) if request.search else None
    query = filtered_query(session, request.tab, [*request.conditions, search])
    return _with_toggle(query, request.toggle) if with_toggle else query


def _with_toggle(query: Query, toggle: str | None) -> Query:
    condition = role_condition(toggle) if toggle else None
    return query if condition is None else query.filter(condition)


def _sort(request: ListRequest) -> tuple[tuple, bool]:
    """The sort's columns: the tab's default when none (or one needing profiles on the Directory) is asked."""
    name = request.sort
    if name not in SORTS or (request.tab == "directory" and SORTS[name][0].class_ is Profile):
        return SORTS[DEFAULT_SORTS[request.tab]], True
    return SORTS[name], request.desc


def order_by(columns: tuple, desc: bool) -> list:
    """ORDER BY for a sort's columns, with the person id as the tie-breaker.

    Person columns sort NULLs last either way, matching the (column, id) and (column DESC NULLS LAST,
    id DESC) indexes, so the page is read in index order. Profile columns (follow dates) sort in the order
    of their partial (date) WHERE flag indexes instead, which puts unknown dates first when descending, and
    break ties on profiles.person_id.
    """
    on_profile = columns[0].class_ is Profile
    out = []
    for column in columns:
        term = column.desc() if desc else column.asc()
        out.append(term.nullslast() if getattr(column.expression, "nullable", True) and not on_profile else term)
    tiebreak = Profile.person_id if on_profile else Person.id
    return out + [tiebreak.desc() if desc else tiebreak.asc()]


def _page_ids(query: Query, order: Sequence, offset: int, limit: int | None) -> list[uuid.UUID]:
    """The ids of one page in order (an index-only read on PostgreSQL for the plain tabs)."""
    ids = query.with_entities(Person.id).order_by(*order)
    if offset:
        ids = ids.offset(offset)
    if limit:
        ids = ids.limit(limit)
    return [row[0] for row in ids.all()]


def load_persons(session: Session, ids: list[uuid.UUID]) -> list[Person]:
    """Persons with their profile and priority lookup (one joined query per LOAD_CHUNK ids), in `ids` order."""
    by_id = {}
    for start in range(0, len(ids), LOAD_CHUNK):
        chunk = ids[start : start + LOAD_CHUNK]
        query = session.query(Person).options(joinedload(Person.profile), joinedload(Person.priority_lookup))
        by_id.update((row.id, row) for row in query.filter(Person.id.in_(chunk)))
    return [by_id[i] for i in ids if i in by_id]
