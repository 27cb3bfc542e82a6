"""Realistic generated data for a newcomer's panel and for benchmarks, written set-based.

Not an ingestion path: nobody is "seen" here, so persons are written whole (seeded ids, final roles, history
already merged) rather than through services.persons.ensure_persons, which merges what a source observed.
Generated usernames have the shape the username rule accepts, and rows share the one PLATFORM."""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from mhc import sqlcompat
from mhc.models import (
    PLATFORM,
    AffiliateSnapshot,
    FollowEvent,
    Interaction,
    Person,
    PriorityLookup,
    Profile,
    Snapshot,
    utcnow,
)
from mhc.services.users import priorities, value

CHUNK = 5_000
WORDS = (
    "angel bella candy cherry dark dream foxy honey kitty lady lola luna milky miss naughty peach pretty rose "
    "ruby sexy shy silver sky sugar sweet tiny wild alex max leo nick sam chris juan marco ivan tom bigboy "
    "lucky happy cool red blue latina ebony asian sunny hot"
).split()
TAGS = (
    "feet muscles latina asian ebony bigboobs squirt lovense new teen mature bbw hairy smoke couple "
    "anal daddy gay trans milf petite curvy tattoo redhead"
).split()
LOCATIONS = (
    "Bogota D.C., Colombia",
    "Medellin, Colombia",
    "Bucharest, Romania",
    "Manila, Philippines",
    "Los Angeles, United States",
    "Kyiv, Ukraine",
    "Madrid, Spain",
    "Somewhere in your heart",
)
COUNTRIES = ("CO", "CO", "RO", "PH", "US", "UA", "ES", "")
SHOWS = ("public", "public", "public", "private", "group", "away")
EVENT_TYPES = ("chatMessage", "chatMessage", "tip", "userEnter", "userLeave", "privateMessage")


@dataclass
class DemoResult:
    """Row counts written per table."""

    counts: dict[str, int] = field(default_factory=dict)

    def add(self, table: str, n: int) -> None:
        self.counts[table] = self.counts.get(table, 0) + n

    def summary(self) -> str:
        return "demo data loaded: " + ", ".join(f"{k} {v:,}" for k, v in self.counts.items())


def is_empty(session: Session) -> bool:
    """True when no person exists yet."""
    return not session.scalar(select(exists().where(Person.id.isnot(None))))


class _Generator:
    """Builds rows for one chunk of persons from a seeded random source."""

    def __init__(self, rng: random.Random, now: datetime, owner: str, snapshots_per_model: int):
        self.rng, self.now, self.owner, self.per_model = rng, now, owner, snapshots_per_model
        self.used: set[str] = {owner}
        self.taken_ids: set[uuid.UUID] = set()
        self.event_seq = 0

    def reserve_existing(self, session: Session) -> None:
        """Never hand out a username or person id the database already holds (loading into a non-empty one)."""
        for pid, name in session.execute(select(Person.id, Person.username)):
            self.taken_ids.add(pid)
            self.used.add(name)

    def username(self) -> str:
        r = self.rng
        while True:
            name = r.choice(WORDS) + r.choice(("", "_", "__", "")) + r.choice(WORDS)
            if r.random() < 0.6:
                name += str(r.randint(1, 9999))
            if r.random() < 0.05:
                name = "_" + name
            if name not in self.used:
                self.used.add(name)
                return name

    def ago(self, max_days: float, min_days: float = 0.0) -> datetime:
        return self.now - timedelta(seconds=self.rng.uniform(min_days * 86400, max_days * 86400))

    def between(self, start: datetime, end: datetime) -> datetime:
        return start + (end - start) * self.rng.uniform(0.05, 0.95)

    def person(self) -> tuple[dict, dict, dict]:
        """Rows for one person: persons, profiles, and the follow plan."""
        r = self.rng
        roll = r.random()
        role = "MODEL" if roll < 0.55 else "VIEWER" if roll < 0.9 else "BOTH"
        pid = uuid.UUID(int=r.getrandbits(128), version=4)
        while pid in self.taken_ids:
            pid = uuid.UUID(int=r.getrandbits(128), version=4)
        is_model = role in ("MODEL", "BOTH")
        first_seen = self.ago(365, 1)
        profile_age = r.choice((None, r.randint(18, 45), r.randint(19, 35))) if is_model else None
        flagged = False
        if is_model and r.random() < 0.01:
            profile_age, flagged = 99, True
        loc = r.randrange(len(LOCATIONS))
        tags = sorted(set(r.sample(TAGS, r.randint(0, 5)))) if is_model else None
        person = {
            "id": pid,
            "username": self.username(),
            "platform": PLATFORM,
            "role": role,
            "rid": None,
            "did": None,
            "first_seen_at": first_seen,
            "last_seen_at": None,
            # Noise accounts (bots) are few: about 1 viewer in 2,000 (35 at 200,000 persons).
            "is_excluded": r.random() < 0.0005 and role == "VIEWER",
            "age": profile_age if not flagged else None,
            "num_followers": None,
            "image_url": None,
            "rank": None,
            "interactions_count": 0,
            "snapshots_count": 0,
        }
        profile = {
            "person_id": pid,
            "display_name": person["username"].strip("_").replace("_", " ").title() if is_model else None,
            "age": profile_age,
            "age_flagged": flagged,
            "gender": r.choice("fmtc") if is_model else None,
            "location": LOCATIONS[loc] if is_model else None,
            "country": (COUNTRIES[loc] or None) if is_model else None,
            "languages": ["English"] + (["Spanish"] if loc < 2 else []) if is_model else None,
            "bio": "Hi, welcome to my room!\nBe kind." if is_model and r.random() < 0.5 else None,
            "tags": tags,
            "follower_count": r.randint(10, 50_000) if is_model else None,
            "following": False,
            "follower": False,
        }
        return person, profile, {}

    def affiliate_snapshots(self, person: dict, profile: dict) -> list[dict]:
        """The person's Affiliate API history; also sets its current-state columns from the newest row."""
        r = self.rng
        k = r.randint(0, 2 * self.per_model) if self.per_model else 0
        if k == 0:
            return []
        followers = profile["follower_count"] or r.randint(10, 5000)
        age = profile["age"] if profile["age"] != 99 else r.randint(20, 40)
        image = f"https://thumb.live.mmcdn.com/ri/{person['username']}.jpg"
        month = 30 * 86400
        times = sorted(self.now - timedelta(seconds=r.random() * month) for _ in range(k))
        rnd = r.random
        base = {
            "person_id": person["id"],
            "username": person["username"],
            "display_name": profile["display_name"],
            "birthday": "",
            "gender": profile["gender"],
            "location": profile["location"],
            "country": profile["country"],
            "spoken_languages": "English",
            "room_subject": "Goal: dance #" + " #".join(profile["tags"] or ["new"]),
            "tags": profile["tags"] or [],
            "image_url": image,
            "image_url_360x270": image,
        }
        rows = []
        for observed in times:
            online = 60 + int(rnd() * 4 * 3600)
            followers += int(rnd() * 6)
            rows.append(
                {
                    **base,
                    "observed_at": observed,
                    "rank": 1 + int(rnd() * 5000),
                    "age": age if rnd() > 0.1 else None,
                    "num_users": int(rnd() * 3000),
                    "num_followers": followers,
                    "is_hd": rnd() < 0.6,
                    "is_new": False,
                    "current_show": SHOWS[int(rnd() * len(SHOWS))],
                    "seconds_online": online,
                    "session_start": observed - timedelta(seconds=online),
                }
            )
        newest = rows[-1]
        person["age"] = newest["age"] if newest["age"] is not None else profile["age"]
        if person["age"] == 99:
            person["age"] = None
        person["num_followers"] = newest["num_followers"]
        person["image_url"] = image
        person["last_seen_at"] = newest["observed_at"]
        if self.now - newest["observed_at"] < timedelta(minutes=10):
            person["rank"] = newest["rank"]
        profile["image_url"] = image
        return rows

    def follow_history(self, person: dict, profile: dict, direction: str, chance: float) -> list[dict]:
        """Follows, unfollows and re-follows over the last 90 days, and the profile columns they imply."""
        r = self.rng
        if r.random() >= chance:
            return []
        times = [self.ago(180, 1)]  # some follows predate the 90-day window, as a real history does
        while r.random() < (0.35 if len(times) % 2 == 1 else 0.3) and len(times) < 4:
            times.append(self.between(times[-1], self.now))
        rows = [
            {
                "person_id": person["id"],
                "direction": direction,
                "action": "follow" if i % 2 == 0 else "unfollow",
                "source": "list_scrape",
                "observed_at": t,
                "created_at": t,
                "event_id": None,
                "period_started_at": times[i - 1] if i % 2 else None,
            }
            for i, t in enumerate(times)
        ]
        following = len(times) % 2 == 1
        prefix = "following" if direction == "following" else "follower"
        profile[prefix] = following
        profile[f"{prefix}_since"] = times[0]
        profile["unfollowed_at" if direction == "following" else "unfollower_at"] = None if following else times[-1]
        profile[f"{prefix}_checked_at"] = self.now
        return rows

    def interactions(self, person: dict) -> list[dict]:
        r = self.rng
        if person["role"] == "MODEL" or r.random() > 0.3:
            return []
        rows = []
        for _ in range(r.randint(1, 8)):
            kind = r.choice(EVENT_TYPES)
            self.event_seq += 1
            at = self.ago(60)
            rows.append(
                {
                    "event_id": f"{int(at.timestamp() * 1000)}-{self.event_seq}",
                    "type": kind,
                    "person_id": person["id"],
                    "from_username": person["username"],
                    "to_username": self.owner if kind == "privateMessage" else None,
                    "room": self.owner,
                    "is_direct": False,
                    "amount": r.choice((1, 5, 25, 100)) if kind == "tip" else None,
                    "text": "hi there" if kind in ("chatMessage", "privateMessage") else None,
                    "occurred_at": at,
                    "is_flagged": False,
                    "raw": {"method": kind, "demo": True},
                }
            )
        person["interactions_count"] = len(rows)
        person["last_seen_at"] = max(
            [person["last_seen_at"] or person["first_seen_at"]] + [x["occurred_at"] for x in rows]
        )
        return rows

    def profile_snapshots(self, person: dict, profile: dict) -> list[dict]:
        r = self.rng
        if person["role"] == "VIEWER" or r.random() > 0.3:
            return []
        at = self.ago(20)
        profile["last_scraped_at"] = at
        return [
            {
                "person_id": person["id"],
                "source": "profile_scrape",
                "observed_at": at,
                "follower_count": profile["follower_count"],
                "online": False,
                "data": {"demo": True},
            }
        ]

    def priority(self, person: dict) -> list[dict]:
        r = self.rng
        if r.random() > 0.01:
            return []
        level = r.choice((1, 2))
        status = r.choice(("queued", "processing", "complete", "complete", "failed"))
        created = self.ago(14)
        return [
            {
                "person_id": person["id"],
                "priority": level,
                "status": status,
                "created_at": created,
                "updated_at": created,
                "completed_at": created + timedelta(hours=1) if status == "complete" else None,
                "failure_reason": "profile page did not load" if status == "failed" else None,
                "note": priorities.DEMO_NOTE,  # the P2 round skips made-up persons
            }
        ]


PROFILE_COLUMNS = [
    "person_id",
    "display_name",
    "age",
    "age_flagged",
    "gender",
    "location",
    "country",
    "languages",
    "bio",
    "tags",
    "image_url",
    "follower_count",
    "following",
    "follower",
    "following_since",
    "follower_since",
    "unfollowed_at",
    "unfollower_at",
    "following_checked_at",
    "follower_checked_at",
    "last_scraped_at",
]


def load(
    session: Session,
    *,
    n_persons: int,
    seed: int,
    owner: str,
    snapshots_per_model: int | None = None,
    progress: Callable[[str], None] = lambda _msg: None,
    now: datetime | None = None,
) -> DemoResult:
    """Generate n_persons with their profiles, snapshots, events, follow history and priorities; one commit.

    On a non-empty database the new persons are added beside the existing ones: usernames and ids already
    stored are skipped, so the same seed can be loaded twice; nothing existing is changed or deleted."""
    gen = _Generator(
        random.Random(seed), now or utcnow(), owner, 40 if snapshots_per_model is None else snapshots_per_model
    )
    if not is_empty(session):
        gen.reserve_existing(session)
    result = DemoResult()
    tables = {
        "persons": Person.__table__,
        "profiles": Profile.__table__,
        "affiliate_api_snapshots": AffiliateSnapshot.__table__,
        "snapshots": Snapshot.__table__,
        "interactions": Interaction.__table__,
        "follow_events": FollowEvent.__table__,
        "priority_lookups": PriorityLookup.__table__,
    }
    done, created = 0, []
    while done < n_persons:
        size = min(CHUNK, n_persons - done)
        rows: dict[str, list[dict]] = {name: [] for name in tables}
        for _ in range(size):
            person, profile, _ = gen.person()
            is_model = person["role"] != "VIEWER"
            snaps = gen.affiliate_snapshots(person, profile) if is_model else []
            scraped = gen.profile_snapshots(person, profile)
            rows["follow_events"] += gen.follow_history(person, profile, "follower", 0.1 if is_model else 0.3)
            if is_model:
                rows["follow_events"] += gen.follow_history(person, profile, "following", 0.08)
            rows["interactions"] += gen.interactions(person)
            person["snapshots_count"] = len(snaps) + len(scraped)
            rows["persons"].append(person)
            rows["profiles"].append({c: profile.get(c) for c in PROFILE_COLUMNS})
            rows["affiliate_api_snapshots"] += snaps
            rows["snapshots"] += scraped
            rows["priority_lookups"] += gen.priority(person)
        for name, table in tables.items():
            result.add(name, sqlcompat.insert_rows(session, table, rows[name]))
        created += [person["id"] for person in rows["persons"]]
        done += size
        progress(f"{done:,}/{n_persons:,} persons ({result.counts['affiliate_api_snapshots']:,} affiliate snapshots)")
    # The value columns come from the events just written, by the rule ingestion keeps (docs/domain.md#fan-value).
    value.recompute(session, owner, created)
    sqlcompat.analyze(session, *tables)
    session.commit()
    return result
