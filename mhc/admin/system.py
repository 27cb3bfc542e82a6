"""Admin section: system users, the roles x permissions grid, and the audit log."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_admin import expose
from flask_admin.actions import action
from flask_login import current_user
from wtforms import BooleanField, PasswordField, StringField
from wtforms.validators import DataRequired, Length, Optional

from mhc.admin import audit_log, two_factor
from mhc.admin.base import SecuredBaseView, SecuredModelView, SecureForm
from mhc.auth import current_session_token
from mhc.auth import permissions as perms
from mhc.extensions import db
from mhc.models import SystemPermission, SystemRole, SystemUser
from mhc.services.access import accounts, login_sessions

CATEGORY = "Admin"


def _role_choices():
    return db.session.query(SystemRole).order_by(SystemRole.name)


def _default_role():
    """The role a new system user's form starts with: the least-privileged one."""
    return db.session.query(SystemRole).filter_by(name=accounts.DEFAULT_ROLE).first()


class SystemUserView(SecuredModelView):
    """People who log into the panel; the password is write-only and the hash never leaves the database."""

    permission = edit_permission = perms.MANAGE_SYSTEM_USERS
    edit_template = "admin/audit/system_user_edit.html"  # the form, with a link to the user's history
    action_permissions = {
        "deactivate": perms.MANAGE_SYSTEM_USERS,
        "activate": perms.MANAGE_SYSTEM_USERS,
        "logout_everywhere": perms.MANAGE_SYSTEM_USERS,
    }
    allow_create = allow_edit = True
    export_types: list = []
    column_list = ["username", "email", "role", "is_active", "last_login_at", "created_at"]
    column_labels = {"is_active": "Active", "last_login_at": "Last login"}
    column_searchable_list = ["username", "email"]
    column_filters = ["role.name", "is_active"]
    column_default_sort = "username"
    form_columns = ["username", "email", "role", "is_active", "new_password"]
    form_args = {
        "role": {
            "query_factory": _role_choices,
            "default": _default_role,
            "validators": [DataRequired()],
            "allow_blank": False,
        }
    }
    form_extra_fields = {
        "new_password": PasswordField(
            "New password", validators=[Optional(), Length(min=accounts.MIN_PASSWORD_LENGTH, max=1024)]
        )
    }
    form_overrides = {"username": StringField, "email": StringField, "is_active": BooleanField}
    form_widget_args = {"new_password": {"autocomplete": "new-password"}}

    def scaffold_form(self):
        # The username and email rules live in mhc.services.access.accounts; their refusals are flashed.
        form = super().scaffold_form()
        form.username.kwargs["validators"] = [DataRequired(), Length(max=150)]
        form.role.kwargs["allow_blank"] = False
        form.email.kwargs["validators"] = [DataRequired(), Length(max=254)]
        return form

    def create_model(self, form):
        if not form.new_password.data:
            flash("A new user needs a password.", "error")
            return False
        return self._call(
            accounts.create_user,
            db.session,
            form.username.data,
            form.email.data,
            form.new_password.data,
            form.role.data.name,
            actor_id=current_user.id,
        )

    def update_model(self, form, model):
        fields = {"username": form.username.data, "email": form.email.data, "role_name": form.role.data.name}
        fields.update(is_active=form.is_active.data, new_password=form.new_password.data or None)
        fields.update(keep_session=current_session_token())  # only ever keeps the editor's own session
        return bool(self._call(accounts.update_user, db.session, model.id, actor_id=current_user.id, **fields))

    def _call(self, service, *args, **kwargs):
        try:
            return service(*args, **kwargs)
        except accounts.AccountError as exc:
            db.session.rollback()
            flash(str(exc), "error")
            return False

    @action("deactivate", "Deactivate", "Deactivate the selected system users?")
    def action_deactivate(self, ids):
        count = self._call(accounts.set_active, db.session, self.parse_ids(ids), False, actor_id=current_user.id)
        if count is not False:
            flash(f"Deactivated {count} system user(s).", "success")

    @action("activate", "Activate", "Activate the selected system users?")
    def action_activate(self, ids):
        count = self._call(accounts.set_active, db.session, self.parse_ids(ids), True, actor_id=current_user.id)
        if count is not False:
            flash(f"Activated {count} system user(s).", "success")

    @action("logout_everywhere", "Log out everywhere", "End every session of the selected system users?")
    def action_logout_everywhere(self, ids):
        count = login_sessions.end_everywhere(
            db.session, self.parse_ids(ids), actor_id=current_user.id, remote_addr=request.remote_addr
        )
        flash(f"Logged out {count} system user(s) everywhere.", "success")


class RoleGrantsView(SecuredBaseView):
    """A checkbox grid of roles x permissions; saving sets every role's grants at once."""

    permission = edit_permission = perms.MANAGE_SYSTEM_USERS

    @expose("/", methods=["GET", "POST"])
    def index(self):
        form = SecureForm()
        if request.method == "POST":
            if form.validate_on_submit() and request.form.get("grid") == "1":
                self._save(_posted_grants())
            else:
                flash("The form was incomplete; nothing changed.", "error")
            return redirect(url_for(".index"))
        roles = db.session.query(SystemRole).order_by(SystemRole.name).all()
        permissions = db.session.query(SystemPermission).order_by(SystemPermission.name).all()
        return self.render(
            "admin/system/roles.html",
            form=form,
            roles=roles,
            permissions=permissions,
            grants=accounts.grants(db.session),
        )

    def _save(self, wanted: dict[str, set[str]]) -> None:
        try:
            changed = accounts.set_grants(db.session, wanted, actor_id=current_user.id)
        except accounts.AccountError as exc:
            flash(str(exc), "error")
            return
        flash(f"Saved; {changed} role(s) changed.", "success")


def _posted_grants() -> dict[str, set[str]]:
    """{role: {permission}} from the grid: every listed role, and the boxes ticked as "role:permission"."""
    wanted: dict[str, set[str]] = {name: set() for name in request.form.getlist("role")}
    for pair in request.form.getlist("grant"):
        role, _, permission = pair.partition(":")
        if role in wanted:
            wanted[role].add(permission)
    return wanted


def register(admin) -> None:
    """Add the Admin nav entries."""
    admin.add_view(SystemUserView(SystemUser, db, name="System Users", endpoint="system_users", category=CATEGORY))
    admin.add_view(RoleGrantsView(name="Roles & Permissions", endpoint="system_roles", category=CATEGORY))
    audit_log.register(admin, CATEGORY)
    two_factor.register(admin)
