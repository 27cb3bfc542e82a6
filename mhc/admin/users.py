"""The "Users" nav group: Directory, Following, Followers, Unfollowed (Flask-Admin ModelViews over persons)."""

from __future__ import annotations

import uuid
from datetime import date
from urllib.parse import parse_qsl, urlencode, urlsplit

from flask import abort, flash, g, jsonify, make_response, redirect, request, url_for
from flask_admin import expose
from flask_admin.actions import action
from flask_admin.helpers import get_redirect_target
from flask_login import current_user
from markupsafe import Markup
from werkzeug.datastructures import MultiDict
from wtforms import SelectField, StringField

from mhc.admin import filters as flt
from mhc.admin.base import SecuredModelView, time_tag
from mhc.auth import can
from mhc.auth import permissions as perms
from mhc.extensions import db
from mhc.jobs import JobAlreadyRunning, JobsUnavailable
from mhc.jobs.affiliate_jobs import enqueue_refresh
from mhc.jobs.batch_jobs import enqueue_batch
from mhc.jobs.profile_jobs import enqueue_profile_scrape
from mhc.models import JobRun, Person, Profile, utcnow
from mhc.models.persons import ROLE_VALUES
from mhc.services.follows import insights
from mhc.services.users import directory, priorities, thumbnails

CATEGORY = "Users"
STATUS_LABELS = {"queued": "Queued", "processing": "Processing", "complete": "Complete", "failed": "Failed"}
JOB_KINDS_SHOWN = ("batch_action", "profile_scrape", "refresh_person", "follow_sync")


# --- cell formatters (every scraped string is escaped by Markup.format) ---


EXCLUDED_MEANING = (
    "A noise account (bot, spam follower): still listed, but left out of follower counts, unfollow insights "
    "and growth charts."
)


def _fmt_username(view, context, person, name):
    if "profile_prefix" not in g:
        g.profile_prefix = url_for("profile.index")
    out = Markup('<a href="{}{}" class="username">{}</a>').format(g.profile_prefix, person.username, person.username)
    if person.is_excluded:
        out += Markup(' <span class="badge badge-secondary" title="{}">excluded</span>').format(EXCLUDED_MEANING)
    return out


def thumbnail_url(person: Person) -> str | None:
    """The panel's own copy of the room thumbnail (the digest in the URL lets browsers cache it for good),
    or None: the CDN's URL is never shown, since offline it serves a branded placeholder (CHATURBATE.md §2)."""
    if not person.thumbnail_sha256:
        return None
    if "thumb_prefix" not in g:
        g.thumb_prefix = url_for("users_directory.index_view") + "thumb/"
    return f"{g.thumb_prefix}{person.id}?v={person.thumbnail_sha256[:16]}"


def _fmt_image(view, context, person, name):
    url = thumbnail_url(person)
    if url is None:
        return Markup('<span class="thumb thumb-empty" title="No photo taken yet"></span>')
    return Markup('<img class="thumb" loading="lazy" decoding="async" src="{}" alt="">').format(url)


def _fmt_role(view, context, person, name):
    return Markup('<span class="role role-{}">{}</span>').format(person.role.lower(), person.role.title())


def _fmt_tags(view, context, person, name):
    tags = (person.profile.tags if person.profile else None) or []
    if not isinstance(tags, list):
        return ""
    return Markup(" ").join(Markup('<span class="badge badge-light tag">{}</span>').format(t) for t in tags[:8])


def _lookup(person):
    lookups = person.priority_lookup or []
    return lookups[0] if lookups else None


def _fmt_priority(view, context, person, name):
    lookup = _lookup(person)
    if lookup is None:
        return Markup('<span class="priority-cell" data-person-id="{}"></span>').format(person.id)
    return priority_markup(str(person.id), lookup.priority, lookup.status, lookup.failure_reason)


def priority_markup(person_id: str, level: int, status: str, reason: str | None) -> Markup:
    """The Priority cell: P1/P2 badge and lookup status (failed shows its reason)."""
    label = STATUS_LABELS.get(status, status)
    reason_html = Markup(' <span class="lookup-reason small text-muted">{}</span>').format(reason) if reason else ""
    return Markup(
        '<span class="priority-cell" data-person-id="{}" data-status="{}">'
        '<span class="badge badge-p{}">P{}</span> <span class="lookup-status status-{}">{}</span>{}</span>'
    ).format(person_id, status, level, level, status, label, reason_html)


def _fmt_number(view, context, person, name):
    value = getattr(person, name)
    return "" if value is None else f"{value:,}"


def _fmt_last_seen(view, context, person, name):
    return time_tag(person.last_seen_at)


def _profile_date(attr):
    def fmt(view, context, person, name):
        return time_tag(getattr(person.profile, attr) if person.profile else None)

    return fmt


def days_followed(profile: Profile | None) -> int | None:
    """Whole days between Followed On (follower_since) and Unfollowed On (unfollower_at)."""
    if profile is None or profile.follower_since is None or profile.unfollower_at is None:
        return None
    return max((profile.unfollower_at - profile.follower_since).days, 0)


def _fmt_days_followed(view, context, person, name):
    days = days_followed(person.profile)
    return "" if days is None else str(days)


def _export_value(name):
    def fmt(view, context, person, _name):
        profile = person.profile
        values = {
            "image": person.image_url or "",
            "tags": ", ".join((profile.tags or []) if profile and isinstance(profile.tags, list) else []),
            "priority": (lambda lk: f"P{lk.priority} {lk.status}" if lk else "")(_lookup(person)),
            "following_since": profile.following_since if profile else None,
            "follower_since": profile.follower_since if profile else None,
            "unfollower_at": profile.unfollower_at if profile else None,
            "days_followed": days_followed(profile),
        }
        value = values[name] if name in values else getattr(person, name)
        return "" if value is None else (value.isoformat() if hasattr(value, "isoformat") else value)

    return fmt


# --- the views ---


class TagListField(StringField):
    """A JSON list of tags edited as "a, b, c"."""

    def _value(self):
        return ", ".join(self.data or []) if isinstance(self.data, list) else (self.data or "")

    def process_formdata(self, valuelist):
        raw = valuelist[0] if valuelist else ""
        self.data = sorted({t.strip().lstrip("#").lower() for t in raw.split(",") if t.strip()}) or None


class PersonListView(SecuredModelView):
    """A list of persons: fixed queries per page, index-ordered paging, capped counts (see services.directory)."""

    tab = "directory"
    permission = perms.VIEW_USERS
    edit_permission = None
    list_template = "admin/users/list.html"
    page_size = 50
    page_size_options = (25, 50, 100, 200)
    named_filter_urls = True
    column_display_actions = False  # row actions are rendered in the last column by the template
    column_searchable_list = ["username"]
    column_sortable_list = ["username", "age", "num_followers", "rank", "last_seen_at"]
    sort_columns = {
        "username": (Person.platform, Person.username),  # the unique (platform, username) index
        "age": Person.age,
        "num_followers": Person.num_followers,
        "rank": Person.rank,
        "last_seen_at": Person.last_seen_at,
    }
    default_sort = ("last_seen_at", True)
    has_role_toggle = True
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
    }
    column_formatters = {
        "username": _fmt_username,
        "image": _fmt_image,
        "role": _fmt_role,
        "tags": _fmt_tags,
        "priority": _fmt_priority,
        "num_followers": _fmt_number,
        "rank": _fmt_number,
        "interactions_count": _fmt_number,
        "snapshots_count": _fmt_number,
        "last_seen_at": _fmt_last_seen,
        "following_since": _profile_date("following_since"),
        "follower_since": _profile_date("follower_since"),
        "unfollower_at": _profile_date("unfollower_at"),
        "days_followed": _fmt_days_followed,
    }
    action_permissions = {
        "add_p1": perms.MANAGE_PRIORITIES,
        "add_p2": perms.MANAGE_PRIORITIES,
        "scrape_profile": perms.SCRAPE_PROFILES,
        "refresh_data": perms.SCRAPE_PROFILES,
        "exclude": perms.MANAGE_USERS,
        "include": perms.MANAGE_USERS,
    }

    def __init__(self, *args, **kwargs):
        self.column_filters = self.make_filters()
        super().__init__(Person, db, *args, category=CATEGORY, **kwargs)
        self.column_formatters_export = {name: _export_value(name) for name in self.column_list}

    @classmethod
    def make_filters(cls) -> list:
        """This tab's filters (instances are per view)."""
        return [flt.FilterRole(), flt.FilterAgeRange(), flt.FilterTag(), flt.FilterExcluded()]

    # --- queries: get_query, get_count_query and get_one agree on the tab's base set ---

    def get_query(self):
        return directory.tab_query(db.session, self.tab)

    def get_count_query(self):
        from sqlalchemy import func

        return self.get_query().with_entities(func.count(Person.id)).order_by(None)

    def get_one(self, id):
        ids = directory.resolve_ids(self.get_query(), [id])
        return db.session.get(Person, ids[0]) if ids else None

    def filtered_query(self, search, filters, *, skip=()):
        """The tab's query with the search term and the active filters (except those of types in `skip`)."""
        query = self.get_query()
        if search:
            query = query.filter(directory.search_condition(search))
        for idx, _name, value in filters or ():
            filt = self._filters[idx]
            if isinstance(filt, skip):
                continue
            query = filt.apply(query, filt.clean(value))
        return query

    def get_list(self, page, sort_column, sort_desc, search, filters, execute=True, page_size=None):
        """Counts (capped), then ids in index order, then the page's rows: a fixed number of queries."""
        query = self.filtered_query(search, filters)
        if self.has_role_toggle:
            counts = directory.toggle_counts(db.session, self.filtered_query(search, filters, skip=flt.FilterRole))
            g.users_toggle_counts = counts
            count = counts[self.active_toggle(filters)]
        else:
            count = directory.count_rows(db.session, query)
        g.users_count = count
        column = self.sort_columns.get(sort_column)
        if column is None:
            column, sort_desc = self.sort_columns[self.default_sort[0]], self.default_sort[1]
        size = self.page_size if page_size is None else page_size
        ids = directory.page_ids(query, directory.order_by(column, bool(sort_desc)), (page or 0) * (size or 0), size)
        return count.value, directory.load_persons(db.session, ids)

    def active_toggle(self, filters) -> str:
        """'all', 'models' or 'viewers' from the active role filter."""
        for idx, _name, value in filters or ():
            if isinstance(self._filters[idx], flt.FilterRole):
                return value
        return "all"

    # --- template context ---

    def render(self, template, **kwargs):
        if template == self.list_template:
            kwargs["users"] = self.list_context(kwargs)
        return super().render(template, **kwargs)

    def list_context(self, kwargs) -> dict:
        """Tabs, toggles with counts, insights and permissions for the list template."""
        view_args = self._get_list_extra_args()
        return {
            "tab": self.tab,
            "tabs": TABS,
            "count": g.get("users_count"),
            "toggles": self.toggle_links(view_args) if self.has_role_toggle else [],
            "windows": self.window_links(view_args),
            "row_actions": self.row_actions(),
            "can_edit_person": can(perms.MANAGE_USERS),
            "can_queue": can(perms.MANAGE_PRIORITIES),
            "search": view_args.search,
            "job": self.job_from_args(),
            "sync": self.sync_button(),
            "insights": self.insights(view_args),
            "list_args": urlsplit(request.full_path).query,
            # built once per page, not per row: usernames are [a-z0-9_] and ids UUIDs, both URL-safe
            "profile_prefix": url_for("profile.index"),
            "edit_prefix": url_for("users_directory.edit_view", url=kwargs.get("return_url")) + "&id=",
        }

    def _filter_index(self, filter_type) -> int | None:
        for idx, filt in enumerate(self._filters or ()):
            if isinstance(filt, filter_type):
                return idx
        return None

    def _with_filter(self, view_args, filter_type, value):
        idx = self._filter_index(filter_type)
        kept = [f for f in (view_args.filters or []) if not isinstance(self._filters[f[0]], filter_type)]
        if value is not None:
            kept.append((idx, self._filters[idx].name, value))
        return self._get_list_url(view_args.clone(filters=kept, page=None))

    def toggle_links(self, view_args) -> list[dict]:
        """All | Models | Viewers with counts and links (other filters and search kept)."""
        counts = g.get("users_toggle_counts") or {}
        active = self.active_toggle(view_args.filters)
        labels = {"all": "All", "models": "Models", "viewers": "Viewers"}
        return [
            {
                "key": key,
                "label": label,
                "count": counts.get(key),
                "active": key == active,
                "url": self._with_filter(view_args, flt.FilterRole, None if key == "all" else key),
            }
            for key, label in labels.items()
        ]

    def window_links(self, view_args) -> list[dict]:
        return []

    def insights(self, view_args):
        return None

    def sync_button(self):
        return None

    def row_actions(self) -> list[tuple[str, str]]:
        """(action name, label) of the row buttons this user may use."""
        shown = [("scrape_profile", "Scrape Profile"), ("add_p1", "Add to P1"), ("refresh_data", "Refresh Data")]
        return [(name, label) for name, label in shown if self.is_action_allowed(name)]

    @staticmethod
    def job_from_args():
        raw = request.args.get("job")
        if not raw:
            return None
        try:
            return str(directory.parse_uuid(raw))
        except ValueError:
            return None

    # --- actions: ids resolve through this view's query; big batches become a background job ---

    @action("add_p1", "Add to P1")
    def action_add_p1(self, ids):
        return self.run_action("add_p1", ids)

    @action("add_p2", "Add to P2")
    def action_add_p2(self, ids):
        return self.run_action("add_p2", ids)

    @action("scrape_profile", "Scrape Profile")
    def action_scrape_profile(self, ids):
        return self.run_action("scrape_profile", ids)

    @action("refresh_data", "Refresh Data")
    def action_refresh_data(self, ids):
        return self.run_action("refresh_data", ids)

    @action("exclude", "Exclude")
    def action_exclude(self, ids):
        return self.run_action("exclude", ids)

    @action("include", "Include")
    def action_include(self, ids):
        return self.run_action("include", ids)

    def run_action(self, name: str, ids):
        """Resolve targets (selected rows or "all N matching"), confirm, then run inline or as a job."""
        if request.form.get("select_all") == "1":
            query = self.query_from_list_args(request.form.get("list_args", ""))
            if request.form.get("confirmed") != "1":
                return self.confirm_all(name, directory.count_exact(db.session, query))
            targets = directory.all_ids(query)
        else:
            targets = directory.resolve_ids(self.get_query(), ids)
        if not targets:
            flash("No persons selected (or none of them is on this list).", "warning")
            return None
        return perform(name, targets, redirect_to=get_redirect_target() or self.get_url(".index_view"))

    def query_from_list_args(self, list_args: str):
        """The filtered query of a list URL's query string (search + filters), for "all N matching"."""
        args = MultiDict(parse_qsl(list_args, keep_blank_values=False))
        filters = []
        for arg, value in args.items(multi=True):
            if not arg.startswith("flt") or "_" not in arg:
                continue
            pos, key = arg[3:].split("_", 1)
            if key in self._filter_args:
                idx, filt = self._filter_args[key]
                if filt.validate(value):
                    filters.append((pos, (idx, filt.name, value)))
        filters = [f[1] for f in sorted(filters, key=lambda f: f[0])]
        return self.filtered_query(args.get("search"), filters)

    def confirm_all(self, name: str, count: int):
        """The confirmation page for "all N matching this filter"."""
        label = dict((a[0], a[1]) for a in self.get_actions_list()[0]).get(name, name)
        return self.render(
            "admin/users/confirm_all.html",
            action_name=name,
            action_label=label,
            count=count,
            list_args=request.form.get("list_args", ""),
            return_url=get_redirect_target() or self.get_url(".index_view"),
            action_url=self.get_url(".action_view"),
            inline_limit=directory.BATCH_INLINE_LIMIT,
        )

    # --- small JSON endpoints ---

    @expose("/jobs/<uuid:run_id>.json")
    def job_status(self, run_id):
        """Progress of a background run started from these pages."""
        run = db.session.get(JobRun, run_id)
        if run is None or run.kind not in JOB_KINDS_SHOWN:
            abort(404)
        return jsonify(run.progress_payload())


def perform(name: str, targets: list, *, redirect_to: str):
    """Run one action for resolved person ids: enqueue the job, or call the service (job above the limit)."""
    user_id = current_user.id
    try:
        if name in JOB_ACTIONS:
            run = JOB_ACTIONS[name](targets, started_by=user_id)
            flash(f"{ACTION_LABELS[name]} queued for {len(targets):,} person(s).", "success")
            return redirect(_with_job(redirect_to, run.id))
        if len(targets) > directory.BATCH_INLINE_LIMIT:
            run = enqueue_batch(name, targets, started_by=user_id)
            flash(f"{ACTION_LABELS[name]}: {len(targets):,} persons, running in the background.", "info")
            return redirect(_with_job(redirect_to, run.id))
    except (JobAlreadyRunning, JobsUnavailable) as exc:
        flash(f"Nothing was started: {exc}", "error")
        return redirect(redirect_to)
    flash(f"{ACTION_LABELS[name]}: {_inline(name, targets):,} person(s) updated.", "success")
    return redirect(redirect_to)


ACTION_LABELS = {
    "add_p1": "Add to P1",
    "add_p2": "Add to P2",
    "exclude": "Exclude",
    "include": "Include",
    "scrape_profile": "Scrape Profile",
    "refresh_data": "Refresh Data",
}


# Actions that always run as a job (they drive the browser or the feed).
JOB_ACTIONS = {"scrape_profile": enqueue_profile_scrape, "refresh_data": enqueue_refresh}


def _inline(name: str, targets: list) -> int:
    if name in ("add_p1", "add_p2"):
        return priorities.set_priority(db.session, targets, 1 if name == "add_p1" else 2, requested_by=current_user.id)
    return directory.set_excluded(db.session, targets, name == "exclude", user=current_user)


def _with_job(url: str, run_id) -> str:
    """The return URL with ?job=<run id>, so the list shows that run's progress."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k != "job"] + [("job", str(run_id))]
    return parts._replace(query=urlencode(query)).geturl()


class DirectoryView(PersonListView):
    """Every person: All | Models | Viewers, search with "Add to Queue", priorities, edits, CSV."""

    tab = "directory"
    edit_permission = perms.MANAGE_USERS
    allow_edit = True
    column_list = [
        "username",
        "image",
        "age",
        "role",
        "tags",
        "priority",
        "num_followers",
        "rank",
        "interactions_count",
        "snapshots_count",
        "last_seen_at",
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
        try:
            thumb = thumbnails.get(db.session, uuid.UUID(person_id))
        except ValueError:
            thumb = None
        if thumb is None:
            abort(404)
        response = make_response(thumb.content)
        response.headers["Content-Type"] = thumb.content_type
        response.headers["Cache-Control"] = "private, max-age=31536000, immutable"
        response.set_etag(thumb.sha256)
        return response.make_conditional(request)

    @expose("/priority-status.json")
    def priority_status(self):
        """{person id: {priority, status, reason}} for the Priority cells still Queued/Processing."""
        ids = [i for i in request.args.get("ids", "").split(",") if i][:500]
        return jsonify(directory.priority_statuses(db.session, ids))

    @expose("/queue", methods=("POST",))
    def add_to_queue(self):
        """Search found nobody: create the person if unknown with a P2 lookup, and scrape the profile."""
        if not can(perms.MANAGE_PRIORITIES):
            abort(403)
        username = request.form.get("username", "")
        try:
            lookup = priorities.queue_username(db.session, username, requested_by=current_user.id)
        except ValueError:
            flash("Not a Chaturbate username (letters, digits and _ only).", "error")
            return redirect(self.get_url(".index_view"))
        name = lookup.person.username
        try:
            enqueue_profile_scrape([lookup.person_id], started_by=current_user.id)
            flash(f"{name} queued (P2).", "success")
        except (JobAlreadyRunning, JobsUnavailable) as exc:
            flash(f"{name} queued (P2); the profile scrape was not started: {exc}", "warning")
        return redirect(self.get_url(".index_view", search=f"={name}"))


class FollowingView(PersonListView):
    """Persons I follow."""

    tab = "following"
    has_role_toggle = False
    column_list = [
        "username",
        "image",
        "age",
        "role",
        "tags",
        "num_followers",
        "rank",
        "following_since",
        "last_seen_at",
    ]
    column_sortable_list = PersonListView.column_sortable_list + [("following_since", "profile.following_since")]
    sort_columns = {**PersonListView.sort_columns, "following_since": Profile.following_since}
    default_sort = ("following_since", True)

    @classmethod
    def make_filters(cls) -> list:
        return [flt.FilterAgeRange(), flt.FilterTag()]

    def sync_button(self):
        return _sync_button("following", "Update Following List")


class FollowersView(PersonListView):
    """Persons following me: All | Models | Viewers."""

    tab = "followers"
    column_list = ["username", "image", "age", "role", "tags", "follower_since", "last_seen_at"]
    column_sortable_list = PersonListView.column_sortable_list + [("follower_since", "profile.follower_since")]
    sort_columns = {**PersonListView.sort_columns, "follower_since": Profile.follower_since}
    default_sort = ("follower_since", True)

    def sync_button(self):
        return _sync_button("followers", "Update Followers List")


class UnfollowedView(PersonListView):
    """Former followers: window 7d | 30d | 90d | all, Days Followed, insights and unfollows per day."""

    tab = "unfollowed"
    has_role_toggle = False
    column_list = [
        "username",
        "image",
        "age",
        "role",
        "follower_since",
        "unfollower_at",
        "days_followed",
        "last_seen_at",
    ]
    column_labels = {**PersonListView.column_labels, "follower_since": "Followed On"}
    column_sortable_list = PersonListView.column_sortable_list + [
        ("follower_since", "profile.follower_since"),
        ("unfollower_at", "profile.unfollower_at"),
    ]
    sort_columns = {
        **PersonListView.sort_columns,
        "follower_since": Profile.follower_since,
        "unfollower_at": Profile.unfollower_at,
    }
    default_sort = ("unfollower_at", True)

    @classmethod
    def make_filters(cls) -> list:
        return [flt.FilterUnfollowedWithin(), flt.FilterAgeRange(), flt.FilterRole()]

    def active_window(self, filters) -> int | None:
        for idx, _name, value in filters or ():
            if isinstance(self._filters[idx], flt.FilterUnfollowedWithin):
                return flt.WINDOWS[value]
        return None

    def window_links(self, view_args) -> list[dict]:
        active = self.active_window(view_args.filters)
        out = []
        for days, label in ((7, "7d"), (30, "30d"), (90, "90d"), (None, "all")):
            url = self._with_filter(view_args, flt.FilterUnfollowedWithin, None if days is None else str(days))
            out.append({"label": label, "url": url, "active": days == active})
        return out

    def insights(self, view_args):
        """Insights for the chosen window (None: all of the history), and the chart's JSON URL."""
        window = self.active_window(view_args.filters)
        return {
            "data": insights.unfollow_insights(db.session, utcnow(), window),
            "window": window,
            "window_label": f"{window}d" if window else "all time",
            "chart_url": self.get_url(".per_day", window=window or "all"),
            "has_chart": True,
        }

    @expose("/per-day.json")
    def per_day(self):
        """Unfollows per day over the window, for the bar chart."""
        window = flt.WINDOWS.get(request.args.get("window", ""))  # anything else: all of the history
        points = insights.unfollows_per_day(db.session, utcnow(), window)
        return jsonify(points=[[d.isoformat() if isinstance(d, date) else str(d), int(n)] for d, n in points])


def _sync_button(direction: str, label: str):
    """The follow-list sync button, for users who may start jobs."""
    if not can(perms.MANAGE_JOBS):
        return None
    return {"url": url_for("follows.sync"), "label": label, "direction": direction}


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


TABS = (
    ("users_directory", "Directory"),
    ("users_following", "Following"),
    ("users_followers", "Followers"),
    ("users_unfollowed", "Unfollowed"),
)


def register(admin) -> None:
    """Add the Users nav group (and the hidden profile editor) to the admin."""
    for view_class, (endpoint, name) in zip(
        (DirectoryView, FollowingView, FollowersView, UnfollowedView), TABS, strict=True
    ):
        admin.add_view(view_class(name=name, endpoint=endpoint, url="/" + endpoint.replace("_", "/")))
    admin.add_view(ProfileEditView(name="Edit profile", endpoint="users_profile_edit", url="/users/profile-edit"))
