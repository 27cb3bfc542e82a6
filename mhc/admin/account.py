"""Your own account (any logged-in user, from the navbar's user menu): who you are, your password, your theme."""

from __future__ import annotations

from flask import current_app, flash, make_response, redirect, request, url_for
from flask_admin import expose
from flask_login import current_user
from wtforms import PasswordField, RadioField
from wtforms.validators import DataRequired, Length

from mhc.admin.base import OwnAccountView, SecureForm
from mhc.auth import current_session_token
from mhc.extensions import db
from mhc.services.access import login_throttle, own_password, preferences


class PasswordForm(SecureForm):
    """The current password, and the new one twice (the rules are the service's: one place)."""

    current = PasswordField("Current password", validators=[DataRequired(), Length(max=1024)])
    new = PasswordField("New password", validators=[DataRequired(), Length(max=1024)])
    repeated = PasswordField("New password again", validators=[DataRequired(), Length(max=1024)])


class ThemeForm(SecureForm):
    """Light, dark, or follow the device's setting (docs/operator.md#light-and-dark-theme)."""

    theme = RadioField("Theme", choices=list(preferences.THEMES.items()))


class AccountView(OwnAccountView):
    """Your account page. Every logged-in user may use it, for their own account only."""

    @expose("/")
    def index(self):
        return self._page(PasswordForm(formdata=None))

    @expose("/password", methods=["POST"])
    def password(self):
        form = PasswordForm()
        if not form.validate_on_submit():
            flash("Fill in all three fields; nothing changed.", "error")
            return self._page(PasswordForm(formdata=None), 400)
        outcome = own_password.change_own_password(
            db.session,
            current_user.id,
            form.current.data,
            form.new.data,
            form.repeated.data,
            keep_token=current_session_token(),
            remote_addr=request.remote_addr,
            throttle=login_throttle.ThrottleRules.from_config(current_app.config),
        )
        if not outcome.changed:
            flash(outcome.error, "error")
            response = self._page(PasswordForm(formdata=None), 429 if outcome.retry_after else 400)
            if outcome.retry_after:
                response.headers["Retry-After"] = str(outcome.retry_after)
            return response
        ended = outcome.sessions_ended
        others = f"; {ended} other session{'s' if ended != 1 else ''} logged out" if ended else ""
        flash(f"Your password is changed{others}.", "success")
        return redirect(url_for(".index"))

    @expose("/theme", methods=["POST"])
    def theme(self):
        form = ThemeForm()
        if not form.validate_on_submit():
            flash("Choose light, dark or your device's setting; nothing changed.", "error")
            return self._page(PasswordForm(formdata=None), 400)
        if preferences.set_theme(db.session, current_user.id, form.theme.data, remote_addr=request.remote_addr):
            flash(f"Theme saved: {preferences.THEMES[form.theme.data]}.", "success")
        return redirect(url_for(".index"))

    def _page(self, form: PasswordForm, status: int = 200):
        theme_form = ThemeForm(formdata=None, theme=preferences.theme_of(current_user))
        page = self.render("admin/account/index.html", form=form, theme_form=theme_form, user=current_user)
        response = make_response(page, status)
        response.headers["Cache-Control"] = "no-store"
        return response


def register(admin) -> None:
    """Add the account page (hidden; the user menu links it)."""
    admin.add_view(AccountView(name="Account", endpoint="account", url="/account"))
