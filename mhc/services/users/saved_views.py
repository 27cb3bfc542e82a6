"""Column choice and named saved views of the Users lists, per system user (docs/operator.md#saved-views-and-columns).

A list's state is its URL query string. Stored or received, that text is never trusted: `clean_query` keeps only
the parameters the tab knows (search, its filters with valid values, a sortable column, desc, a page size it
offers, known columns) and drops everything else, on save and again whenever a saved view is shown or opened.
Every read and change goes through the owner's user id: nobody reads or changes another user's views.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mhc.models import SavedView
from mhc.models.saved_views import NAME_MAX
from mhc.services import audit

SEARCH_MAX = 200  # longer text is no username search anyone types
FILTERS_MAX = 20  # filters kept per view
VIEWS_MAX = 200  # saved views per user: the bar stays a list one can read
ALWAYS_SHOWN = "username"  # a row without its username names nobody


class SavedViewError(ValueError):
    """A refused save, rename or change; the message says why in the owner's words."""


@dataclass(frozen=True)
class ListSchema:
    """What one Users list accepts in its URL (built from the view's declarations).

    `columns` are the tab's columns in their order (the `sort` parameter is an index into them), `sortable`
    the indexes that may be sorted on, `filter_args` maps a filter's URL name to the check of its value."""

    tab: str
    columns: tuple[str, ...]
    sortable: frozenset[int] = frozenset()
    filter_args: Mapping[str, Callable[[str], bool]] = field(default_factory=dict)
    page_sizes: tuple[int, ...] = ()
    default_page_size: int | None = None  # not written out: the list's own size needs no parameter


def _small_int(raw: str | None) -> int | None:
    """A non-negative whole number of at most 4 digits, else None."""
    text = (raw or "").strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 4 else None


def clean_columns(schema: ListSchema, raw: str | None) -> tuple[str, ...]:
    """The columns a `cols` value asks for: known ones, once each, in the order given, username first.

    () means "the tab's own columns" (nothing valid asked for, or exactly the tab's own list)."""
    known, chosen = set(schema.columns), []
    for name in (raw or "").split(","):
        name = name.strip()
        if name in known and name not in chosen:
            chosen.append(name)
    if not chosen:
        return ()
    if ALWAYS_SHOWN in known and ALWAYS_SHOWN not in chosen:
        chosen.insert(0, ALWAYS_SHOWN)
    return () if tuple(chosen) == schema.columns else tuple(chosen)


def _valid_filter(check: Callable[[str], bool], value: str) -> bool:
    try:
        return bool(check(value))
    except (TypeError, ValueError):
        return False


def clean_args(schema: ListSchema, query_string: str | None) -> list[tuple[str, str]]:
    """The known, valid parameters of a list URL's query string, in a fixed order (first page)."""
    pairs = parse_qsl(query_string or "", keep_blank_values=False)
    first = {}
    for key, value in pairs:
        first.setdefault(key, value)
    out: list[tuple[str, str]] = []
    search = (first.get("search") or "").replace("\x00", "").strip()
    if search and len(search) <= SEARCH_MAX:
        out.append(("search", search))
    filters = []
    for key, value in pairs:
        position, _, arg = key[3:].partition("_") if key.startswith("flt") else ("", "", "")
        check = schema.filter_args.get(arg)
        if check is not None and _small_int(position) is not None and _valid_filter(check, value):
            filters.append((_small_int(position), arg, value))
    for index, (_position, arg, value) in enumerate(sorted(filters, key=lambda f: f[0])[:FILTERS_MAX]):
        out.append((f"flt{index}_{arg}", value))
    sort = _small_int(first.get("sort"))
    if sort is not None and sort in schema.sortable:
        out.append(("sort", str(sort)))
        if first.get("desc") == "1":
            out.append(("desc", "1"))
    page_size = _small_int(first.get("page_size"))
    if page_size is not None and page_size in schema.page_sizes and page_size != schema.default_page_size:
        out.append(("page_size", str(page_size)))
    columns = clean_columns(schema, first.get("cols"))
    if columns:
        out.append(("cols", ",".join(columns)))
    return out


def clean_query(schema: ListSchema, query_string: str | None) -> str:
    """`clean_args` as a query string (empty: the tab as it opens)."""
    return urlencode(clean_args(schema, query_string))


def clean_name(name: str | None) -> str:
    """A view's name, trimmed; refused when empty or longer than NAME_MAX characters."""
    name = " ".join((name or "").replace("\x00", "").split())
    if not name:
        raise SavedViewError("Give the view a name.")
    if len(name) > NAME_MAX:
        raise SavedViewError(f"A view's name has at most {NAME_MAX} characters.")
    return name


def views_of(session: Session, user_id: uuid.UUID) -> list[SavedView]:
    """The user's saved views, by name."""
    stmt = select(SavedView).where(SavedView.user_id == user_id).order_by(func.lower(SavedView.name), SavedView.id)
    return list(session.scalars(stmt))


def get_view(session: Session, user_id: uuid.UUID, view_id: int) -> SavedView | None:
    """The user's view with this id; None when there is none or it is another user's."""
    view = session.get(SavedView, view_id)
    return view if view is not None and view.user_id == user_id else None


def _taken(session: Session, user_id: uuid.UUID, name: str, but: int | None = None) -> bool:
    stmt = select(SavedView.id).where(SavedView.user_id == user_id, func.lower(SavedView.name) == name.lower())
    return session.scalars(stmt.where(SavedView.id != but) if but is not None else stmt).first() is not None


def save_view(
    session: Session,
    user_id: uuid.UUID,
    schema: ListSchema,
    name: str,
    query_string: str,
    *,
    default: bool = False,
    remote_addr=None,
) -> SavedView:
    """Store the list state under a new name for the user (`default`: the view its tab opens with), audited."""
    name = clean_name(name)
    if _taken(session, user_id, name):
        raise SavedViewError(f"You already have a view called “{name}”: choose another name.")
    count = session.scalar(select(func.count(SavedView.id)).where(SavedView.user_id == user_id))
    if count >= VIEWS_MAX:
        raise SavedViewError(f"You have {VIEWS_MAX} saved views already: delete some first.")
    if default:
        _clear_default(session, user_id, schema.tab)
    query = clean_query(schema, query_string)
    view = SavedView(user_id=user_id, name=name, tab=schema.tab, query=query, is_default=default)
    session.add(view)
    session.flush()
    changes = {"name": [None, name], "tab": [None, view.tab], "query": [None, view.query]}
    if default:
        changes["is_default"] = [None, True]
    audit.record_change(session, view, "create", actor_id=user_id, changes=changes, remote_addr=remote_addr)
    session.commit()
    return view


def _owned(session: Session, user_id: uuid.UUID, view_id: int) -> SavedView:
    view = get_view(session, user_id, view_id)
    if view is None:
        raise LookupError("no such saved view")
    return view


def rename_view(session: Session, user_id: uuid.UUID, view_id: int, name: str, *, remote_addr=None) -> SavedView:
    """Give one of the user's views a new name (LookupError: not theirs or gone)."""
    view, name = _owned(session, user_id, view_id), clean_name(name)
    if name == view.name:
        return view
    if _taken(session, user_id, name, but=view.id):
        raise SavedViewError(f"You already have a view called “{name}”: choose another name.")
    changes = {"name": [view.name, name]}
    view.name = name
    audit.record_change(session, view, "rename", actor_id=user_id, changes=changes, remote_addr=remote_addr)
    session.commit()
    return view


def default_of(views: list[SavedView], tab: str) -> SavedView | None:
    """Among a user's views (as `views_of` lists them), the one their tab opens with, if any."""
    return next((v for v in views if v.tab == tab and v.is_default), None)


def _clear_default(session: Session, user_id: uuid.UUID, tab: str) -> None:
    """The tab's current default (if any) stops being it, audited (the caller commits)."""
    for other in views_of(session, user_id):
        if other.tab == tab and other.is_default:
            other.is_default = False
            audit.record_change(session, other, "update", actor_id=user_id, changes={"is_default": [True, False]})


def set_default(session: Session, user_id: uuid.UUID, view_id: int, on: bool, *, remote_addr=None) -> SavedView:
    """Make one of the user's views the one its tab opens with (the tab's previous default stops being it), or
    stop it being that; audited (LookupError: not theirs or gone)."""
    view = _owned(session, user_id, view_id)
    if view.is_default == on:
        return view
    if on:
        _clear_default(session, user_id, view.tab)
    view.is_default = on
    changes = {"is_default": [not on, on]}
    audit.record_change(session, view, "update", actor_id=user_id, changes=changes, remote_addr=remote_addr)
    session.commit()
    return view


def delete_view(session: Session, user_id: uuid.UUID, view_id: int, *, remote_addr=None) -> str:
    """Delete one of the user's views and audit it; returns its name (LookupError: not theirs or gone)."""
    view = _owned(session, user_id, view_id)
    name, changes = view.name, {"name": [view.name, None], "tab": [view.tab, None], "query": [view.query, None]}
    audit.record_change(session, view, "delete", actor_id=user_id, changes=changes, remote_addr=remote_addr)
    session.delete(view)
    session.commit()
    return name
