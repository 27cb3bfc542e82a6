"""A Users list's URL state (search, filters, sort, page size) and the links that change one filter.

Built only on Flask-Admin's public API: index_view hands render() the state it parsed (`search`,
`active_filters`, `sort_column`, `sort_desc`, `page_size`, `extra_args`), `get_filter_arg` names a filter's
URL argument and `get_url` builds the link. The view's `column_filters` are filter instances, so their
positions are the filter indexes Flask-Admin puts in `active_filters`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from urllib.parse import parse_qsl

from werkzeug.datastructures import MultiDict


@dataclass(frozen=True)
class ListState:
    """What a list URL asks for; `filters` are Flask-Admin's (index, name, value) triples."""

    search: str | None = None
    filters: tuple = ()
    sort: int | None = None
    desc: bool = False
    page_size: int | None = None
    extra_args: tuple = ()

    @classmethod
    def from_render(cls, kwargs: dict) -> ListState:
        """The state index_view rendered the list with."""
        return cls(
            search=kwargs.get("search"),
            filters=tuple(kwargs.get("active_filters") or ()),
            sort=kwargs.get("sort_column"),
            desc=bool(kwargs.get("sort_desc")),
            page_size=kwargs.get("page_size"),
            extra_args=tuple((kwargs.get("extra_args") or {}).items()),
        )


def list_url(view, state: ListState) -> str:
    """The list's URL for this state (first page)."""
    args = dict(state.extra_args)
    args.update(search=state.search, sort=state.sort, desc=1 if state.desc else None, page_size=state.page_size)
    for position, (idx, _name, value) in enumerate(state.filters):
        args[f"flt{position}_{view.get_filter_arg(idx, view.column_filters[idx])}"] = value
    return view.get_url(".index_view", **args)


def active_value(view, state: ListState, filter_type) -> str | None:
    """The URL value of the active filter of this type, or None."""
    for idx, _name, value in state.filters:
        if isinstance(view.column_filters[idx], filter_type):
            return value
    return None


def with_filter(view, state: ListState, filter_type, value: str | None) -> str:
    """The list's URL with the filter of this type set to `value` (None: removed), other state kept."""
    kept = tuple(f for f in state.filters if not isinstance(view.column_filters[f[0]], filter_type))
    if value is not None:
        idx = next(i for i, filt in enumerate(view.column_filters) if isinstance(filt, filter_type))
        kept += ((idx, view.column_filters[idx].name, value),)
    return list_url(view, replace(state, filters=kept))


def filters_from_query_string(view, query_string: str) -> list[tuple]:
    """Active filters of a list URL's query string (as Flask-Admin reads request.args), invalid values
    dropped; for "apply to all N matching", which posts the list's query string."""
    args = MultiDict(parse_qsl(query_string, keep_blank_values=False))
    by_arg = {view.get_filter_arg(i, filt): (i, filt) for i, filt in enumerate(view.column_filters)}
    found = []
    for arg, value in args.items(multi=True):
        if not arg.startswith("flt") or "_" not in arg:
            continue
        position, key = arg[3:].split("_", 1)
        if key in by_arg and by_arg[key][1].validate(value):
            idx, filt = by_arg[key]
            found.append((position, (idx, filt.name, value)))
    return [f for _position, f in sorted(found, key=lambda f: f[0])]


def search_from_query_string(query_string: str) -> str | None:
    """The search term of a list URL's query string."""
    return MultiDict(parse_qsl(query_string, keep_blank_values=False)).get("search")
