"""The Profile page (nav "Profile"): look up a username, see one person's header, timeline and follower chart."""

from __future__ import annotations

from flask import abort, jsonify, redirect, request, url_for
from flask_admin import expose

from mhc.admin.audit_log import history_url
from mhc.admin.base import SecuredBaseView
from mhc.admin.users import actions
from mhc.admin.users.formatters import thumbnail_url
from mhc.auth import can
from mhc.auth import permissions as perms
from mhc.extensions import db
from mhc.models import utcnow
from mhc.services.users import lookup, timeline


class ProfileView(SecuredBaseView):
    """Lookup with autocomplete, and one page per person."""

    permission = perms.VIEW_USERS

    @expose("/")
    def index(self):
        """The lookup form; a known username goes straight to its page."""
        query = (request.args.get("q") or "").strip()
        if query:
            person = lookup.find_by_username(db.session, query)
            if person is not None:
                return redirect(url_for(".person", username=person.username))
        return self.render("admin/profile/lookup.html", query=query, can_queue=_can_queue())

    @expose("/autocomplete.json")
    def autocomplete(self):
        """Usernames for the lookup box."""
        return jsonify(lookup.autocomplete(db.session, request.args.get("q", "")))

    @expose("/<username>")
    def person(self, username):
        """Header, follow state both ways, timeline, follower chart and row actions."""
        person = lookup.find_by_username(db.session, username)
        if person is None:
            abort(404)
        header = timeline.profile_header(db.session, person, utcnow())
        return self.render(
            "admin/profile/person.html",
            person=person,
            profile=header.profile,
            lookup=header.lookup,
            days_followed=header.days_followed,
            image_url=thumbnail_url(person),
            timeline=timeline.timeline(db.session, person),
            live_show=header.live_show,
            row_actions=actions.buttons(lambda name: can(actions.PERMISSIONS[name])),
            can_edit=can(perms.MANAGE_USERS),
            history=history_url("persons", person.id) if can(perms.VIEW_AUDIT_LOG) else None,
        )

    @expose("/<username>/followers.json")
    def followers_chart(self, username):
        """Follower count over time for the chart."""
        person = lookup.find_by_username(db.session, username)
        if person is None:
            abort(404)
        points = timeline.follower_history(db.session, person.id)
        return jsonify(points=[[at.isoformat(), n] for at, n in points])


def _can_queue() -> bool:
    return can(perms.MANAGE_PRIORITIES)


def register(admin) -> None:
    """Add the Profile page to the nav."""
    admin.add_view(ProfileView(name="Profile", endpoint="profile", url="/profile"))
