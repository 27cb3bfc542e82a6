"""The Flask-Admin panel, built inside init_admin so every create_app() gets its own."""

from __future__ import annotations

from flask import Flask
from flask_admin import Admin, expose
from flask_admin.theme import Bootstrap4Theme

from mhc.admin import events, follows, hudson, jobs, profile, system, users
from mhc.admin.base import PanelIndexView
from mhc.extensions import db
from mhc.services import stats
from mhc.web_security import csp_nonce


class HomeView(PanelIndexView):
    """Index: real counts of what the panel holds."""

    @expose("/")
    def index(self):
        return self.render("admin/home.html", counts=stats.dashboard_counts(db.session))


def init_admin(app: Flask) -> Admin:
    """Create the Admin and register every view group."""
    admin = Admin(
        app,
        name="MHC Control Panel",
        url="/",
        index_view=HomeView(name="Home", url="/", endpoint="admin", menu_icon_type=None),
        # Fluid: the Users tables have twelve columns and must use the whole window, not a 1140 px box.
        theme=Bootstrap4Theme(base_template="admin/panel_base.html", swatch="default", fluid=True),
        csp_nonce_generator=csp_nonce,  # Flask-Admin's <script> tags carry this response's nonce
    )
    for register in _view_groups():
        register(admin)
    app.extensions["mhc_admin"] = admin
    return admin


def _view_groups():
    """Each nav group module exposes register(admin)."""
    return [
        users.register,
        profile.register,
        system.register,
        jobs.register,
        follows.register,
        hudson.register,
        events.register,
    ]
