"""THE permission matrix: every endpoint of the app, every HTTP method, and what it requires.

tests/auth/test_permission_matrix.py walks app.url_map and, for each endpoint x method x role
(anonymous, viewer, subscriber, admin), checks the response against this table, using the role's
default grants from mhc.auth.permissions.DEFAULT_GRANTS:

    anonymous          -> 302 to /login (or 401 for JSON / /api/ endpoints), unless PUBLIC
    role lacks it      -> 403
    role holds it      -> anything but 401, 403 or a redirect to /login?next=... (200, 302 elsewhere, 400, 404 fine)
    any role           -> never a 5xx

An endpoint of the app that is missing here fails the test: add one line for it.

Format (one line per endpoint, keep it sorted by blueprint/view):

    "endpoint.name": {"GET": REQUIRED, "POST": REQUIRED, ...},

REQUIRED is a permission name from mhc.auth.permissions (perms.X), or one of:
    PUBLIC      no login needed (login page, static files)
    LOGIN_ONLY  any logged-in user, whatever the role
    NOBODY      refused (403) to every logged-in user, admins included (e.g. create on a read-only view)

Optional extra keys in an entry (all keys starting with "_"):
    "_args":  {"name": value}  sample values for the rule's URL arguments (default: generic values
              by converter: "x" for strings/paths, 1 for int, a fixed UUID for uuid)
    "_query": {"name": value}  query-string parameters sent with every request to the endpoint
    "_form":  {"name": value}  form data for POSTs (a valid csrf_token is always added); for a
              Flask-Admin action_view give {"action": "<action name>"} and the action's permission
              as REQUIRED (no rowid is sent, so the action runs on nothing)

Flask-Admin ModelView endpoints are: index_view, create_view (GET, POST), edit_view (GET, POST),
details_view, delete_view (POST), action_view (POST), export (GET, <export_type>), ajax_lookup,
ajax_update (POST). List every one of them for your view.
"""

from mhc.auth import permissions as perms

PUBLIC = "PUBLIC"
LOGIN_ONLY = "LOGIN_ONLY"
NOBODY = "NOBODY"

_SU = perms.MANAGE_SYSTEM_USERS
_AUDIT = perms.VIEW_AUDIT_LOG

PERMISSION_TABLE: dict[str, dict] = {
    # --- core ---
    "static": {"GET": PUBLIC, "_args": {"filename": "panel.css"}},
    "admin.static": {"GET": PUBLIC, "_args": {"filename": "bootstrap/bootstrap4/css/bootstrap.min.css"}},
    "theme_css.darkly": {"GET": PUBLIC},
    "auth.login": {"GET": PUBLIC, "POST": PUBLIC},
    "auth.logout": {"POST": LOGIN_ONLY},
    "auth.logout_everywhere": {"POST": LOGIN_ONLY},
    "admin.index": {"GET": LOGIN_ONLY},
    "healthz": {"GET": PUBLIC},
    # --- two-factor login: the second login step (public: before the session exists); your own account's page
    "two_factor.login_code": {"GET": PUBLIC, "POST": PUBLIC},
    "account_two_factor.index": {"GET": LOGIN_ONLY},
    "account_two_factor.setup": {"POST": LOGIN_ONLY},
    "account_two_factor.confirm": {"POST": LOGIN_ONLY},
    "account_two_factor.regenerate": {"POST": LOGIN_ONLY},
    "account_two_factor.disable": {"POST": LOGIN_ONLY},
    "account.index": {"GET": LOGIN_ONLY},
    "account.password": {"POST": LOGIN_ONLY},
    "account.theme": {"POST": LOGIN_ONLY},
    # --- Admin: system users ---
    "system_users.index_view": {"GET": _SU},
    "system_users.create_view": {"GET": _SU, "POST": _SU},
    "system_users.edit_view": {"GET": _SU, "POST": _SU},
    "system_users.details_view": {"GET": _SU},
    "system_users.delete_view": {"POST": _SU},
    "system_users.action_view": {"POST": _SU, "_form": {"action": "deactivate"}},
    "system_users.export": {"GET": NOBODY, "_args": {"export_type": "csv"}},
    "system_users.ajax_lookup": {"GET": _SU},
    "system_users.ajax_update": {"POST": _SU},
    # --- Admin: roles x permissions grid ---
    "system_roles.index": {"GET": _SU, "POST": _SU},
    # --- Admin: two-factor login (roles that require it, resets) ---
    "two_factor_admin.index": {"GET": _SU, "POST": _SU},
    "two_factor_admin.reset": {"POST": _SU},
    # --- Admin: audit log, read-only ---
    "audit_log.index_view": {"GET": _AUDIT},
    "audit_log.create_view": {"GET": NOBODY, "POST": NOBODY},
    "audit_log.edit_view": {"GET": NOBODY, "POST": NOBODY},
    "audit_log.details_view": {"GET": _AUDIT},
    "audit_log.delete_view": {"POST": NOBODY},
    "audit_log.action_view": {"POST": NOBODY},
    "audit_log.export": {"GET": _AUDIT, "_args": {"export_type": "csv"}},
    "audit_log.ajax_lookup": {"GET": _AUDIT},
    "audit_log.ajax_update": {"POST": NOBODY},
    # --- Users: Directory, Following, Followers, Unfollowed; hidden profile editor; Profile page ---
    "users_directory.index_view": {"GET": perms.VIEW_USERS},
    "users_directory.create_view": {"GET": perms.MANAGE_USERS, "POST": perms.MANAGE_USERS},
    "users_directory.edit_view": {"GET": perms.MANAGE_USERS, "POST": perms.MANAGE_USERS},
    "users_directory.details_view": {"GET": perms.VIEW_USERS},
    "users_directory.delete_view": {"POST": perms.MANAGE_USERS},
    "users_directory.action_view": {"POST": perms.MANAGE_PRIORITIES, "_form": {"action": "add_p1"}},
    "users_directory.export": {"GET": perms.VIEW_STATS, "_args": {"export_type": "csv"}},
    "users_directory.ajax_lookup": {"GET": perms.VIEW_USERS},
    "users_directory.ajax_update": {"POST": perms.MANAGE_USERS},
    "users_directory.priority_status": {"GET": perms.VIEW_USERS},
    "users_directory.thumbnail": {"GET": perms.VIEW_USERS},
    "users_directory.add_to_queue": {"POST": perms.MANAGE_PRIORITIES},
    "users_directory.job_status": {"GET": perms.VIEW_USERS},
    "users_following.index_view": {"GET": perms.VIEW_USERS},
    "users_following.create_view": {"GET": NOBODY, "POST": NOBODY},
    "users_following.edit_view": {"GET": NOBODY, "POST": NOBODY},
    "users_following.details_view": {"GET": perms.VIEW_USERS},
    "users_following.delete_view": {"POST": NOBODY},
    "users_following.action_view": {"POST": perms.MANAGE_USERS, "_form": {"action": "exclude"}},
    "users_following.export": {"GET": perms.VIEW_STATS, "_args": {"export_type": "csv"}},
    "users_following.ajax_lookup": {"GET": perms.VIEW_USERS},
    "users_following.ajax_update": {"POST": NOBODY},
    "users_following.job_status": {"GET": perms.VIEW_USERS},
    "users_followers.index_view": {"GET": perms.VIEW_USERS},
    "users_followers.create_view": {"GET": NOBODY, "POST": NOBODY},
    "users_followers.edit_view": {"GET": NOBODY, "POST": NOBODY},
    "users_followers.details_view": {"GET": perms.VIEW_USERS},
    "users_followers.delete_view": {"POST": NOBODY},
    "users_followers.action_view": {"POST": perms.SCRAPE_PROFILES, "_form": {"action": "scrape_profile"}},
    "users_followers.export": {"GET": perms.VIEW_STATS, "_args": {"export_type": "csv"}},
    "users_followers.ajax_lookup": {"GET": perms.VIEW_USERS},
    "users_followers.ajax_update": {"POST": NOBODY},
    "users_followers.job_status": {"GET": perms.VIEW_USERS},
    "users_unfollowed.index_view": {"GET": perms.VIEW_USERS},
    "users_unfollowed.create_view": {"GET": NOBODY, "POST": NOBODY},
    "users_unfollowed.edit_view": {"GET": NOBODY, "POST": NOBODY},
    "users_unfollowed.details_view": {"GET": perms.VIEW_USERS},
    "users_unfollowed.delete_view": {"POST": NOBODY},
    "users_unfollowed.action_view": {"POST": perms.MANAGE_PRIORITIES, "_form": {"action": "add_p2"}},
    "users_unfollowed.export": {"GET": perms.VIEW_STATS, "_args": {"export_type": "csv"}},
    "users_unfollowed.ajax_lookup": {"GET": perms.VIEW_USERS},
    "users_unfollowed.ajax_update": {"POST": NOBODY},
    "users_unfollowed.job_status": {"GET": perms.VIEW_USERS},
    "users_unfollowed.per_day": {"GET": perms.VIEW_USERS},
    # --- Users: your saved views of the lists (your own only) ---
    "saved_views.index": {"GET": perms.VIEW_USERS},
    "saved_views.save": {"POST": perms.VIEW_USERS, "_form": {"tab": "directory", "name": "Matrix"}},
    "saved_views.rename": {"POST": perms.VIEW_USERS, "_args": {"view_id": 1}, "_form": {"name": "Renamed"}},
    "saved_views.default": {"POST": perms.VIEW_USERS, "_args": {"view_id": 1}, "_form": {"on": "1"}},
    "saved_views.delete": {"POST": perms.VIEW_USERS, "_args": {"view_id": 1}},
    "users_profile_edit.index_view": {"GET": perms.MANAGE_USERS},
    "users_profile_edit.create_view": {"GET": perms.MANAGE_USERS, "POST": perms.MANAGE_USERS},
    "users_profile_edit.edit_view": {"GET": perms.MANAGE_USERS, "POST": perms.MANAGE_USERS},
    "users_profile_edit.details_view": {"GET": perms.MANAGE_USERS},
    "users_profile_edit.delete_view": {"POST": perms.MANAGE_USERS},
    "users_profile_edit.action_view": {"POST": NOBODY},
    "users_profile_edit.export": {"GET": NOBODY, "_args": {"export_type": "csv"}},
    "users_profile_edit.ajax_lookup": {"GET": perms.MANAGE_USERS},
    "users_profile_edit.ajax_update": {"POST": perms.MANAGE_USERS},
    "profile.index": {"GET": perms.VIEW_USERS},
    "profile.autocomplete": {"GET": perms.VIEW_USERS},
    "profile.person": {"GET": perms.VIEW_USERS},
    "profile.followers_chart": {"GET": perms.VIEW_USERS},
    "profile.add_note": {"POST": perms.MANAGE_USERS, "_form": {"body": "probe"}},
    "profile.edit_note": {"POST": perms.MANAGE_USERS, "_form": {"body": "probe"}, "_args": {"note_id": 1}},
    "profile.delete_note": {"POST": perms.MANAGE_USERS, "_args": {"note_id": 1}},
    # --- Admin: jobs ---
    "jobs.index": {"GET": perms.MANAGE_JOBS},
    "jobs.detail": {"GET": perms.MANAGE_JOBS},
    "jobs.progress": {"GET": perms.MANAGE_JOBS},
    "jobs.artifact": {"GET": perms.MANAGE_JOBS, "_args": {"artifact": "screenshot"}},
    "jobs.retry": {"POST": perms.MANAGE_JOBS},
    "jobs.cancel": {"POST": perms.MANAGE_JOBS},
    "jobs.start": {"POST": perms.MANAGE_JOBS},
    # --- Admin: follow lists ---
    "follows.index": {"GET": perms.MANAGE_JOBS},
    "follows.cookies": {"POST": perms.MANAGE_JOBS},
    "follows.preview": {"POST": perms.MANAGE_JOBS, "_form": {"direction": "following"}},
    "follows.apply": {"POST": perms.MANAGE_JOBS, "_form": {"direction": "following"}},
    "follows.sync": {"POST": perms.MANAGE_JOBS, "_form": {"direction": "bogus"}},
    "follows.run_progress": {"GET": perms.MANAGE_JOBS},
    "follows.confirm": {"POST": perms.MANAGE_JOBS},
    "follows.held": {"GET": perms.MANAGE_JOBS},
    # --- Admin: alerts (channels, rules, delivery log); ids of rows that do not exist: refused with a flash ---
    "alerts.index": {"GET": perms.MANAGE_ALERTS},
    "alerts.add_channel": {"POST": perms.MANAGE_ALERTS},
    "alerts.send_test": {"POST": perms.MANAGE_ALERTS, "_args": {"channel_id": 1}},
    "alerts.set_channel_enabled": {"POST": perms.MANAGE_ALERTS, "_args": {"channel_id": 1}},
    "alerts.remove_channel": {"POST": perms.MANAGE_ALERTS, "_args": {"channel_id": 1}},
    "alerts.save_rule": {"POST": perms.MANAGE_ALERTS},
    "alerts.remove_rule": {"POST": perms.MANAGE_ALERTS, "_args": {"rule_id": 1}},
    "alerts.retry_delivery": {"POST": perms.MANAGE_ALERTS, "_args": {"delivery_id": 1}},
    # --- Events: reading events = view_users (they are about platform users); tokens = manage_jobs ---
    "events.index": {"GET": perms.VIEW_USERS},
    "events.feed": {"GET": perms.VIEW_USERS},
    "events_api.index": {"GET": perms.MANAGE_JOBS, "POST": perms.MANAGE_JOBS},
    "feed_quarantine.index": {"GET": perms.MANAGE_JOBS},
    # --- Owner dashboard "Hudson": view_stats ---
    "hudson.index": {"GET": perms.VIEW_STATS},
    "hudson.followers": {"GET": perms.VIEW_STATS},
    "hudson.net_follows": {"GET": perms.VIEW_STATS},
    "hudson.session_tokens": {"GET": perms.VIEW_STATS},
    "hudson.retention": {"GET": perms.VIEW_STATS},
}
