"""All models, imported here so Alembic and the app see one metadata."""

from mhc.models.alerts import AlertChannel, AlertDelivery, AlertRule
from mhc.models.audit import AuditLog
from mhc.models.follows import FollowDaily, FollowEvent, FollowPending, FollowPeriod, HeldFollowList
from mhc.models.hudson import FollowSlot, TipSlot  # noqa: F401
from mhc.models.jobs import JobArtifact, JobRun, WorkerHeartbeat
from mhc.models.notes import StaffNote
from mhc.models.owner import BroadcastSegment, BroadcastSession, OwnerStatsSample  # noqa: F401
from mhc.models.persons import PLATFORM, Person, Profile, Role, merge_role, merge_role_sql, normalise_username
from mhc.models.priorities import PriorityLookup
from mhc.models.saved_views import SavedView
from mhc.models.settings import StoredSecret
from mhc.models.sources import AffiliateSnapshot, FeedQuarantine, Interaction, Snapshot, Thumbnail
from mhc.models.system import (
    SystemPermission,
    SystemRecoveryCode,
    SystemRole,
    SystemSession,
    SystemTwoFactor,
    SystemUser,
    role_permissions,
)
from mhc.models.types import parse_uuid, parse_uuids, utcnow

__all__ = [
    "PLATFORM",
    "AffiliateSnapshot",
    "AlertChannel",
    "AlertDelivery",
    "AlertRule",
    "AuditLog",
    "FeedQuarantine",
    "FollowDaily",
    "FollowPeriod",
    "FollowEvent",
    "FollowPending",
    "HeldFollowList",
    "Interaction",
    "JobArtifact",
    "JobRun",
    "Person",
    "PriorityLookup",
    "Profile",
    "Role",
    "SavedView",
    "Snapshot",
    "StaffNote",
    "StoredSecret",
    "SystemPermission",
    "SystemRecoveryCode",
    "SystemRole",
    "SystemSession",
    "SystemTwoFactor",
    "SystemUser",
    "Thumbnail",
    "WorkerHeartbeat",
    "merge_role",
    "merge_role_sql",
    "normalise_username",
    "parse_uuid",
    "parse_uuids",
    "role_permissions",
    "utcnow",
]
