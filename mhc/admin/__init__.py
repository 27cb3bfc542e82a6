"""The Flask-Admin panel, built inside init_admin so every create_app() gets its own."""

from __future__ import annotations

from flask import Flask
from flask_admin import Admin
from flask_admin.theme import Bootstrap4Theme

from mhc.admin import account, alerts, events, follows, hudson, jobs, links, profile, system, theme_css, users, words
from mhc.admin.home import HomeView
from mhc.web_security import csp_nonce


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
    words.init_words(app)
    links.init_links(app)
    theme_css.init_theme_css(app)
    return admin


def _view_groups():
    """Each nav group module exposes register(admin); the nav reads in this order: Users | Profile | Hudson |
    Events | Admin (Admin's entries in the order below)."""
    return [
        users.register,
        profile.register,
        hudson.register,
        events.register,
        system.register,
        jobs.register,
        follows.register,
        events.register_admin,
        alerts.register,
        account.register,
    ]
