"""The Users lists: Directory, Following, Followers, Unfollowed, and the hidden profile editor.

Each view declares its columns, filters and sorts; the shared list machinery is PersonListView
(list_view.py), the actions come from the one action table (actions.py).
"""

from __future__ import annotations

from datetime import date

from flask import abort, current_app, flash, jsonify, make_response, redirect, request
from flask_admin import expose
from flask_login import current_user
from wtforms import SelectField, StringField

from mhc.admin import filters as flt
from mhc.admin import follow_periods
from mhc.admin.base import SecuredModelView, uuid_or_404
from mhc.admin.users.list_urls import ListState, active_value, with_filter
from mhc.admin.users.list_view import PERSON_COLUMNS, VALUE_COLUMNS, PersonListView, schedules_off
from mhc.auth import can
from mhc.auth import permissions as perms
from mhc.extensions import db
from mhc.jobs import JobAlreadyRunning, JobsUnavailable
from mhc.jobs.profile_jobs import enqueue_profile_scrape
from mhc.models import Profile, utcnow
from mhc.models.persons import ROLE_VALUES
from mhc.services.follows import insights, periods, unfollowers
from mhc.services.users import priorities, thumbnails
from mhc.services.users.exclusion import EXCLUDED_MEANING
from mhc.services.users.priority_states import priority_state


class DirectoryView(PersonListView):
    """Every person: All | Models | Viewers, search with "Add to Queue", priorities, edits, CSV."""

    tab = "directory"
    edit_permission = perms.MANAGE_USERS
    allow_edit = True
    column_list = [
        *PERSON_COLUMNS,
        "tags",
        "priority",
        "num_followers",
        "rank",
        "interactions_count",
        "snapshots_count",
        "last_seen_at",
        *VALUE_COLUMNS,
    ]
    edit_template = "admin/users/edit.html"
    form_columns = ["role", "is_excluded"]
    form_overrides = {"role": SelectField}
    form_args = {
        "role": {"choices": [(r, r.title()) for r in ROLE_VALUES]},
        "is_excluded": {"label": "Excluded from aggregates", "description": EXCLUDED_MEANING},
    }

    @expose("/thumb/<person_id>")
    def thumbnail(self, person_id):
        """A stored room thumbnail, with the type its bytes say; its URL carries the digest, so it is
        cached by the browser until the picture changes."""
        thumb = thumbnails.get(db.session, uuid_or_404(person_id))
        if thumb is None:
            abort(404)
        response = make_response(thumb.content)
        response.headers["Content-Type"] = thumb.content_type
        response.headers["Cache-Control"] = "private, max-age=31536000, immutable"
        response.set_etag(thumb.sha256)
        return response.make_conditional(request)

    @expose("/priority-status.json")
    def priority_status(self):
        """{person id: {priority, status, reason, label, title, blocked}} for the Priority cells still
        Queued/Processing (label and title as the cell shows them)."""
        ids = [i for i in request.args.get("ids", "").split(",") if i][:500]
        statuses, off = priorities.priority_statuses(db.session, ids), schedules_off(current_app.config)
        for info in statuses.values():
            state = priority_state(info["priority"], info["status"], info["reason"], off)
            info.update(label=state.label, title=state.title, blocked=state.blocked)
        return jsonify(statuses)

    @expose("/queue", methods=("POST",))
    def add_to_queue(self):
        """Search found nobody: create the person if unknown with a P2 lookup, and scrape the profile."""
        if not can(perms.MANAGE_PRIORITIES):
            abort(403)
        try:
            lookup = priorities.queue_username(db.session, request.form.get("username", ""), actor_id=current_user.id)
        except ValueError:
            flash("Not a Chaturbate username (letters, digits and _ only).", "error")
            return redirect(self.get_url(".index_view"))
        name = lookup.person.username
        try:
            enqueue_profile_scrape([lookup.person_id], actor_id=current_user.id)
            flash(f"{name} queued (P2).", "success")
        except (JobAlreadyRunning, JobsUnavailable) as exc:
            flash(f"{name} queued (P2); the profile scrape was not started: {exc}", "warning")
        return redirect(self.get_url(".index_view", search=f"={name}"))


class FollowingView(PersonListView):
    """Persons I follow."""

    tab = "following"
    has_role_toggle = False
    sync_list = ("following", "Update Following List")
    column_list = [
        *PERSON_COLUMNS,
        "tags",
        "num_followers",
        "rank",
        "following_since",
        "last_seen_at",
        *VALUE_COLUMNS,
    ]
    column_sortable_list = PersonListView.column_sortable_list + [("following_since", "profile.following_since")]

    @classmethod
    def make_filters(cls) -> list:
        return [flt.FilterAgeRange(), flt.FilterTag()]


class FollowersView(PersonListView):
    """Persons following me: All | Models | Viewers."""

    tab = "followers"
    sync_list = ("followers", "Update Followers List")
    column_list = [*PERSON_COLUMNS, "tags", "follower_since", "last_seen_at", *VALUE_COLUMNS]
    column_sortable_list = PersonListView.column_sortable_list + [("follower_since", "profile.follower_since")]

    @classmethod
    def make_filters(cls) -> list:
        return [*super().make_filters(), flt.FilterPayingFans()]


class UnfollowedView(PersonListView):
    """Former followers: window 7d | 30d | 90d | all, Days Followed, insights and unfollows per day."""

    tab = "unfollowed"
    has_role_toggle = False
    column_list = [
        *PERSON_COLUMNS,
        "follower_since",
        "unfollower_at",
        "days_followed",
        "follow_periods",
        "last_seen_at",
        *VALUE_COLUMNS,
    ]
    column_labels = {**PersonListView.column_labels, "follower_since": "Followed On", "follow_periods": "Periods"}
    column_formatters = {**PersonListView.column_formatters, "follow_periods": follow_periods.list_cell}
    column_descriptions = {"follow_periods": "Each follow → unfollow of this person; a re-follow makes a second period"}
    column_export_exclude_list = ["follow_periods"]  # read per page; the export has Followed On / Unfollowed On
    column_sortable_list = PersonListView.column_sortable_list + [
        ("follower_since", "profile.follower_since"),
        ("unfollower_at", "profile.unfollower_at"),
    ]

    @classmethod
    def make_filters(cls) -> list:
        return [flt.FilterUnfollowedWithin(), flt.FilterAgeRange(), flt.FilterRole()]

    def window_links(self, state: ListState) -> list[dict]:
        active = flt.WINDOWS.get(active_value(self, state, flt.FilterUnfollowedWithin))
        out = []
        for days, label in ((7, "7d"), (30, "30d"), (90, "90d"), (None, "all")):
            url = with_filter(self, state, flt.FilterUnfollowedWithin, None if days is None else str(days))
            out.append({"label": label, "url": url, "active": days == active})
        return out

    def insights(self, state: ListState):
        """Insights for the chosen window (None: all of the history), and the chart's JSON URL."""
        window, now = flt.WINDOWS.get(active_value(self, state, flt.FilterUnfollowedWithin)), utcnow()
        return {
            "data": insights.unfollow_insights(db.session, now, window),
            "tokens_lost": insights.unfollower_tokens(db.session, now, window),
            "window": window,
            "window_label": f"{window}d" if window else "all time",
            "chart_url": self.get_url(".per_day", window=window or "all"),
            "has_chart": True,
            "unfollowers": unfollowers.unfollowers(db.session, now),
        }

    def list_context(self, kwargs) -> dict:
        """The page's follow periods (one query for its rows) for the Periods column."""
        context = super().list_context(kwargs)
        context["periods"] = periods.periods_for(db.session, [p.id for p in kwargs["data"]], ("follower",))
        return context

    @expose("/per-day.json")
    def per_day(self):
        """Unfollows per day over the window, for the bar chart."""
        window = flt.WINDOWS.get(request.args.get("window", ""))  # anything else: all of the history
        points = insights.unfollows_per_day(db.session, utcnow(), window)
        return jsonify(points=[[d.isoformat() if isinstance(d, date) else str(d), int(n)] for d, n in points])


class TagListField(StringField):
    """A JSON list of tags edited as "a, b, c"."""

    def _value(self):
        return ", ".join(self.data or []) if isinstance(self.data, list) else (self.data or "")

    def process_formdata(self, valuelist):
        raw = valuelist[0] if valuelist else ""
        self.data = sorted({t.strip().lstrip("#").lower() for t in raw.split(",") if t.strip()}) or None


class ProfileEditView(SecuredModelView):
    """Edit a person's profile fields (notes, tags, display name): reached from the Directory and Profile."""

    permission = perms.MANAGE_USERS
    edit_permission = perms.MANAGE_USERS
    allow_edit = True
    edit_template = "admin/users/edit.html"
    column_list = ["person", "display_name", "notes", "tags"]
    form_columns = ["display_name", "notes", "tags", "age", "age_flagged"]
    form_overrides = {"tags": TagListField}
    can_export = False
    export_types = []

    def __init__(self, *args, **kwargs):
        super().__init__(Profile, db, *args, **kwargs)

    def is_visible(self) -> bool:
        return False
