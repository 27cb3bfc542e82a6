"""The column chooser and saved views of the Users lists (docs/operator.md#saved-views-and-columns).

- `shown_columns` narrows a list to the columns its `?cols=` names (sort numbers stay those of the tab's full
  column list, so sorting and old links keep working);
- `bar_context` is what the bar above each list shows: the user's views with their links, the chooser;
- SavedViewsView saves, renames, deletes and marks as default the signed-in user's views (their own only);
- `open_default`: a tab opened bare (no query string) opens the user's default view of it; `?view=none` is the
  tab without it.
The rules (which parameters a view keeps, names) are the service's: mhc/services/users/saved_views.py.
"""

from __future__ import annotations

from urllib.parse import urlencode

from flask import abort, current_app, flash, g, redirect, request, url_for
from flask_admin import expose
from flask_admin.helpers import get_redirect_target
from flask_login import current_user

from mhc.admin.base import SecuredBaseView
from mhc.auth import can
from mhc.auth import permissions as perms
from mhc.extensions import db
from mhc.models.saved_views import NAME_MAX
from mhc.services.users import saved_views

EXTENSION = "mhc_saved_views"  # app.extensions key: {tab: list view}, filled by register()
BARE = "view=none"  # a tab's list without the user's default view (an extra argument the list ignores)


def _column_name(column) -> str:
    """A column_list entry's name (entries may be names or (name, expression) pairs)."""
    return column if isinstance(column, str) else column[0]


def schema_of(view) -> saved_views.ListSchema:
    """What a Users list accepts in its URL, from its declarations."""
    columns = tuple(_column_name(c) for c in view.column_list)
    sortable = {_column_name(c) for c in view.column_sortable_list}
    return saved_views.ListSchema(
        tab=view.tab,
        columns=columns,
        sortable=frozenset(i for i, c in enumerate(columns) if c in sortable),
        filter_args={view.get_filter_arg(i, f): f.validate for i, f in enumerate(view.column_filters)},
        page_sizes=tuple(view.page_size_options),
        default_page_size=view.page_size,
    )


def shown_columns(view, list_columns: list) -> list:
    """The (name, label) pairs of the columns ?cols= asks for, in its order; all of them without it."""
    chosen = saved_views.clean_columns(schema_of(view), request.args.get("cols"))
    if not chosen:
        return list(list_columns)
    by_name = dict(list_columns)
    return [(name, by_name[name]) for name in chosen if name in by_name]


def _tab_views() -> dict:
    return current_app.extensions.get(EXTENSION, {})


def _my_views() -> list:
    """The signed-in user's saved views, read once per request (the redirect and the bar share them)."""
    # Keyed by the request object: an app context (and its g) may outlive one request, as in tests.
    cached = g.get("mhc_saved_views")
    this = request._get_current_object()
    if cached is None or cached[0] is not this:
        cached = g.mhc_saved_views = (this, saved_views.views_of(db.session, current_user.id))
    return cached[1]


def _url(tab_view, clean: str, *, external: bool = False) -> str:
    """A tab's list URL with a clean query; an empty one names "no view" when the tab has a default."""
    base = url_for(f"{tab_view.endpoint}.index_view", _external=external)
    if clean:
        return f"{base}?{clean}"
    return f"{base}?{BARE}" if saved_views.default_of(_my_views(), tab_view.tab) else base


def list_link(tab: str, query: str, *, external: bool = False) -> str | None:
    """The list URL of a tab with a stored query, cleaned again against the tab as it is now."""
    view = _tab_views().get(tab)
    if view is None:
        return None
    return _url(view, saved_views.clean_query(schema_of(view), query), external=external)


def open_default():
    """Before a request: a Users tab opened bare goes to the user's default view of it, if they chose one."""
    tab_view = next((v for v in _tab_views().values() if request.endpoint == f"{v.endpoint}.index_view"), None)
    if tab_view is None or request.method != "GET" or request.query_string:
        return None
    if not current_user.is_authenticated or not can(perms.VIEW_USERS):
        return None  # the view's own access check answers
    default = saved_views.default_of(_my_views(), tab_view.tab)
    if default is None:
        return None
    clean = saved_views.clean_query(schema_of(tab_view), default.query)
    return redirect(f"{url_for(f'{tab_view.endpoint}.index_view')}?{clean or BARE}")


def _bar_views(tab: str, schema, current: str, labels: dict) -> list[dict]:
    """The user's views as the bar lists them; `current` marks the one this list shows."""
    return [
        {
            "id": v.id,
            "name": v.name,
            "tab": labels[v.tab],
            "default": v.is_default,
            "url": list_link(v.tab, v.query),
            "link": list_link(v.tab, v.query, external=True),
            "current": v.tab == tab and saved_views.clean_query(schema, v.query) == current,
        }
        for v in _my_views()
        if v.tab in labels
    ]


def bar_context(view) -> dict:
    """The views bar of one list: the user's views (links cleaned now), the chooser, the save form."""
    schema = schema_of(view)
    chosen = saved_views.clean_columns(schema, request.args.get("cols")) or schema.columns
    asked = request.query_string.decode("utf-8", "replace")
    without_cols = [(k, v) for k, v in saved_views.clean_args(schema, asked) if k != "cols"]
    current = saved_views.clean_query(schema, asked)
    labels = {t: v.name for t, v in _tab_views().items()}
    views = _bar_views(view.tab, schema, current, labels)
    has_default = saved_views.default_of(_my_views(), view.tab) is not None
    order = list(chosen) + [c for c in schema.columns if c not in chosen]
    return {
        "views": views,
        "current_name": next((v["name"] for v in views if v["current"]), None),
        "query": current,
        "link": _url(view, current, external=True),
        "bare": BARE if has_default else "",
        "bare_url": _url(view, "") if has_default else None,
        "tab_label": labels.get(view.tab, view.tab),
        "columns": [
            {"name": c, "label": view.get_column_name(c), "shown": c in chosen, "fixed": c == saved_views.ALWAYS_SHOWN}
            for c in order
        ],
        "all_columns": ",".join(schema.columns),
        "base_query": urlencode(without_cols),
        "list_url": url_for(f"{view.endpoint}.index_view"),
        "sort_index": {c: i for i, c in enumerate(schema.columns)},
        "save_url": url_for("saved_views.save"),
        "manage_url": url_for("saved_views.index"),
        "name_max": NAME_MAX,
    }


class SavedViewsView(SecuredBaseView):
    """Your saved views of the Users lists: save the list you see, rename, delete; your own views only."""

    permission = perms.VIEW_USERS

    def is_visible(self) -> bool:
        return False

    @expose("/")
    def index(self):
        """Your saved views, with their links, rename and delete."""
        rows = [
            {"view": v, "url": list_link(v.tab, v.query), "link": list_link(v.tab, v.query, external=True)}
            for v in _my_views()
        ]
        labels = {t: v.name for t, v in _tab_views().items()}
        return self.render("admin/users/saved_views.html", rows=rows, labels=labels, name_max=NAME_MAX)

    @expose("/save", methods=("POST",))
    def save(self):
        """Save the list state posted (tab + query string) under a name."""
        tab = request.form.get("tab", "")
        list_view = _tab_views().get(tab)
        if list_view is None:
            abort(400)
        try:
            saved = saved_views.save_view(
                db.session,
                current_user.id,
                schema_of(list_view),
                request.form.get("name", ""),
                request.form.get("query", ""),
                default=request.form.get("default") == "1",
                remote_addr=request.remote_addr,
            )
        except saved_views.SavedViewError as exc:
            flash(str(exc), "error")
            return redirect(list_link(tab, request.form.get("query", "")))
        flash(f"View “{saved.name}” saved.", "success")
        return redirect(list_link(saved.tab, saved.query))

    @expose("/<int:view_id>/rename", methods=("POST",))
    def rename(self, view_id: int):
        """Give one of your views a new name."""
        try:
            saved = saved_views.rename_view(
                db.session, current_user.id, view_id, request.form.get("name", ""), remote_addr=request.remote_addr
            )
            flash(f"View renamed to “{saved.name}”.", "success")
        except LookupError:
            abort(404)
        except saved_views.SavedViewError as exc:
            flash(str(exc), "error")
        return redirect(get_redirect_target() or url_for(".index"))

    @expose("/<int:view_id>/default", methods=("POST",))
    def default(self, view_id: int):
        """Open the view's tab with this view (on=1), or stop doing so (on=0)."""
        on = request.form.get("on") == "1"
        try:
            saved = saved_views.set_default(db.session, current_user.id, view_id, on, remote_addr=request.remote_addr)
        except LookupError:
            abort(404)
        tab = _tab_views().get(saved.tab)
        where = tab.name if tab is not None else saved.tab
        flash(
            f"{where} now opens with “{saved.name}”." if on else f"{where} no longer opens with “{saved.name}”.",
            "success",
        )
        return redirect(get_redirect_target() or url_for(".index"))

    @expose("/<int:view_id>/delete", methods=("POST",))
    def delete(self, view_id: int):
        """Delete one of your views."""
        try:
            name = saved_views.delete_view(db.session, current_user.id, view_id, remote_addr=request.remote_addr)
        except LookupError:
            abort(404)
        flash(f"View “{name}” deleted.", "success")
        return redirect(get_redirect_target() or url_for(".index"))


def register(admin, tab_views: dict) -> None:
    """Add the saved-views endpoints; `tab_views` maps each tab ("directory", ...) to its list view."""
    admin.app.extensions[EXTENSION] = dict(tab_views)
    admin.app.before_request(open_default)
    admin.add_view(SavedViewsView(name="Saved views", endpoint="saved_views", url="/users/views"))
