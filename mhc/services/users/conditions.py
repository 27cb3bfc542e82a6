"""What each Users list holds, and the conditions its filters and search add (SQL expressions, no queries run).

The Flask-Admin filters (mhc/admin/filters.py) and the list service (list_page.py) build on these, so a
list, its counts and an "all N matching" action always agree on the same persons.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, exists, literal, select, true
from sqlalchemy.orm import Query, Session, aliased

from mhc import sqlcompat
from mhc.models import Person, Profile, Role, utcnow

MODEL_ROLES = (Role.MODEL.value, Role.BOTH.value)
VIEWER_ROLES = (Role.VIEWER.value, Role.BOTH.value)
# All | Models | Viewers: BOTH counts as a model and as a viewer (docs/domain.md, "Roles").
ROLE_TOGGLES = {"all": None, "models": MODEL_ROLES, "viewers": VIEWER_ROLES}
TABS = ("directory", "following", "followers", "unfollowed")


def tab_condition(tab: str):
    """The WHERE clause that defines a tab's persons (profiles joined); None for the whole directory."""
    if tab == "directory":
        return None
    # `= true` (not `IS true`): it matches the partial indexes' predicates ((following_since) WHERE following)
    if tab == "following":
        return Profile.following == true()
    if tab == "followers":
        return Profile.follower == true()
    if tab == "unfollowed":
        return Profile.unfollower_at.isnot(None)
    raise ValueError(f"unknown tab {tab!r}")


def tab_query(session: Session, tab: str) -> Query:
    """ORM query of the tab's persons; tabs other than the directory inner-join their profile."""
    query = session.query(Person)
    condition = tab_condition(tab)
    if condition is not None:
        query = query.join(Profile, Profile.person_id == Person.id).filter(condition)
    return query


def role_condition(toggle: str):
    """All | Models | Viewers; None for All."""
    roles = ROLE_TOGGLES.get(toggle)
    return None if roles is None else Person.role.in_(roles)


def age_range_condition(low: int | None, high: int | None):
    """Cached age within [low, high] (either bound optional)."""
    parts = []
    if low is not None:
        parts.append(Person.age >= low)
    if high is not None:
        parts.append(Person.age <= high)
    return and_(*parts) if parts else None


def tag_condition(tag: str):
    """The person's profile carries this tag (lowercased); GIN-indexed on PostgreSQL.

    The EXISTS reads its own alias of profiles: the follow tabs join profiles already, and a subquery over
    the same name would be correlated away to nothing."""
    tag = tag.strip().lstrip("#").lower()
    profile = aliased(Profile)
    match = sqlcompat.json_array_contains(profile.tags, tag)
    return exists(select(literal(1)).select_from(profile).where(profile.person_id == Person.id, match))


def excluded_condition(excluded: bool):
    """Noise accounts flagged "excluded from aggregates" (True), or everyone else (False)."""
    return Person.is_excluded.is_(excluded)


def paying_fan_condition():
    """Tipped in the owner's room at least once (docs/domain.md#fan-value)."""
    return Person.tips_count > 0


def unfollowed_within_condition(days: int | None, as_of: datetime | None = None):
    """Unfollowed (this user stopped following me) within the last `days` days; None = any time."""
    if days is None:
        return Profile.unfollower_at.isnot(None)
    return Profile.unfollower_at >= (as_of or utcnow()) - timedelta(days=days)


def search_condition(term: str):
    """Username search: `^abc` prefix, `=abc` exact, else substring (trigram index on PostgreSQL)."""
    term = term.strip().lower()
    if term.startswith("="):
        return Person.username == term[1:]
    escaped = like_escape(term.lstrip("^"))
    pattern = f"{escaped}%" if term.startswith("^") else f"%{escaped}%"
    return Person.username.like(pattern, escape="\\")


def like_escape(text: str) -> str:
    """The text with LIKE's wildcards and escape character taken literally (escape="\\")."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def filtered_query(session: Session, tab: str, conditions) -> Query:
    """The tab's query narrowed by these conditions (None entries skipped)."""
    query = tab_query(session, tab)
    for condition in conditions:
        if condition is not None:
            query = query.filter(condition)
    return query
