"""Home: what needs the owner's attention, each item a link to where it is dealt with."""

from __future__ import annotations

from flask import current_app
from flask_admin import expose
from flask_login import current_user

from mhc.admin.base import PanelIndexView
from mhc.auth import can
from mhc.auth import permissions as perms
from mhc.extensions import db
from mhc.models import utcnow
from mhc.services.owner import attention


class HomeView(PanelIndexView):
    """Index: the "Needs attention" panel; reached from the brand, so not a nav item of its own."""

    def is_visible(self) -> bool:
        return False

    @expose("/")
    def index(self):
        access = attention.Access(
            jobs=can(perms.MANAGE_JOBS),
            alerts=can(perms.MANAGE_ALERTS),
            users=can(perms.VIEW_USERS),
            stats=can(perms.VIEW_STATS),
        )
        settings = attention.AttentionSettings.from_config(current_app.config)
        found = attention.needs_attention(db.session, current_user.id, settings, utcnow(), access)
        return self.render("admin/home.html", attention=found, access=access)
