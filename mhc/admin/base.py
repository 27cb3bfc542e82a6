"""Base classes every panel view derives from: permissions are declared, and enforced here only."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import sqlalchemy as sa
from flask import abort, redirect, request, url_for
from flask_admin import AdminIndexView, BaseView
from flask_admin.contrib.sqla import ModelView
from flask_admin.form import BaseForm
from flask_admin.model import typefmt
from flask_login import current_user
from flask_wtf import FlaskForm
from markupsafe import Markup

from mhc.auth import can
from mhc.auth import permissions as perms
from mhc.extensions import db
from mhc.input_guard import bounded_int, clamp
from mhc.models import parse_uuid, parse_uuids
from mhc.services import audit

# Views that change data, by Flask-Admin's endpoint names.
WRITE_VIEWS = {"create_view", "edit_view", "delete_view", "ajax_update"}
# The one underscore name used here: Flask-Admin has no public per-request hook that sees the endpoint name,
# and `_handle_view` is the method its access-control documentation tells subclasses to override.


class SecureForm(FlaskForm):
    """FlaskForm-based base for every ModelView form, so CSRFProtect covers them and their actions."""

    class Meta(FlaskForm.Meta):
        pass


class PermissionMixin:
    """Declare `permission` (to read) and `edit_permission` (to change); checked on every request."""

    permission: str = perms.VIEW_USERS
    edit_permission: str | None = None

    def is_accessible(self) -> bool:
        return current_user.is_authenticated and can(self.permission)

    def inaccessible_callback(self, name, **kwargs):
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        abort(403)

    def can_write(self) -> bool:
        """True when the current user holds this view's edit permission."""
        return bool(self.edit_permission) and can(self.edit_permission)


class SecuredBaseView(PermissionMixin, BaseView):
    """A custom (non-model) panel page: reading needs `permission`, every POST needs `edit_permission`
    (when set), so a custom page's form cannot be posted by someone who may only look at it."""

    def _handle_view(self, name, **kwargs):
        denied = super()._handle_view(name, **kwargs)
        if denied is not None:
            return denied
        if request.method == "POST" and self.edit_permission and not self.can_write():
            abort(403)
        return None


class OwnAccountView(SecuredBaseView):
    """A page about the signed-in user's own account (password, two-factor login): any logged-in user may
    use it, for their own account only; reached from the user menu, not the navigation."""

    def is_accessible(self) -> bool:
        return current_user.is_authenticated

    def is_visible(self) -> bool:
        return False


def time_tag(value: datetime | None, *, seconds: bool = False) -> Markup | str:
    """A UTC timestamp as people read it ("2026-11-25 19:06"), the exact ISO value in its <time> tag (shown in
    the browser's local time by panel.js, the UTC time on hover)."""
    if value is None:
        return ""
    if value.tzinfo is not None:
        value = value.astimezone(UTC)
    shown = value.strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")
    # data-local: panel.js shows it in the browser's local time; the title keeps the UTC time.
    extra = Markup(" data-seconds") if seconds else Markup("")
    return Markup('<time datetime="{}" title="{} UTC" data-local{}>{}</time>').format(
        value.isoformat(), shown, extra, shown
    )


# Lists show datetimes to the second, in UTC, instead of str() with microseconds and "+00:00";
# CSV exports keep the full ISO value (Flask-Admin's export formatters).
LIST_TYPE_FORMATTERS = {
    **typefmt.BASE_FORMATTERS,
    datetime: lambda view, value, name: time_tag(value, seconds=True),
}


# A spreadsheet runs a cell that starts with one of these as a formula (=HYPERLINK(...) in a scraped or
# typed username would run on the owner's machine); a leading apostrophe makes it text.
CSV_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value):
    """The value as a spreadsheet shows it literally: text starting like a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(CSV_FORMULA_STARTS):
        return "'" + value
    return value


class SecuredModelView(PermissionMixin, ModelView):
    """A model list whose create/edit/delete/actions/export are each gated by a named permission."""

    form_base_class = SecureForm
    column_type_formatters = LIST_TYPE_FORMATTERS
    page_size = 50
    can_set_page_size = True
    can_view_details = False
    # Each action declares the permission it needs: {"action_name": perms.X}.
    action_permissions: dict[str, str] = {}
    export_permission: str = perms.VIEW_STATS
    allow_create = allow_edit = allow_delete = False

    @property
    def can_create(self):
        return self.allow_create and self.can_write()

    @property
    def can_edit(self):
        return self.allow_edit and self.can_write()

    @property
    def can_delete(self):
        return self.allow_delete and self.can_write()

    @property
    def can_export(self):
        return bool(self.export_types) and can(self.export_permission)

    def _handle_view(self, name, **kwargs):
        denied = super()._handle_view(name, **kwargs)
        if denied is not None:
            return denied
        if name in WRITE_VIEWS and not self.can_write():
            abort(403)
        if name == "export" and not self.can_export:
            abort(403)
        return None

    def is_action_allowed(self, name: str) -> bool:
        # Flask-Admin's built-in batch "delete" needs the edit permission unless declared otherwise.
        needed = self.action_permissions.get(name) or (self.edit_permission if name == "delete" else None)
        return bool(needed) and can(needed) and super().is_action_allowed(name)

    def handle_action(self, return_view=None):
        # Flask-Admin silently redirects on a forbidden action; we refuse it with 403.
        if request.method == "POST" and not self.is_action_allowed(request.form.get("action", "")):
            abort(403)
        return super().handle_action(return_view)

    def get_pk_value(self, model):
        return str(super().get_pk_value(model))

    def get_export_value(self, model, name):
        return csv_safe(super().get_export_value(model, name))

    def get_one(self, id):
        # Ids arrive as strings: parse them for the key's type, so one that cannot be a key (not a UUID, not a
        # number, past the column's range) finds nothing instead of failing in the database.
        key = parse_pk(sa.inspect(self.model).primary_key[0], id)
        return db.session.get(self.model, key) if key is not None else None

    def get_list(self, page, sort_column, sort_desc, search, filters, execute=True, page_size=None):
        return super().get_list(clamp_page(page), sort_column, sort_desc, search, filters, execute, page_size)

    # --- audit: every create/update/delete through a panel form, in the same commit ---

    def on_model_change(self, form, model, is_created):
        super().on_model_change(form, model, is_created)
        if is_created:
            db.session.flush()  # assigns the id the audit row refers to
        old, new = _column_changes(model, is_created)
        self._audit("create" if is_created else "update", model, audit.diff(old, new))

    def on_model_delete(self, model):
        super().on_model_delete(model)
        old = {attr.key: getattr(model, attr.key) for attr in sa.inspect(model).mapper.column_attrs}
        self._audit("delete", model, audit.diff(old, {}))

    def _audit(self, action: str, model, changes: dict) -> None:
        if action == "update" and not changes:
            return
        audit.record(
            db.session,
            action=action,
            object_type=model.__tablename__,
            object_id=self.get_pk_value(model),
            object_label=audit.label_of(model),
            actor_id=current_user.id if current_user.is_authenticated else None,
            changes=changes,
            remote_addr=request.remote_addr,
        )

    @staticmethod
    def parse_ids(ids) -> list:
        """Row ids arrive as strings; keep the ones that are UUIDs (others cannot be ours)."""
        return parse_uuids(ids)


# The last page a list can be asked for: 1,000,000 x 200 rows is beyond any list the panel holds.
MAX_PAGE = 1_000_000


def clamp_page(page) -> int:
    """A list page number from the URL within [0, MAX_PAGE], so OFFSET never overflows in the database: a
    negative or unreadable one shows the first page, a huge one an (empty) far page."""
    return clamp(bounded_int(page), 0, MAX_PAGE)


def uuid_or_404(value: str) -> uuid.UUID:
    """An id from the URL as a UUID; Not Found when it cannot be one (so it cannot name a row either)."""
    try:
        return parse_uuid(value)
    except ValueError:
        abort(404)


INT_RANGES = ((sa.SmallInteger, 15), (sa.BigInteger, 63), (sa.Integer, 31))


def parse_pk(column, raw):
    """A primary key value from its string form, or None when it cannot be one (bad syntax, out of range)."""
    if isinstance(column.type, sa.Uuid):
        try:
            return parse_uuid(raw)
        except ValueError:
            return None
    for kind, bits in INT_RANGES:
        if isinstance(column.type, kind):
            return bounded_int(raw, -(2**bits), 2**bits - 1)
    return raw if isinstance(raw, str) and len(raw) <= 255 else None


def _column_changes(model, is_created: bool) -> tuple[dict, dict]:
    """(old, new) values of the columns and many-to-one links this flush will change."""
    state = sa.inspect(model)
    old, new = {}, {}
    for attr in state.mapper.attrs:
        if isinstance(attr, sa.orm.RelationshipProperty) and attr.uselist:
            continue
        history = state.attrs[attr.key].history
        if is_created:
            value = getattr(model, attr.key)
            if value is not None:
                new[attr.key] = _plain(value)
        elif history.added or history.deleted:
            old[attr.key] = _plain(history.deleted[0]) if history.deleted else None
            new[attr.key] = _plain(history.added[0]) if history.added else None
    return old, new


def _plain(value):
    """Related rows are recorded by their display name."""
    return str(value) if hasattr(value, "__table__") else value


class PanelIndexView(AdminIndexView):
    """The landing page: any logged-in user may see it."""

    def is_accessible(self) -> bool:
        return current_user.is_authenticated

    def inaccessible_callback(self, name, **kwargs):
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


__all__ = ["BaseForm", "PanelIndexView", "SecureForm", "SecuredBaseView", "SecuredModelView"]
