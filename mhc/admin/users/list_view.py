"""The shared machinery of the Users lists: one list-service call per page, the page's template context,
and the batch actions built from the action table (actions.py).
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from flask import abort, current_app, flash, jsonify, request, url_for
from flask_admin import expose
from flask_admin.actions import action
from flask_admin.helpers import get_redirect_target
from flask_login import current_user
from sqlalchemy import func

from mhc.admin import filters as flt
from mhc.admin import links
from mhc.admin.base import SecuredModelView, clamp_page
from mhc.admin.users import actions, formatters, saved_views
from mhc.admin.users.list_urls import (
    ListState,
    active_value,
    filters_from_query_string,
    search_from_query_string,
    with_filter,
)
from mhc.auth import can
from mhc.auth import permissions as perms
from mhc.extensions import db
from mhc.jobs import scheduler
from mhc.models import JobRun, Person, parse_uuid
from mhc.services.users import list_page, priority_states, selection
from mhc.services.users.conditions import tab_query

CATEGORY = "Users"
# Every Users list opens with who the person is; each view appends its own columns.
PERSON_COLUMNS = ["username", "image", "age", "role"]
# What each person is worth to the owner (docs/domain.md#fan-value): last on every tab (earlier columns keep their
# sort numbers in saved links), each sortable on its own index.
VALUE_COLUMNS = ["tipped_tokens", "tips_count", "last_tip_at", "first_seen_in_room_at"]
JOB_KINDS_SHOWN = ("batch_action", "profile_scrape", "refresh_person", "follow_sync")
TOGGLE_LABELS = {"all": "All", "models": "Models", "viewers": "Viewers"}
INDENT = re.compile(r"\n\s+")
TABS = (
    ("users_directory", "Directory"),
    ("users_following", "Following"),
    ("users_followers", "Followers"),
    ("users_unfollowed", "Unfollowed"),
)


def schedules_off(config) -> dict[str, str]:
    """{schedule kind: why it is off} for the interval schedules that do not run (as the Jobs page says)."""
    out = {}
    for schedule in scheduler.SCHEDULES:
        reason = priority_states.off_reason(schedule.disabled_reason(config))
        if reason:
            out[schedule.kind] = reason
    return out


class PageRows(list):
    """A page's rows, carrying the whole ListPage. Flask-Admin's index_view hands only get_list's
    (count, rows) on to render(), so the toggle counts travel with the rows (no flask.g)."""

    def __init__(self, page: list_page.ListPage):
        super().__init__(page.rows)
        self.page = page


def with_batch_actions(cls):
    """Give a view one Flask-Admin @action per entry of the action table."""

    def make(spec: actions.PersonAction):
        @action(spec.name, spec.label, spec.confirmation)
        def run(self, ids):
            return self.run_action(spec.name, ids)

        return run

    for spec in actions.ACTIONS:
        setattr(cls, f"action_{spec.name}", make(spec))
    return cls


@with_batch_actions
class PersonListView(SecuredModelView):
    """A list of persons: one list-service call per page, index-ordered paging, capped counts."""

    tab = "directory"
    permission = perms.VIEW_USERS
    edit_permission = None
    list_template = "admin/users/list.html"
    page_size = 50
    page_size_options = (25, 50, 100, 200)
    named_filter_urls = True
    column_display_actions = False  # row actions are rendered in the last column by the template
    column_searchable_list = ["username"]
    column_sortable_list = ["username", "age", "num_followers", "rank", "last_seen_at", *VALUE_COLUMNS]
    has_role_toggle = True
    sync_list: tuple[str, str] | None = None  # (direction, button label) of the follow list it can update
    export_types = ["csv"]
    export_max_rows = 50_000
    column_labels = {
        "username": "Username",
        "image": "Image",
        "age": "Age",
        "role": "Role",
        "tags": "Tags",
        "priority": "Priority",
        "num_followers": "Followers",
        "rank": "Rank",
        "interactions_count": "Events",
        "snapshots_count": "Snapshots",
        "last_seen_at": "Last Seen",
        "following_since": "Following Since",
        "follower_since": "Following Since",
        "unfollower_at": "Unfollowed On",
        "days_followed": "Days Followed",
        "tipped_tokens": "Tokens",
        "tips_count": "Tips",
        "last_tip_at": "Last Tip",
        "first_seen_in_room_at": "First in Room",
    }
    column_formatters = formatters.LIST_FORMATTERS
    action_permissions = actions.PERMISSIONS

    def __init__(self, *args, **kwargs):
        self.column_filters = self.make_filters()
        super().__init__(Person, db, *args, category=CATEGORY, **kwargs)
        self.column_formatters_export = dict.fromkeys(self.column_list, formatters.export_value)

    @classmethod
    def make_filters(cls) -> list:
        """This tab's filters (instances are per view)."""
        return [flt.FilterRole(), flt.FilterAgeRange(), flt.FilterTag(), flt.FilterExcluded()]

    # --- queries: get_query, get_count_query and get_one agree on the tab's base set ---

    def get_query(self):
        return tab_query(db.session, self.tab)

    def get_count_query(self):
        return self.get_query().with_entities(func.count(Person.id)).order_by(None)

    def get_one(self, id):
        ids = selection.resolve_ids(self.get_query(), [id])
        return db.session.get(Person, ids[0]) if ids else None

    def get_list(self, page, sort_column, sort_desc, search, filters, execute=True, page_size=None):
        request_ = self.list_request(
            filters,
            search=search,
            sort=sort_column,
            desc=bool(sort_desc) if sort_column else True,
            page=clamp_page(page),
            page_size=self.page_size if page_size is None else page_size,
        )
        result = list_page.list_page(db.session, request_)
        return result.count.value, PageRows(result)

    def list_request(self, filters, **kwargs) -> list_page.ListRequest:
        """The list service's request for Flask-Admin's active filters; the role filter is the toggle."""
        toggle = "all" if self.has_role_toggle else None
        conditions = []
        for idx, _name, value in filters or ():
            filt = self.column_filters[idx]
            if self.has_role_toggle and isinstance(filt, flt.FilterRole):
                toggle = value
            else:
                conditions.append(filt.condition(filt.clean(value)))
        return list_page.ListRequest(self.tab, tuple(conditions), toggle=toggle, **kwargs)

    # --- template context ---

    def render(self, template, **kwargs):
        if template == self.list_template:
            kwargs["users"] = self.list_context(kwargs)
            kwargs["list_columns"] = saved_views.shown_columns(self, kwargs["list_columns"])  # ?cols=
            # Indentation is a tenth of the page (the layouts' templates are indented); the page has no <pre> or
            # <textarea>, so a run of whitespace after a line break shows exactly as one line break does.
            return INDENT.sub("\n", super().render(template, **kwargs))
        return super().render(template, **kwargs)

    def list_context(self, kwargs) -> dict:
        """Tabs, toggles with counts, insights and permissions for the list template."""
        page, state = kwargs["data"].page, ListState.from_render(kwargs)
        row_actions = actions.buttons(self.is_action_allowed)
        can_edit = can(perms.MANAGE_USERS)
        has_menu = bool(kwargs.get("actions")) and bool(row_actions or can_edit)  # users.js adds each row's ⋯
        off = schedules_off(current_app.config)
        return {
            "tab": self.tab,
            "tabs": TABS,
            "count": page.count,
            "toggles": self.toggle_links(state, page.toggle_counts) if page.toggle_counts else [],
            "windows": self.window_links(state),
            "paying": self.paying_link(state),
            "row_actions": row_actions,
            "can_edit_person": can_edit,
            "has_actions": bool(kwargs.get("actions")),
            "has_menu": has_menu,
            "schedules_off": off,
            "legend": priority_states.legend(off),
            "blocked": priority_states.blocked_notices(_lookup_states(page.rows), off),
            "jobs_url": url_for("jobs.index"),
            "cells": formatters.row_cells,
            "can_queue": can(perms.MANAGE_PRIORITIES),
            "search": state.search,
            "job": _job_from_args(),
            "sync": self.sync_button(),
            "insights": self.insights(state),
            "list_args": urlsplit(request.full_path).query,
            "views_bar": saved_views.bar_context(self),  # column chooser + saved views
            # built once per page, not per row: usernames are [a-z0-9_] and ids UUIDs, both URL-safe
            "profile_prefix": url_for("profile.index"),
            "thumb_prefix": formatters.thumbnail_prefix(),
            "edit_prefix": url_for("users_directory.edit_view", url=kwargs.get("return_url")) + "&id=",
        }

    def toggle_links(self, state: ListState, counts: dict) -> list[dict]:
        """All | Models | Viewers with counts and links (other filters and search kept)."""
        active = active_value(self, state, flt.FilterRole) or "all"
        return [
            {
                "key": key,
                "label": label,
                "count": counts.get(key),
                "active": key == active,
                "url": with_filter(self, state, flt.FilterRole, None if key == "all" else key),
            }
            for key, label in TOGGLE_LABELS.items()
        ]

    def window_links(self, state: ListState) -> list[dict]:
        return []

    def paying_link(self, state: ListState) -> dict | None:
        """The "Paying fans only" switch, on lists that have the filter (other filters and search kept)."""
        if not any(isinstance(f, flt.FilterPayingFans) for f in self.column_filters):
            return None
        active = active_value(self, state, flt.FilterPayingFans) is not None
        return {"active": active, "url": with_filter(self, state, flt.FilterPayingFans, None if active else "yes")}

    def insights(self, state: ListState):
        return None

    def sync_button(self):
        """The follow-list sync button, for a list that names one in `sync_list` and users who may start jobs."""
        if self.sync_list is None or not can(perms.MANAGE_JOBS):
            return None
        direction, label = self.sync_list
        return {"url": url_for("follows.sync"), "label": label, "direction": direction}

    # --- actions: ids resolve through this view's query; big batches become a background job ---

    def run_action(self, name: str, ids):
        """Resolve targets (selected rows or "all N matching"), confirm, then run the action."""
        if request.form.get("select_all") == "1":
            query = self.query_from_list_args(request.form.get("list_args", ""))
            if request.form.get("confirmed") != "1":
                return self.confirm_all(name, selection.count_exact(db.session, query))
            targets = selection.all_ids(query)
        else:
            targets = selection.resolve_ids(self.get_query(), ids)
        if not targets:
            flash("No persons selected (or none of them is on this list).", "warning")
            return None
        back = get_redirect_target() or self.get_url(".index_view")
        return actions.perform(name, targets, actor_id=current_user.id, redirect_to=back)

    def query_from_list_args(self, list_args: str):
        """Every person a list URL's query string (search + filters) holds, for "all N matching"."""
        filters = filters_from_query_string(self, list_args)
        request_ = self.list_request(filters, search=search_from_query_string(list_args))
        return list_page.matching_query(db.session, request_)

    def confirm_all(self, name: str, count: int):
        """The confirmation page for "all N matching this filter"."""
        return self.render(
            "admin/users/confirm_all.html",
            action_name=name,
            action_label=actions.BY_NAME[name].label,
            count=count,
            list_args=request.form.get("list_args", ""),
            return_url=get_redirect_target() or self.get_url(".index_view"),
            action_url=self.get_url(".action_view"),
            inline_limit=actions.inline_limit(),
        )

    @expose("/jobs/<uuid:run_id>.json")
    def job_status(self, run_id):
        """Progress of a background run started from these pages."""
        run = db.session.get(JobRun, run_id)
        if run is None or run.kind not in JOB_KINDS_SHOWN:
            abort(404)
        return jsonify(links.progress_words(run))  # the status and any failure in words


def _lookup_states(rows) -> list[tuple[int, str]]:
    """(level, status) of the page's priority lookups."""
    return [(lk.priority, lk.status) for person in rows for lk in (person.priority_lookup or [])[:1]]


def _job_from_args() -> str | None:
    """The run id in ?job= (set after starting a background action), if it is one."""
    try:
        return str(parse_uuid(request.args["job"])) if request.args.get("job") else None
    except ValueError:
        return None
