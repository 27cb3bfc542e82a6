"""The owner's own page (nav label = OWNER_DISPLAY_NAME, default "Hudson"): followers, growth,
broadcasts, sessions, top tippers, follow syncs, and where followers come from (per-broadcast numbers,
a weekday x hour heatmap, retention cohorts). Charts load from the JSON endpoints below.
Viewing it only reads; the sync buttons post to the Follows page (manage_jobs)."""

from __future__ import annotations

from flask import current_app, jsonify, url_for
from flask_admin import expose
from werkzeug.routing import BuildError

from mhc.admin.base import SecuredBaseView
from mhc.auth import can
from mhc.auth import permissions as perms
from mhc.extensions import db
from mhc.models import utcnow
from mhc.services.owner import analytics, dashboard

# The follow-sync trigger lives on the Follows page (mhc/admin/follows.py).
SYNC_ENDPOINT = "follows.sync"


def _sync_url(direction: str) -> str | None:
    if not can(perms.MANAGE_JOBS):
        return None
    try:
        return url_for(SYNC_ENDPOINT)
    except BuildError:
        return None


class HudsonView(SecuredBaseView):
    """Owner dashboard; every number is read from the database as of now."""

    permission = perms.VIEW_STATS

    @expose("/")
    def index(self):
        owner = current_app.config["OWNER_USERNAME"]
        now, zone = utcnow(), current_app.config["OWNER_TIMEZONE"]
        board = dashboard.build(db.session, owner, now)
        origins = analytics.build(db.session, owner, zone, now)
        syncs = {d: _sync_url(d) for d in ("following", "follower")}
        return self.render("admin/hudson/index.html", board=board, origins=origins, owner=owner, sync_urls=syncs)

    @expose("/followers.json")
    def followers(self):
        return jsonify({"points": dashboard.followers_series(db.session)})

    @expose("/net-follows.json")
    def net_follows(self):
        return jsonify({"points": dashboard.net_follows_per_day(db.session, utcnow())})

    @expose("/session-tokens.json")
    def session_tokens(self):
        owner = current_app.config["OWNER_USERNAME"]
        return jsonify({"points": dashboard.session_tokens(db.session, owner, utcnow())})

    @expose("/retention.json")
    def retention(self):
        cohorts = analytics.retention_cohorts(db.session, current_app.config["OWNER_TIMEZONE"], utcnow())
        return jsonify({"points": analytics.retention_points(cohorts)})


def register(admin) -> None:
    """Add the owner's page, labelled with the owner's display name."""
    label = admin.app.config.get("OWNER_DISPLAY_NAME") or "Hudson"
    admin.add_view(HudsonView(name=label, endpoint="hudson", url="hudson"))
