"""The scripted ~200-event feed (20 batches) used by the events tests, with its exact expectations."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from mhc.clients.events_api import decode_events
from mhc.extensions import db
from mhc.services.sources import events

OWNER = "hudson"
T0 = datetime(2026, 11, 20, 18, 0, tzinfo=UTC)
BATCH_MINUTES = 2  # batch k is received at T0 + 2k minutes


def ingest(batch: list, next_url: str | None, received_at: datetime, owner: str = OWNER, *, commit: bool = True):
    """Store one raw batch as the listener does: decoded by the client, then ingested in one transaction."""
    settings = events.IngestSettings(owner=owner)
    return events.ingest_batch(db.session, decode_events(batch), next_url, received_at, settings, commit=commit)


def _user(name):
    return {
        "username": name,
        "inFanclub": False,
        "hasTokens": True,
        "isMod": False,
        "recentTips": "none",
        "gender": "m",
    }


def ev(event_id, method, room=OWNER, user=None, **obj):
    body = {"broadcaster": room, **obj}
    if user is not None:
        body["user"] = _user(user)
    return {"method": method, "id": event_id, "object": body}


def msg(text, **extra):
    return {"color": "#494949", "bgColor": None, "message": text, "font": "default", **extra}


def build_batches() -> list[list]:
    """20 batches; broadcastStart in batches 0 and 14, broadcastStop in 4 and 18 (20 minutes apart)."""
    fill = []
    for k in range(2):
        for i in range(20):
            fill.append(ev(f"enter-{k}-{i}", "userEnter", user=f"v{i:02d}"))
            fill.append(ev(f"leave-{k}-{i}", "userLeave", user=f"v{i:02d}"))
    for k in range(5):
        for i in range(10):
            fill.append(ev(f"chat-{k}-{i}", "chatMessage", user=f"v{i:02d}", message=msg(f"hello <b>{k}</b>")))
    # 20 identical 1-token tips from the same viewer: all real, different ids.
    fill += [ev(f"tip1-{k}", "tip", user="v01", tip={"tokens": 1, "isAnon": False, "message": ""}) for k in range(20)]
    fill += [
        ev(f"tip25-{i}", "tip", user=f"v{i:02d}", tip={"tokens": 25, "isAnon": False, "message": "nice"})
        for i in range(2, 12)
    ]
    for i in range(4):  # PMs in the owner's room, both ways
        fill.append(
            ev(f"pm-in-{i}", "privateMessage", user=f"v{i:02d}", message=msg("hi", fromUser=f"v{i:02d}", toUser=OWNER))
        )
        fill.append(
            ev(f"pm-out-{i}", "privateMessage", user=OWNER, message=msg("hey", fromUser=OWNER, toUser=f"v{i:02d}"))
        )
    fill.append(
        ev("dm-out", "privateMessage", room="", user=OWNER, message=msg("dm", fromUser=OWNER, toUser="dmfriend"))
    )
    fill.append(
        ev("dm-in", "privateMessage", room="", user="dmfriend", message=msg("re", fromUser="dmfriend", toUser=OWNER))
    )
    for i in range(1, 7):
        fill.append(ev(f"follow-f{i}", "follow", user=f"f{i}"))
    fill.append(ev("unfollow-f2", "unfollow", user="f2"))
    fill.append(ev("unfollow-f5", "unfollow", user="f5"))
    for i in range(3):  # the owner's own activity in another room
        fill.append(ev(f"own-chat-{i}", "chatMessage", room="othermodel", user=OWNER, message=msg("yo")))
    fill.append(ev("own-tip", "tip", room="othermodel", user=OWNER, tip={"tokens": 10, "isAnon": False, "message": ""}))
    fill.append(ev("own-enter", "userEnter", room="othermodel", user=OWNER))
    fill.append(ev("subject", "roomSubjectChange", subject="Goal <script>x</script>"))
    fill.append(ev("fanclub", "fanclubJoin", user="v05"))
    fill.append(
        ev("media", "mediaPurchase", user="v06", media={"id": 1, "type": "photos", "name": "set1", "tokens": 25})
    )
    # Malformed: no id, unknown method, tip without tokens (all kept raw and flagged).
    fill.append({"method": "chatMessage", "object": {"broadcaster": OWNER, "user": _user("v00"), "message": msg("x")}})
    fill.append({"method": "weirdThing", "id": "weird-1", "object": {"foo": 1}})
    fill.append(ev("tip-broken", "tip", user="v03", tip={"isAnon": False}))
    assert len(fill) == 189
    batches = [fill[k * 10 : (k + 1) * 10] for k in range(19)]
    batches.append([])
    batches[0].insert(0, ev("bstart-1", "broadcastStart", user=OWNER))
    batches[4].append(ev("bstop-1", "broadcastStop", user=OWNER))
    batches[14].insert(0, ev("bstart-2", "broadcastStart", user=OWNER))
    batches[18].append(ev("bstop-2", "broadcastStop", user=OWNER))
    # Duplicates: 4 resent in a later batch, 2 twice within one batch.
    batches[19] += [batches[3][1], batches[10][2], batches[12][0], batches[17][5]]
    batches[8].append(batches[8][0])
    batches[9].append(batches[9][3])
    # follow-f1..f6 and the unfollows must come in order: they sit late in the fill list (batch 16-17).
    return batches


def clock_for(start_batch: int = 0):
    """A clock returning T0 + 2 minutes per batch, starting at `start_batch`."""
    state = {"k": start_batch}

    def now():
        value = T0 + timedelta(minutes=BATCH_MINUTES * state["k"])
        state["k"] += 1
        return value

    return now


UNIQUE = 193
DELIVERED = 199
FLAGGED = 3
TAB_COUNTS = {"all": 193, "chat": 54, "direct": 2, "private": 8, "tips": 32, "enter": 81, "follows": 8, "broadcasts": 4}
