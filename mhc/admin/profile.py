"""The Profile page (nav "Profile"): look up a username, see one person's header, timeline and follower chart."""

from __future__ import annotations

from flask import abort, current_app, flash, jsonify, redirect, request, url_for
from flask_admin import expose
from flask_login import current_user

from mhc.admin import follow_periods, words
from mhc.admin.audit_log import history_url
from mhc.admin.base import SecuredBaseView
from mhc.admin.users import actions
from mhc.admin.users.formatters import thumbnail_url
from mhc.auth import can
from mhc.auth import permissions as perms
from mhc.extensions import db
from mhc.models import utcnow
from mhc.models.notes import NOTE_MAX
from mhc.services import failures
from mhc.services.follows import periods
from mhc.services.users import lookup, lookup_state, notes, timeline


class ProfileView(SecuredBaseView):
    """Lookup with autocomplete, and one page per person."""

    permission = perms.VIEW_USERS
    edit_permission = perms.MANAGE_USERS  # every POST: staff notes

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
        now = utcnow()
        header = timeline.profile_header(db.session, person, now)
        failure = lookup_state.explain_lookup(header.lookup, current_app.config)
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
            lookup_failure=failure,
            lookup_failure_url=_failure_url(failure),
            periods=_periods(person, header.profile, now),
            notes=notes.notes_of(db.session, person.id),
            can_note=self.can_write(),
            note_max=NOTE_MAX,
        )

    @expose("/<username>/notes", methods=("POST",))
    def add_note(self, username):
        """Add a staff note on this person."""
        person = lookup.find_by_username(db.session, username)
        if person is None:
            abort(404)
        result = notes.add_note(
            db.session, person.id, request.form.get("body"), actor_id=current_user.id, remote_addr=request.remote_addr
        )
        flash(result.message, "success" if result.ok else "error")
        return redirect(url_for(".person", username=person.username, _anchor="staff-notes"))

    @expose("/notes/<int:note_id>/edit", methods=("POST",))
    def edit_note(self, note_id):
        """Replace a note's text."""
        result = notes.edit_note(
            db.session, note_id, request.form.get("body"), actor_id=current_user.id, remote_addr=request.remote_addr
        )
        return self._after_note(result, request.form.get("username"))

    @expose("/notes/<int:note_id>/delete", methods=("POST",))
    def delete_note(self, note_id):
        """Delete a note."""
        result = notes.delete_note(db.session, note_id, actor_id=current_user.id, remote_addr=request.remote_addr)
        return self._after_note(result, request.form.get("username"))

    def _after_note(self, result, username):
        flash(result.message, "success" if result.ok else "error")
        person = lookup.find_by_username(db.session, username or "") if username else None
        if person is None:
            return redirect(url_for(".index"))
        return redirect(url_for(".person", username=person.username, _anchor="staff-notes"))

    @expose("/<username>/followers.json")
    def followers_chart(self, username):
        """Follower count over time for the chart."""
        person = lookup.find_by_username(db.session, username)
        if person is None:
            abort(404)
        points = timeline.follower_history(db.session, person.id)
        return jsonify(points=[[at.isoformat(), n] for at, n in points])


def _periods(person, profile, now) -> list:
    """Both directions' follow periods (one query), the profile's current state filling in a follow older
    than the history."""
    found = periods.periods_for(db.session, [person.id])
    out = []
    for direction, flag, since in (
        ("following", "following", "following_since"),
        ("follower", "follower", "follower_since"),
    ):
        listed = found.get((person.id, direction), [])
        if profile is not None:
            listed = periods.with_current_state(listed, bool(getattr(profile, flag)), getattr(profile, since))
        out.append(follow_periods.shown(direction, listed, now))
    return out


def _failure_url(failure):
    """Where the next step is done; a lookup keeps no run, so "Details" is the Jobs page (for who may see it)."""
    if failure is None:
        return None
    if failure.link == failures.DETAILS:
        return url_for("jobs.index") if can(perms.MANAGE_JOBS) else None
    return words.failure_url(failure, None)


def _can_queue() -> bool:
    return can(perms.MANAGE_PRIORITIES)


def register(admin) -> None:
    """Add the Profile page to the nav."""
    admin.add_view(ProfileView(name="Profile", endpoint="profile", url="/profile"))
