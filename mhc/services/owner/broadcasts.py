"""A model's broadcasts, rebuilt from Affiliate API snapshots (docs/domain.md#live-and-rank).

Each snapshot's computed start is `observed_at − seconds_online`. A snapshot whose start is within ±10
minutes of a broadcast already seen belongs to that broadcast; otherwise it begins a new one. A snapshot
without `seconds_online` is taken to start when it was observed. Absence from a cycle ends nothing: a
broadcast is only what its snapshots show (from the earliest start to the last time it was seen).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

JOIN_WITHIN = timedelta(minutes=10)


@dataclass(frozen=True)
class SnapshotPoint:
    """What grouping needs of one snapshot."""

    observed_at: datetime
    seconds_online: int | None = None
    current_show: str | None = None
    num_users: int | None = None
    num_followers: int | None = None
    room_subject: str | None = None

    @property
    def start(self) -> datetime:
        if self.seconds_online is None:
            return self.observed_at
        return self.observed_at - timedelta(seconds=self.seconds_online)


@dataclass
class Broadcast:
    """One broadcast as its snapshots show it."""

    started_at: datetime
    last_seen_at: datetime
    snapshots: int = 0
    shows: list[str] = field(default_factory=list)  # distinct, in the order first seen
    followers_first: int | None = None
    followers_last: int | None = None
    peak_viewers: int | None = None
    subject: str | None = None  # the newest non-empty one

    @property
    def duration(self) -> timedelta:
        return self.last_seen_at - self.started_at

    def add(self, snap: SnapshotPoint) -> None:
        """Take in a snapshot observed no earlier than the ones already in (oldest first)."""
        self.snapshots += 1
        self.started_at = min(self.started_at, snap.start)
        self.last_seen_at = max(self.last_seen_at, snap.observed_at)
        if snap.current_show and snap.current_show not in self.shows:
            self.shows.append(snap.current_show)
        if snap.num_followers is not None:
            if self.followers_first is None:
                self.followers_first = snap.num_followers
            self.followers_last = snap.num_followers
        if snap.num_users is not None:
            self.peak_viewers = max(self.peak_viewers or 0, snap.num_users)
        if snap.room_subject:
            self.subject = snap.room_subject


def group_broadcasts(snapshots: Iterable[SnapshotPoint]) -> list[Broadcast]:
    """Broadcasts from snapshots in any order, newest first."""
    broadcasts: list[Broadcast] = []
    anchors: list[datetime] = []  # each broadcast's first computed start: the ±10 min rule compares to it
    for snap in sorted(snapshots, key=lambda s: s.observed_at):
        start = snap.start
        match = next((i for i in reversed(range(len(anchors))) if abs(anchors[i] - start) <= JOIN_WITHIN), None)
        if match is None:
            broadcasts.append(Broadcast(started_at=start, last_seen_at=snap.observed_at))
            anchors.append(start)
            match = len(broadcasts) - 1
        broadcasts[match].add(snap)
    return sorted(broadcasts, key=lambda b: b.started_at, reverse=True)


def describe(broadcast: Broadcast) -> str:
    """One line for the Profile timeline: length, shows, follower change, peak viewers, subject."""
    minutes = int(broadcast.duration.total_seconds() // 60)
    parts = [f"{minutes // 60} h {minutes % 60:02d} min" if minutes >= 60 else f"{minutes} min"]
    parts.append(f"seen {broadcast.snapshots} time{'s' if broadcast.snapshots != 1 else ''}")
    if broadcast.shows:
        parts.append(", ".join(broadcast.shows))
    first, last = broadcast.followers_first, broadcast.followers_last
    if first is not None and last is not None:
        parts.append(f"followers {last:,}" if first == last else f"followers {first:,} → {last:,} ({last - first:+,})")
    if broadcast.peak_viewers is not None:
        parts.append(f"peak {broadcast.peak_viewers:,} viewers")
    line = " · ".join(parts)
    return f"{line} — {broadcast.subject}" if broadcast.subject else line
