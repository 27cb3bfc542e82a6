"""Events: the stored Events API feed (tabs, filters, keyset pages, live refresh) and Admin → Events API.

Reading events needs view_users (they are about platform users, like the People pages); pasting
tokens needs manage_jobs (the listener is a background job), and so does the Feed quarantine page
(what the feeds sent that could not be stored: operating the feeds, raw private messages included).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from flask import current_app, flash, jsonify, redirect, request, url_for
from flask_admin import expose
from flask_login import current_user
from wtforms import PasswordField
from wtforms.validators import Length, Optional

from mhc.admin import words
from mhc.admin.base import SecuredBaseView, SecureForm
from mhc.auth import permissions as perms
from mhc.extensions import db
from mhc.services.sources import events_cursor, events_feed, quarantine


def _date(raw: str | None, *, end: bool = False) -> datetime | None:
    """A YYYY-MM-DD day as a UTC bound; None (no bound) when it is not a date."""
    try:
        day = datetime.strptime((raw or "").strip(), "%Y-%m-%d").date()
    except ValueError:
        return None
    if end and day == date.max:
        return None  # until the last day there is: no upper bound (the next midnight does not exist)
    # `until` is inclusive of its whole day: the range ends at the next midnight.
    return datetime.combine(day, time.min, tzinfo=UTC) + timedelta(days=1 if end else 0)


def _filters() -> events_feed.EventFilters:
    args = request.args
    tab = args.get("tab", "all")
    return events_feed.EventFilters(
        tab=tab if tab in events_feed.TABS else "all",
        person=(args.get("person") or "").strip() or None,
        room=(args.get("room") or "").strip() or None,
        since=_date(args.get("since")),
        until=_date(args.get("until"), end=True),
    )


class EventsView(SecuredBaseView):
    """Recent events first; tabs with counts; refreshes itself from feed.json while open."""

    permission = perms.VIEW_USERS

    @expose("/")
    def index(self):
        """The feed page: one keyset page of events with the tab counts."""
        filters = _filters()
        page = events_feed.page(db.session, filters, before=request.args.get("before"))
        return self.render(
            "admin/events/index.html",
            page=page,
            filters=filters,
            tabs=events_feed.TABS,
            counts=events_feed.tab_counts(db.session, filters),
            first_page=not request.args.get("before"),
            refresh_seconds=current_app.config["EVENTS_PAGE_REFRESH_SECONDS"],
        )

    @expose("/feed.json")
    def feed(self):
        """JSON for the live refresh: rows newer than `after` and the tab counts."""
        filters = _filters()
        counts = events_feed.tab_counts(db.session, filters)
        rows = [
            {**row, "type_label": words.event_name(row["type"])}
            for row in events_feed.newer(db.session, filters, request.args.get("after"))
        ]
        return jsonify({"rows": rows, "counts": {k: str(c) for k, c in counts.items()}})


class TokenForm(SecureForm):
    """Paste tokens; blank fields keep the stored value. Values are never rendered back."""

    events_token = PasswordField("Events API token", validators=[Optional(), Length(min=8, max=200)])
    stats_token = PasswordField("Stats API token (optional)", validators=[Optional(), Length(min=8, max=200)])


class EventsApiView(SecuredBaseView):
    """Admin → Events API: token status, listener status, paste a new token."""

    permission = edit_permission = perms.MANAGE_JOBS

    @expose("/", methods=["GET", "POST"])
    def index(self):
        """Show the token and listener status; store pasted tokens."""
        form = TokenForm()
        if form.validate_on_submit():
            changed = events_cursor.save_tokens(
                db.session, form.events_token.data, form.stats_token.data, actor_id=current_user.id
            )
            flash("Saved: " + ", ".join(changed) if changed else "Nothing to save: both fields were blank.", "success")
            return redirect(url_for(".index"))
        return self.render(
            "admin/events/settings.html",
            form=form,
            status=events_cursor.listener_status(db.session),
            quarantined=quarantine.counts(db.session),
        )


class FeedQuarantineView(SecuredBaseView):
    """Admin → Feed quarantine: events and rooms set aside, most recently seen first, with the reason."""

    permission = perms.MANAGE_JOBS

    @expose("/")
    def index(self):
        """One page of quarantined items, optionally of one source."""
        source = request.args.get("source")
        source = source if source in quarantine.SOURCES else None
        page = quarantine.page(db.session, source, before=request.args.get("before"))
        return self.render(
            "admin/events/quarantine.html", page=page, source=source, counts=quarantine.counts(db.session)
        )


def register(admin) -> None:
    """Add Events (top level)."""
    admin.add_view(EventsView(name="Events", endpoint="events", url="events"))


def register_admin(admin) -> None:
    """Add Admin → Events API and Admin → Feed quarantine."""
    admin.add_view(EventsApiView(name="Events API", endpoint="events_api", url="events-api", category="Admin"))
    admin.add_view(
        FeedQuarantineView(name="Feed quarantine", endpoint="feed_quarantine", url="feed-quarantine", category="Admin")
    )
