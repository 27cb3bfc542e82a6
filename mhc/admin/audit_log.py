"""Admin → Audit Log: who changed what, when; objects by name with a link, changes one per line.

Sign-ins (logins, refusals, logouts) are a tab of their own so they do not drown the changes. The names on a
page come from mhc.services.audit_view (one statement per kind of object). `?object=<type>:<id>` shows one
object's history (docs/operator.md#reading-the-audit-log).
"""

from __future__ import annotations

import json
from datetime import UTC

from flask import g, has_request_context, request, url_for
from flask_admin.contrib.sqla.filters import DateTimeBetweenFilter, DateTimeGreaterFilter, DateTimeSmallerFilter
from markupsafe import Markup
from werkzeug.routing import BuildError

from mhc.admin import words
from mhc.admin.base import SecuredModelView
from mhc.auth import permissions as perms
from mhc.extensions import db
from mhc.models import AuditLog
from mhc.services import audit_view

TAB_LABELS = {"changes": "Changes", "signins": "Sign-ins", "all": "All"}
# Where a kind of object is shown: (endpoint, the URL argument its key fills); None = no page of its own.
PAGES = {
    "persons": ("profile.person", "username"),
    "profiles": ("profile.person", "username"),
    "system_user": ("system_users.edit_view", "id"),
    "job_runs": ("jobs.detail", "run_id"),
    "alert_channels": ("alerts.index", None),
    "alert_rules": ("alerts.index", None),
    "alert_deliveries": ("alerts.index", None),
    "system_role": ("system_roles.index", None),
}
SECRET_PAGES = {
    "chaturbate_cookies": "follows.index",
    "events_api_token": "events_api.index",
    "stats_api_token": "events_api.index",
    "events_next_url": "events_api.index",
}


class FilterAtAfter(DateTimeGreaterFilter):
    """When after a UTC date-time (the form gives naive times; they are UTC)."""

    def clean(self, value):
        return super().clean(value).replace(tzinfo=UTC)


class FilterAtBefore(DateTimeSmallerFilter):
    """When before a UTC date-time."""

    def clean(self, value):
        return super().clean(value).replace(tzinfo=UTC)


class FilterAtBetween(DateTimeBetweenFilter):
    """When between two UTC date-times."""

    def clean(self, value):
        return [v.replace(tzinfo=UTC) for v in super().clean(value)]


def _url(endpoint: str, **kwargs) -> str | None:
    try:
        return url_for(endpoint, **kwargs)
    except BuildError:  # a page this installation does not register
        return None


def object_url(object_type: str, object_id: str | None, named: audit_view.Named) -> str | None:
    """The page of a named object, or None (gone, or no page of its own)."""
    if not named.exists:
        return None
    if object_type == "stored_secret":
        endpoint = SECRET_PAGES.get(object_id or "")
        return _url(endpoint) if endpoint else None
    if object_type == "held_follow_lists":
        return _url("jobs.detail", run_id=named.run_id) if named.run_id else _url("follows.index")
    endpoint, arg = PAGES.get(object_type, (None, None))
    if endpoint is None:
        return None
    return _url(endpoint, **({arg: named.key} if arg else {}))


def history_url(object_type: str, object_id: str) -> str:
    """The audit log filtered to one object: /audit_log/?object=<type>:<id>."""
    return url_for("audit_log.index_view", object=f"{object_type}:{object_id}")


def _shown_name(object_type: str, named: audit_view.Named) -> str:
    name = words.job_kind(named.name) if object_type == "job_runs" and not named.name.startswith("#") else named.name
    return f"{name} (deleted)" if named.deleted else name


def _value(short: str | None, full: str | None) -> Markup:
    if short is None:
        return Markup('<span class="text-muted">none</span>')
    if short != full:
        return Markup('<span title="{}">{}</span>').format(full, short)
    return Markup("{}").format(short)


def _format_diff(view, context, model, name):
    if said := audit_view.summary(model):
        return Markup('<div class="audit-change" data-testid="change">{}</div>').format(said)
    parts = []
    for line in audit_view.lines(model):
        parts.append(
            Markup(
                '<div class="audit-change" data-testid="change"><span class="audit-field">{}</span>: {} → {}</div>'
            ).format(line.field, _value(line.old, line.old_full), _value(line.new, line.new_full))
        )
    return Markup("").join(parts)


def _format_action(view, context, model, name):
    return Markup('<span title="{}">{}</span>').format(model.action, audit_view.action_words(model.action))


def _format_object(view, context, model, name):
    named = view.named(model)
    shown = _shown_name(model.object_type, named)
    url = object_url(model.object_type, model.object_id, named)
    link = Markup('<a href="{}" data-testid="object-link">{}</a>').format(url, shown) if url else shown
    out = Markup('<span class="text-muted">{}</span> {}').format(named.kind, link)
    if model.object_id and not view.history_object():
        history = history_url(model.object_type, model.object_id)
        out += Markup(' <a class="small ml-1" href="{}" data-testid="history">history</a>').format(history)
    return out


def _export_diff(view, context, model, name):
    return json.dumps(audit_view.redacted(model), sort_keys=True) if model.diff else ""


def _export_object_name(view, context, model, name):
    return _shown_name(model.object_type, view.named(model))


class AuditLogView(SecuredModelView):
    """Who changed what, when; read-only."""

    permission = perms.VIEW_AUDIT_LOG
    edit_permission = None
    export_permission = perms.VIEW_AUDIT_LOG
    export_types = ["csv"]
    can_view_details = True
    list_template = "admin/audit/list.html"
    column_list = ["at", "username", "action", "object", "remote_addr", "changes"]
    column_details_list = ["at", "username", "action", "object", "object_type", "object_id", "remote_addr", "changes"]
    # The CSV export is a public interface: these columns, in this order; new ones only at the end.
    column_export_list = ["at", "username", "action", "object_type", "object_id", "remote_addr", "diff", "object_name"]
    column_labels = {
        "at": "When",
        "username": "User",
        "object": "Object",
        "object_type": "Object type",
        "object_id": "Object id",
        "object_name": "Object name",
        "changes": "Changes",
    }
    column_filters = [
        "username",
        "action",
        "object_type",
        "object_id",
        FilterAtAfter(AuditLog.at, "When (UTC)"),
        FilterAtBefore(AuditLog.at, "When (UTC)"),
        FilterAtBetween(AuditLog.at, "When (UTC)"),
    ]
    column_searchable_list = ["username", "object_id"]
    column_default_sort = ("at", True)
    column_formatters = {
        "changes": _format_diff,
        "diff": _format_diff,
        "object": _format_object,
        "action": _format_action,
    }
    column_formatters_export = {"diff": _export_diff, "object_name": _export_object_name}

    # --- which rows: the tab and the one object whose history is asked for ---

    def tab(self) -> str:
        """The tab asked for; by default the changes (a history and the CSV export: every row)."""
        asked = request.args.get("show")
        if asked in audit_view.TABS:
            return asked
        exporting = request.endpoint == f"{self.endpoint}.export"
        return "all" if exporting or self.history_object() else "changes"

    def history_object(self) -> tuple[str, str] | None:
        return audit_view.parse_object(request.args.get("object")) if has_request_context() else None

    def _scoped(self, query):
        if not has_request_context():
            return query
        clause = audit_view.tab_filter(self.tab())
        if clause is not None:
            query = query.filter(clause)
        if wanted := self.history_object():
            query = query.filter(audit_view.object_filter(*wanted))
        return query

    def get_query(self):
        return self._scoped(super().get_query())

    def get_count_query(self):
        return self._scoped(super().get_count_query())

    def get_url(self, endpoint, **kwargs):
        # The export link carries the tab shown, so it exports what the page lists.
        if endpoint == ".export" and "show" not in kwargs and has_request_context():
            kwargs["show"] = self.tab()
        return super().get_url(endpoint, **kwargs)

    # --- names: resolved once per page ---

    def get_list(self, page, sort_column, sort_desc, search, filters, execute=True, page_size=None):
        count, data = super().get_list(page, sort_column, sort_desc, search, filters, execute, page_size)
        if execute:
            data = list(data)
            g.audit_names = audit_view.names(db.session, data)
        return count, data

    def named(self, model) -> audit_view.Named:
        """The name of a row's object: from the page's lookup, or looked up alone (the details page)."""
        found = g.setdefault("audit_names", {})
        key = (model.object_type, model.object_id)
        if key not in found:
            found.update(audit_view.names(db.session, [model]))
        return found[key]

    # --- what the list template shows above the table ---

    def tabs(self) -> list[tuple[str, str, bool]]:
        """(label, URL, active) per tab, keeping the other arguments (filters, search, object)."""
        args = {k: v for k, v in request.args.items() if k not in ("show", "page")}
        current = self.tab()
        return [(TAB_LABELS[t], url_for(".index_view", **args, show=t), t == current) for t in audit_view.TABS]

    def heading(self) -> dict | None:
        """The object whose history is shown: its kind, name and page, or None for the whole log."""
        wanted = self.history_object()
        if wanted is None:
            return None
        named = audit_view.describe_object(db.session, *wanted)
        return {
            "kind": named.kind,
            "name": _shown_name(wanted[0], named),
            "url": object_url(wanted[0], wanted[1], named),
            "all_url": url_for(".index_view"),
        }


def register(admin, category: str) -> None:
    """Add Admin → Audit Log."""
    admin.add_view(AuditLogView(AuditLog, db, name="Audit Log", endpoint="audit_log", category=category))
