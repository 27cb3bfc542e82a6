"""Permission names: the single list every view, action, job trigger and migration refers to."""

VIEW_USERS = "view_users"
MANAGE_USERS = "manage_users"
VIEW_STATS = "view_stats"
MANAGE_JOBS = "manage_jobs"
MANAGE_PRIORITIES = "manage_priorities"
SCRAPE_PROFILES = "scrape_profiles"
MANAGE_SYSTEM_USERS = "manage_system_users"
VIEW_AUDIT_LOG = "view_audit_log"
MANAGE_ALERTS = "manage_alerts"

# name -> (resource, action, description); the seed's six first, then the panel's own.
SEED_PERMISSIONS = {
    VIEW_USERS: ("users", "read", "View platform users"),
    MANAGE_USERS: ("users", "write", "Add/edit platform users"),
    VIEW_STATS: ("stats", "read", "View system statistics"),
    MANAGE_JOBS: ("jobs", "write", "Start/stop background jobs"),
    MANAGE_PRIORITIES: ("priorities", "write", "Manage priority queues"),
    SCRAPE_PROFILES: ("profiles", "write", "Trigger profile scraping"),
}
PANEL_PERMISSIONS = {
    MANAGE_SYSTEM_USERS: ("system_users", "write", "Create, edit and deactivate system users, roles and grants"),
    VIEW_AUDIT_LOG: ("audit_log", "read", "Read the audit log"),
    MANAGE_ALERTS: ("alerts", "write", "Configure alert channels and rules, send test alerts"),
}
ALL_PERMISSIONS = {**SEED_PERMISSIONS, **PANEL_PERMISSIONS}

ADMIN, SUBSCRIBER, VIEWER = "admin", "subscriber", "viewer"
SEED_ROLES = {
    ADMIN: "Full system access",
    SUBSCRIBER: "Paid subscriber with advanced features",
    VIEWER: "Basic read-only access",
}
DEFAULT_GRANTS = {
    ADMIN: tuple(ALL_PERMISSIONS),
    SUBSCRIBER: (VIEW_USERS, VIEW_STATS),
    VIEWER: (VIEW_USERS,),
}
