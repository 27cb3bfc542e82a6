"""The Profile page (nav "Profile"): look up a username, see one person's header, timeline and follower chart."""

from __future__ import annotations

from flask import abort, jsonify, redirect, request, url_for
from flask_admin import expose
from sqlalchemy import select

from mhc.admin.base import SecuredBaseView
from mhc.admin.users import PersonListView, days_followed, thumbnail_url
from mhc.auth import can
from mhc.auth import permissions as perms
from mhc.extensions import db
from mhc.models import PriorityLookup, Profile, utcnow
from mhc.services.users import directory


class ProfileView(SecuredBaseView):
    """Lookup with autocomplete, and one page per person."""

    permission = perms.VIEW_USERS

    @expose("/")
    def index(self):
        """The lookup form; a known username goes straight to its page."""
        query = (request.args.get("q") or "").strip()
        if query:
            person = directory.find_by_username(db.session, query)
            if person is not None:
                return redirect(url_for(".person", username=person.username))
        return self.render("admin/profile/lookup.html", query=query, can_queue=_can_queue())

    @expose("/autocomplete.json")
    def autocomplete(self):
        """Usernames for the lookup box."""
        return jsonify(directory.autocomplete(db.session, request.args.get("q", "")))

    @expose("/<username>")
    def person(self, username):
        """Header, follow state both ways, timeline, follower chart and row actions."""
        person = directory.find_by_username(db.session, username)
        if person is None:
            abort(404)
        profile = db.session.scalar(select(Profile).where(Profile.person_id == person.id))
        lookup = db.session.scalar(select(PriorityLookup).where(PriorityLookup.person_id == person.id))
        return self.render(
            "admin/profile/person.html",
            person=person,
            profile=profile,
            lookup=lookup,
            days_followed=days_followed(profile),
            image_url=thumbnail_url(person),
            timeline=directory.timeline(db.session, person),
            live_show=directory.live_show(db.session, person, utcnow()),
            row_actions=_row_actions(PersonListView),  # the Directory's actions
            can_edit=can(perms.MANAGE_USERS),
        )

    @expose("/<username>/followers.json")
    def followers_chart(self, username):
        """Follower count over time for the chart."""
        person = directory.find_by_username(db.session, username)
        if person is None:
            abort(404)
        points = directory.follower_history(db.session, person.id)
        return jsonify(points=[[at.isoformat(), n] for at, n in points])


def _can_queue() -> bool:
    return can(perms.MANAGE_PRIORITIES)


def _row_actions(view_class) -> list[tuple[str, str]]:
    shown = [("scrape_profile", "Scrape Profile"), ("add_p1", "Add to P1"), ("refresh_data", "Refresh Data")]
    return [(name, label) for name, label in shown if can(view_class.action_permissions[name])]


def register(admin) -> None:
    """Add the Profile page to the nav."""
    admin.add_view(ProfileView(name="Profile", endpoint="profile", url="/profile"))
