"""The follow ledger's inputs, results and errors (the rules: mhc/services/follows/follow_ledger.py)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime

from mhc.services.follows.direction import Direction

DIRECTIONS = ("following", "follower")
SOURCES = ("list_scrape", "events_api", "profile_scrape", "manual_import")
# By direction (keys are Direction members, which also match the plain stored strings).
COLUMNS = {d: d.columns for d in Direction}


@dataclass(frozen=True)
class FollowObservation:
    """One follow or unfollow seen by one source (Events API event, profile page)."""

    username: str
    direction: str
    action: str  # "follow" | "unfollow"
    observed_at: datetime
    source: str
    event_id: str | None = None


@dataclass
class ApplyResult:
    """What an apply did (or, for a preview or a held list, would do)."""

    direction: str
    observed_at: datetime | None = None
    listed: int = 0  # distinct usernames observed
    added: int = 0
    removed: int = 0
    unchanged: int = 0
    created: int = 0  # persons that did not exist before
    ignored_older: int = 0  # observations older than the person's newest recorded state
    current: int = 0  # persons marked before the apply
    pending: int = 0  # marked persons missing from a list with no count: kept, waiting for a later read
    pending_cleared: int = 0  # pending persons this list names again
    held: bool = False
    applied: bool = True
    reason: str | None = None

    def counts(self) -> dict:
        """JSON-ready counts for job_runs and the CLI."""
        data = asdict(self)
        data["observed_at"] = self.observed_at.isoformat() if self.observed_at else None
        return data


class FollowListError(ValueError):
    """The list cannot be applied as given (unknown direction, invalid usernames, naive time)."""


# The groups of persons a preview names, in the order a page shows them (list_apply.ListApply.names).
NAME_GROUPS = ("added", "removed", "created", "pending")


@dataclass(frozen=True)
class NamesQuery:
    """Which names of a preview to read: one page per group, the searched-for part of a username, and
    which group is being paged (the others show their first page)."""

    search: str = ""
    group: str | None = None
    page: int = 1
    per_page: int = 50

    def offset(self, group: str) -> int:
        """Where this group's page starts."""
        return (max(self.page, 1) - 1) * self.per_page if group == self.group else 0


@dataclass(frozen=True)
class PreviewName:
    """One person a preview names; `exists` is False for a username the apply would create."""

    username: str
    exists: bool


@dataclass(frozen=True)
class NamesPage:
    """One page of one group's names, ordered by username, and how many match the search in all."""

    group: str
    total: int
    offset: int
    limit: int
    names: list[PreviewName]

    @property
    def page(self) -> int:
        return self.offset // self.limit + 1 if self.limit else 1

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.limit)) if self.limit else 1
