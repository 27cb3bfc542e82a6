"""The rest of the demo, after services.demo has written its persons: what the owner's own pages show.

Broadcasts with their sessions and events, Stats API samples, sample runs on the Jobs page (one failed with
its artifacts, one held follow sync waiting for a confirmation), and an alert rule with its channel and a
delivery log. Nothing here is ever sent or scraped: the alert channel is switched off, the runs are finished
or held, and the demo's priority lookups carry demo.DEMO_NOTE, which the P2 round skips
(docs/operator.md#the-demo-reaches-nothing).
"""

from __future__ import annotations

import random
import struct
import uuid
import zlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from mhc import sqlcompat
from mhc.models import (
    AlertChannel,
    AlertDelivery,
    FollowEvent,
    Interaction,
    JobArtifact,
    JobRun,
    Person,
    Profile,
    utcnow,
)
from mhc.models.owner import BroadcastSegment, BroadcastSession, OwnerStatsSample
from mhc.services.alerts import channels, rules
from mhc.services.follows import sync
from mhc.services.follows.direction import Direction
from mhc.services.users import value

DEMO_CHANNEL = "Demo channel (switched off)"
DEMO_ALERT_URL = "json://localhost/demo-never-sent"
BROADCAST_DAYS = 120
FAILED_ERROR = (
    "PageLoadError: Page.goto: net::ERR_NAME_NOT_RESOLVED at https://chaturbate.com/{name}/\n"
    'Call log:\n  - navigating to "https://chaturbate.com/{name}/", waiting until "load"'
)
FAILED_TRACEBACK = """Traceback (most recent call last):
  File "mhc/jobs/runner.py", line 88, in execute
    counts = function(run_id, **(run.args or {{}}))
  File "mhc/jobs/profile_jobs.py", line 44, in profile_scrape
    html = pages.profile_page(browser, base_url, username)
  File "mhc/scraping/pages/profile.py", line 31, in profile_page
    page.goto(url, wait_until="load")
playwright._impl._errors.Error: Page.goto: net::ERR_NAME_NOT_RESOLVED at https://chaturbate.com/{name}/
"""
FAILED_HTML = """<!doctype html>
<html><head><title>This site can't be reached</title></head>
<body><h1>This site can't be reached</h1><p>chaturbate.com's server IP address could not be found.</p>
<!-- demo data: a saved page as a failed run keeps it --></body></html>
"""


@dataclass
class SceneResult:
    """Row counts written per table."""

    counts: dict[str, int] = field(default_factory=dict)

    def add(self, table: str, n: int) -> None:
        self.counts[table] = self.counts.get(table, 0) + n


def loaded(session: Session) -> bool:
    """True when a scene was written before (its first room event or its alert channel is stored)."""
    first_event = select(Interaction.id).where(Interaction.event_id == "demo-room-0")
    channel = select(AlertChannel.id).where(AlertChannel.name == DEMO_CHANNEL)
    return session.scalar(first_event) is not None or session.scalar(channel) is not None


def load(session: Session, *, owner: str, seed: int, now: datetime | None = None) -> SceneResult:
    """Write the owner's scene over the persons already stored, once (nothing when a scene is stored);
    commits (the held list and the alert parts go through their services, each with its own commit)."""
    now, rng, result = now or utcnow(), random.Random(seed * 7919 + 13), SceneResult()
    if loaded(session):
        return result
    viewers = list(session.execute(select(Person.id, Person.username).where(Person.role != "MODEL").limit(400)))
    followers = list(
        session.execute(select(Person.id, Person.username).join(Profile).where(Profile.follower.is_(True)))
    )
    sessions = _broadcasts(rng, now)
    _write_broadcasts(session, sessions, owner, result)
    events = _room_events(rng, sessions, viewers, owner, followers)
    result.add("interactions", sqlcompat.insert_rows(session, Interaction.__table__, events))
    _count_interactions(session, {e["person_id"] for e in events if e["person_id"]})
    result.add("owner_stats_samples", _stats_samples(session, rng, sessions, owner, now))
    value.recompute(session, owner, [e["person_id"] for e in events if e["person_id"]])
    session.commit()
    result.add("job_runs", _sample_runs(session, rng, now))
    result.add("held_follow_lists", _held_sync(session, rng, owner, now))
    result.add("alert_deliveries", _alerts(session, now))
    return result


def _broadcasts(rng: random.Random, now: datetime) -> list[tuple[datetime, datetime]]:
    """About four evenings a week over the last months, two to five hours each; the newest ended yesterday."""
    out = []
    for days_ago in range(BROADCAST_DAYS, 0, -1):
        if rng.random() > 0.55:
            continue
        day = (now - timedelta(days=days_ago)).replace(hour=0, minute=0, second=0, microsecond=0)
        start = day + timedelta(hours=rng.choice((14, 17, 19, 20, 21)), minutes=rng.randrange(60))
        out.append((start, min(start + timedelta(minutes=rng.randint(110, 300)), now - timedelta(hours=1))))
    return out


def _write_broadcasts(session: Session, spans, owner: str, result: SceneResult) -> None:
    for n, (start, end) in enumerate(spans):
        row = BroadcastSession(started_at=start, ended_at=end, segments_count=1)
        session.add(row)
        session.flush()
        session.add(
            BroadcastSegment(
                session_id=row.id,
                started_at=start,
                ended_at=end,
                start_event_id=f"demo-start-{n}",
                stop_event_id=f"demo-stop-{n}",
            )
        )
    result.add("broadcast_sessions", len(spans))


def _event(n: int, kind: str, at: datetime, owner: str, person=None, **extra) -> dict:
    return {
        "event_id": f"demo-room-{n}",
        "type": kind,
        "person_id": person.id if person else None,
        "from_username": person.username if person else owner,
        "to_username": extra.pop("to", None),
        "room": owner,
        "is_direct": False,
        "amount": extra.pop("amount", None),
        "text": extra.pop("text", None),
        "occurred_at": at,
        "is_flagged": False,
        "raw": {"method": kind, "demo": True},
    }


def _room_events(rng: random.Random, spans, viewers, owner: str, followers) -> list[dict]:
    """Each broadcast's start and stop, and inside it viewers entering, chatting and tipping, and now and
    then one of today's followers clicking Follow."""
    rows: list[dict] = []
    if not viewers:
        return rows
    regulars = viewers[: max(5, len(viewers) // 8)]  # a few fans come back and tip most of the tokens
    chat = ("hi!", "you look great today", "what is the goal?", "hello from Madrid", "love the music")
    for start, end in spans:
        rows.append(_event(len(rows), "broadcastStart", start, owner))
        minutes = int((end - start).total_seconds() // 60)
        for _ in range(rng.randint(8, 30)):
            who = rng.choice(regulars if rng.random() < 0.6 else viewers)
            at = start + timedelta(minutes=rng.randrange(max(1, minutes)))
            rows.append(_event(len(rows), "userEnter", at, owner, who))
            if rng.random() < 0.5:
                rows.append(
                    _event(len(rows), "chatMessage", at + timedelta(minutes=1), owner, who, text=rng.choice(chat))
                )
            if rng.random() < 0.35:
                amount = rng.choice((5, 10, 25, 50, 100, 200, 500))
                rows.append(_event(len(rows), "tip", at + timedelta(minutes=2), owner, who, amount=amount))
        for who in rng.sample(followers, min(len(followers), rng.choice((0, 0, 1, 1, 2, 3)))):
            at = start + timedelta(minutes=rng.randrange(max(1, minutes)))
            rows.append(_event(len(rows), "follow", at, owner, who))
        rows.append(_event(len(rows), "broadcastStop", end, owner))
    return rows


def _count_interactions(session: Session, person_ids: set) -> None:
    """Keep persons.interactions_count equal to their stored events (what the Users lists show)."""
    counted = select(func.count()).select_from(Interaction).where(Interaction.person_id == Person.id).scalar_subquery()
    ids = list(person_ids)
    for start in range(0, len(ids), 500):
        stmt = update(Person).where(Person.id.in_(ids[start : start + 500])).values(interactions_count=counted)
        session.execute(stmt.execution_options(synchronize_session=False))


def _stats_samples(session: Session, rng: random.Random, spans, owner: str, now: datetime) -> int:
    """A Stats API reading every three hours, and every ten minutes while live: followers grow, viewers peak."""
    live = sorted(spans)
    followers, balance, rows = 1800, 4200, []
    at = now - timedelta(days=BROADCAST_DAYS)
    while at < now:
        on = next(((s, e) for s, e in live if s <= at <= e), None)
        followers += rng.randint(0, 3) if on else rng.randint(-1, 1)
        balance += rng.randint(0, 60) if on else 0
        rows.append(
            {
                "observed_at": at,
                "username": owner,
                "token_balance": balance,
                "tips_in_last_hour": rng.randint(0, 400) if on else 0,
                "votes_up": 310 + len(rows) // 40,
                "votes_down": 12,
                "satisfaction_score": 96,
                "last_broadcast": on[0] if on else None,
                "time_online": int((at - on[0]).total_seconds()) if on else -1,
                "num_followers": followers,
                "num_viewers": rng.randint(40, 260) if on else 0,
                "num_registered_viewers": rng.randint(20, 120) if on else 0,
                "raw": {"demo": True},
            }
        )
        at += timedelta(minutes=10) if on else timedelta(hours=3)
    return sqlcompat.insert_rows(session, OwnerStatsSample.__table__, rows)


def _run(kind: str, status: str, created: datetime, seconds: int, **values) -> JobRun:
    values.setdefault("artifacts", {"demo": True})  # a sample, never retried (readiness.missing_for_retry)
    return JobRun(
        id=uuid.uuid4(),
        kind=kind,
        status=status,
        created_at=created,
        started_at=created + timedelta(seconds=2),
        finished_at=None if status == "held" else created + timedelta(seconds=2 + seconds),
        progress=100,
        **values,
    )


def _sample_runs(session: Session, rng: random.Random, now: datetime) -> int:
    """Finished runs of the kinds the owner meets first, and one failed profile read with its artifacts."""
    names = list(session.scalars(select(Person.username).where(Person.role == "MODEL").limit(3)))
    ids = list(session.scalars(select(Person.id).where(Person.role == "MODEL").limit(3)))
    runs = [
        _run(
            "follow_sync",
            "finished",
            now - timedelta(days=2, hours=3),
            95,
            args={"direction": "following"},
            counts={"added": 4, "removed": 1, "unchanged": 37, "pages": 2, "reads": 1},
            progress_text="applied",
        ),
        _run("artifact_cleanup", "finished", now - timedelta(hours=20), 1, args={}, counts={"deleted": 0}),
        _run(
            "profile_scrape",
            "finished",
            now - timedelta(days=1, hours=2),
            41,
            args={"person_ids": [str(i) for i in ids[1:]]},
            counts={"requested": len(ids[1:]), "scraped": len(ids[1:]), "rejected": 0, "over_cap": 0},
        ),
    ]
    name = names[0] if names else "demo_model"
    failed = _run(
        "profile_scrape",
        "failed",
        now - timedelta(hours=5),
        31,
        args={"person_ids": [str(i) for i in ids[:1]]},
        error=FAILED_ERROR.format(name=name),
        traceback=FAILED_TRACEBACK.format(name=name),
        artifacts={"url": f"https://chaturbate.com/{name}/", "demo": True},
        progress_text="opening the profile page",
    )
    failed.progress = 30
    runs.append(failed)
    session.add_all(runs)
    session.flush()
    for kind, content, content_type in (
        ("screenshot", _screenshot_png(), "image/png"),
        ("html", FAILED_HTML.encode(), "text/html"),
    ):
        session.add(
            JobArtifact(
                run_id=failed.id,
                kind=kind,
                content=content,
                content_type=content_type,
                size=len(content),
                created_at=failed.finished_at,
            )
        )
    session.commit()
    return len(runs)


def _held_sync(session: Session, rng: random.Random, owner: str, now: datetime) -> int:
    """A followers sync the mass-removal guard held: the list it read misses many current followers and
    names a few new ones; its page lists them by name, waiting for the owner's confirmation."""
    followers = list(session.scalars(select(Person.username).join(Profile).where(Profile.follower.is_(True))))
    if len(followers) < 4:
        return 0
    others = list(session.scalars(select(Person.username).join(Profile).where(Profile.follower.is_(False)).limit(400)))
    kept = rng.sample(followers, len(followers) * 2 // 3)
    new = rng.sample(others, min(5, len(others)))
    run = _run(
        "follow_sync",
        "held",
        now - timedelta(minutes=1),
        50,
        args={"direction": "followers"},
        lock_key="follow_sync:followers",
        progress_text="held: waiting for your confirmation",
    )
    removed = len(followers) - len(kept)
    run.counts = {
        "added": len(new),
        "removed": removed,
        "unchanged": len(kept),
        "held": True,
        "reason": f"{removed} of {len(followers)} followers would be marked as unfollowed at once",
    }
    session.add(run)
    session.commit()
    sync.hold(
        session,
        Direction.FOLLOWER,
        kept + new,
        utcnow(),  # read after every follow check the demo wrote, so its misses count as unfollows
        source="list_scrape",
        actor_id=None,
        max_age=sync.HELD_MAX_AGE,
        run_id=run.id,
    )
    return 1


def _alerts(session: Session, now: datetime) -> int:
    """A rule with its channel (switched off, so nothing is ever sent) and a short delivery log."""
    channel = channels.add_channel(session, DEMO_CHANNEL, DEMO_ALERT_URL, None)
    channels.set_channel_enabled(session, channel.id, False, None)
    rule = rules.save_rule(
        session,
        None,
        {
            "name": "A tipper of 100 tokens unfollows",
            "kind": "tipper_unfollow",
            "channel_id": channel.id,
            "min_tokens": 100,
            "window_days": None,
        },
        None,
    )
    unfollowed = list(
        session.scalars(
            select(Person.username).join(FollowEvent).where(FollowEvent.action == "unfollow").distinct().limit(3)
        )
    )
    rows = []
    for n, name in enumerate(unfollowed):
        sent = n != 1
        rows.append(
            AlertDelivery(
                rule_id=rule.id,
                channel_id=channel.id,
                idempotency_key=f"demo-{n}",
                title=f"{name} unfollowed you",
                body=f"{name} tipped 150 tokens in the last 30 days and unfollowed you.",
                status="sent" if sent else "failed",
                attempts=1 if sent else 3,
                last_error=None if sent else "demo: the channel could not be reached (nothing was sent)",
                next_try_at=None,
                created_at=now - timedelta(days=n + 1),
                sent_at=now - timedelta(days=n + 1) if sent else None,
            )
        )
    session.add_all(rows)
    session.commit()
    return len(rows)


def _screenshot_png(width: int = 640, height: int = 360) -> bytes:
    """A small real PNG: a browser's grey error page (a bar, a box and a title line), drawn row by row."""

    def pixel(x: int, y: int) -> bytes:
        if y < 36:
            return b"\xde\xe1\xe6"
        if 120 <= y < 132 and 80 <= x < 420:
            return b"\x5f\x63\x68"
        if 150 <= y < 158 and 80 <= x < 560:
            return b"\xa0\xa4\xa8"
        if 60 <= y < 100 and 80 <= x < 120:
            return b"\x9a\xa0\xa6"
        return b"\xf7\xf7\xf7"

    raw = b"".join(b"\x00" + b"".join(pixel(x, y) for x in range(width)) for y in range(height))

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")
