"""Two-factor login pages: your own account's (any logged-in user) and the admins' (required roles, resets)."""

from __future__ import annotations

import segno
from flask import current_app, flash, make_response, redirect, request, url_for
from flask_admin import expose
from flask_login import current_user
from markupsafe import Markup
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from mhc.admin.base import OwnAccountView, SecuredBaseView, SecureForm
from mhc.auth import permissions as perms
from mhc.extensions import db
from mhc.models import SystemRole
from mhc.services.access import two_factor


class CodeForm(SecureForm):
    """A current code from the authenticator app (confirms enrolment)."""

    code = StringField("Code from your app", validators=[DataRequired(), Length(max=64)])


class ProofForm(SecureForm):
    """A current code or the account's password (to regenerate recovery codes or turn two-factor login off)."""

    proof = PasswordField("Current code from your app, or your password", validators=[DataRequired(), Length(max=1024)])


def qr_svg(uri: str) -> Markup:
    """The otpauth URI as an inline SVG QR code, drawn here (segno): the secret never leaves the panel."""
    svg = segno.make(uri, error="m").svg_inline(scale=5, border=4, dark="#000", light="#fff")
    return Markup(svg)  # noqa: S704 (segno's markup: paths and numbers only; the URI is encoded in the modules)


class AccountTwoFactorView(OwnAccountView):
    """Your own two-factor login: set up with a QR code, confirm, recovery codes, turn off. Any logged-in user."""

    @expose("/")
    def index(self):
        return self._page()

    @expose("/setup", methods=["POST"])
    def setup(self):
        if SecureForm().validate_on_submit():
            self._call(two_factor.begin_enrolment, db.session, current_user._get_current_object())
        return redirect(url_for(".index"))

    @expose("/confirm", methods=["POST"])
    def confirm(self):
        form = CodeForm()
        user = current_user._get_current_object()
        codes = form.validate_on_submit() and self._call(two_factor.confirm_enrolment, db.session, user, form.code.data)
        if not codes:
            return redirect(url_for(".index"))
        flash("Two-factor login is on: every login now asks for a code.", "success")
        return self._page(recovery_codes=codes)

    @expose("/recovery-codes", methods=["POST"])
    def regenerate(self):
        form = ProofForm()
        user = current_user._get_current_object()
        codes = form.validate_on_submit() and self._call(
            two_factor.regenerate_recovery_codes, db.session, user, form.proof.data
        )
        if not codes:
            return redirect(url_for(".index"))
        flash("New recovery codes made; the old ones no longer work.", "success")
        return self._page(recovery_codes=codes)

    @expose("/disable", methods=["POST"])
    def disable(self):
        form = ProofForm()
        user = current_user._get_current_object()
        if form.validate_on_submit() and self._call(two_factor.disable, db.session, user, form.proof.data) is not False:
            flash("Two-factor login is off.", "success")
        return redirect(url_for(".index"))

    def _call(self, service, *args):
        try:
            return service(*args) or True
        except two_factor.TwoFactorError as exc:
            db.session.rollback()
            flash(str(exc), "error")
            return False

    def _page(self, recovery_codes: list[str] | None = None):
        """The page; a pending secret is shown as QR code and text, recovery codes only in this response."""
        user = current_user._get_current_object()
        secret = two_factor.pending_secret(db.session, user)
        uri = secret and two_factor.provisioning_uri(secret, user.username, current_app.config["TWO_FACTOR_ISSUER"])
        body = self.render(
            "admin/account/two_factor.html",
            status=two_factor.status(db.session, user),
            secret=secret,
            qr=qr_svg(uri) if uri else None,
            recovery_codes=recovery_codes,
            form=SecureForm(),
            code_form=CodeForm(formdata=None),
            proof_form=ProofForm(formdata=None),
        )
        response = make_response(body)
        response.headers["Cache-Control"] = "no-store"  # a secret or recovery codes may be on it
        return response


class TwoFactorAdminView(SecuredBaseView):
    """Which roles must use two-factor login, and who has it; reset a user's (a lost device)."""

    permission = edit_permission = perms.MANAGE_SYSTEM_USERS

    @expose("/", methods=["GET", "POST"])
    def index(self):
        form = SecureForm()
        if request.method == "POST":
            if form.validate_on_submit() and request.form.get("roles") == "1":
                wanted = set(request.form.getlist("require"))
                changed = two_factor.set_required_roles(db.session, wanted, actor_id=current_user.id)
                flash(f"Saved; {changed} role(s) changed.", "success")
            else:
                flash("The form was incomplete; nothing changed.", "error")
            return redirect(url_for(".index"))
        roles = db.session.query(SystemRole).order_by(SystemRole.name).all()
        users = two_factor.overview(db.session)
        return self.render("admin/system/two_factor.html", form=form, roles=roles, users=users)

    @expose("/reset/<uuid:user_id>", methods=["POST"])
    def reset(self, user_id):
        if SecureForm().validate_on_submit():
            try:
                had = two_factor.reset(db.session, user_id, actor_id=current_user.id)
                flash("Two-factor login reset." if had else "That user had no two-factor login.", "success")
            except two_factor.TwoFactorError as exc:
                flash(str(exc), "error")
        return redirect(url_for(".index"))


def register(admin) -> None:
    """Add the account page (hidden, linked from the user menu) and the admins' page."""
    admin.add_view(
        AccountTwoFactorView(name="Two-factor login", endpoint="account_two_factor", url="/account/two-factor")
    )
    admin.add_view(
        TwoFactorAdminView(
            name="Two-factor Login", endpoint="two_factor_admin", url="/system_two_factor", category="Admin"
        )
    )
