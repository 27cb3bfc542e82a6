"""Poison events: each is checked on its own; what cannot be stored is quarantined, the rest and the cursor are."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from mhc.extensions import db
from mhc.models import FeedQuarantine, Interaction, Person
from mhc.services import secrets
from mhc.services.sources import events, feed_rules
from tests.services.sources.events.feed import OWNER, T0, ev, ingest, msg

LONG_NAME = "a" * 10_000


def _count(model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def _deep(levels: int) -> dict:
    value: dict = {}
    for _ in range(levels):
        value = {"x": value}
    return value


POISON = [
    (ev("p-long", "chatMessage", user=LONG_NAME, message=msg("hi")), "username", "user.username is not a username"),
    (ev("p-nul", "chatMessage", user="fan\x00x", message=msg("hi")), "username", "user.username is not a username"),
    (ev("p-bad", "chatMessage", user="bad name!", message=msg("hi")), "username", "user.username is not a username"),
    (ev("p-room", "userEnter", room=LONG_NAME, user="fan"), "username", "broadcaster is not a username"),
    (
        ev("p-pm", "privateMessage", user="fan", message=msg("x", fromUser="fan", toUser="to\x00x")),
        "username",
        "toUser is not a username",
    ),
    (ev("p-neg", "tip", user="fan", tip={"tokens": -5}), "tip.tokens", "tip.tokens is -5, outside 0..2147483647"),
    (ev("p-big", "tip", user="fan", tip={"tokens": 2**31}), "tip.tokens", "tip.tokens is 2147483648, outside"),
    (ev("p-media", "mediaPurchase", user="fan", media={"name": "m", "tokens": -1}), "media.tokens", "media.tokens"),
    (ev("p-deep", "chatMessage", user="fan", message=msg("x"), extra=_deep(40)), "too_deep", "nested more than 32"),
    (ev("p-huge", "chatMessage", user="fan", message=msg("x" * 70_000)), "too_large", "characters of JSON"),
]


@pytest.mark.parametrize(("poison", "rule", "reason"), POISON, ids=[p[0]["id"] for p in POISON])
def test_poison_event_is_quarantined_and_the_rest_of_the_batch_stored(app, poison, rule, reason):
    batch = [ev("ok-1", "userEnter", user="fan"), poison, ev("ok-2", "chatMessage", user="fan", message=msg("yo"))]
    result = ingest(batch, "http://x/?i=1", T0, OWNER)
    assert (result.received, result.inserted, result.quarantined, result.duplicates) == (3, 2, 1, 0)
    assert sorted(db.session.scalars(select(Interaction.event_id))) == ["ok-1", "ok-2"]
    assert secrets.get(db.session, secrets.EVENTS_NEXT_URL) == "http://x/?i=1"  # the cursor moved past it
    row = db.session.scalar(select(FeedQuarantine))
    assert (row.source, row.item, row.rule, row.times_seen) == ("events", poison["id"], rule, 1)
    assert reason in row.reason and len(row.reason) < 200
    if rule != "too_large":
        assert json.loads(row.raw) == poison  # as received: the NUL survives as \u0000
    assert row.raw_chars == len(feed_rules.raw_text(poison))
    assert set(db.session.scalars(select(Person.username))) == {"fan", OWNER}  # nothing of the poison


def test_nul_and_lone_surrogates_in_text_are_removed_and_the_event_stored(app):
    raw = ev("t-1", "chatMessage", user="fan", message=msg("hi\x00 there\ud800"), note={"k\x00": "v\x00", "n": 1e999})
    raw["object"]["user"]["gender"] = "m\x00"
    result = ingest([raw], "http://x/?i=1", T0, OWNER)
    assert (result.inserted, result.quarantined, result.flagged) == (1, 0, 0)
    row = db.session.scalar(select(Interaction))
    assert row.text == "hi there\ufffd"
    assert row.raw["object"]["note"] == {"k": "v", "n": None}
    assert row.raw["object"]["user"]["gender"] == "m"


def test_odd_id_and_method_with_nul_are_stored_flagged(app):
    raw = {"method": "tip\x00", "id": "id\x00", "object": {"broadcaster": OWNER}}
    result = ingest([raw], "http://x/?i=1", T0, OWNER)
    assert (result.inserted, result.flagged) == (1, 1)
    row = db.session.scalar(select(Interaction))
    assert (row.type, row.event_id.startswith("noid-"), row.is_flagged) == ("tip", True, True)


def test_long_free_text_is_cut_to_the_limit(app):
    raw = ev("long-1", "chatMessage", user="fan", message=msg("y" * 20_000))
    ingest([raw], "http://x/?i=1", T0, OWNER)
    assert len(db.session.scalar(select(Interaction.text))) == feed_rules.MAX_TEXT


def test_the_same_poison_again_counts_up_one_row(app):
    poison = ev("p-neg", "tip", user="fan", tip={"tokens": -5})
    ingest([poison], "http://x/?i=1", T0, OWNER)
    ingest([poison, poison], "http://x/?i=2", T0 + timedelta(minutes=1), OWNER)
    row = db.session.scalar(select(FeedQuarantine))
    assert (_count(FeedQuarantine), row.times_seen, row.first_seen_at, row.last_seen_at) == (
        1,
        3,
        T0,
        T0 + timedelta(minutes=1),
    )


def test_a_value_the_database_refuses_is_quarantined_alone(app, monkeypatch):
    """A value no rule foresaw: the batch is stored event by event and only the refused one set aside."""
    monkeypatch.setattr(events, "_text", lambda value: value)  # let a lone surrogate reach the text column
    batch = [
        ev("ok-1", "follow", user="newfan"),
        ev("bad-1", "chatMessage", user="fan", message=msg("x\ud800")),
        ev("ok-2", "chatMessage", user="fan", message=msg("fine")),
    ]
    result = ingest(batch, "http://x/?i=1", T0, OWNER)
    assert (result.received, result.inserted, result.quarantined, result.follow_changes) == (3, 2, 1, 1)
    assert sorted(db.session.scalars(select(Interaction.event_id))) == ["ok-1", "ok-2"]
    row = db.session.scalar(select(FeedQuarantine))
    assert (row.item, row.rule) == ("bad-1", "database")
    assert row.reason.startswith("the database refused it: ")
    assert secrets.get(db.session, secrets.EVENTS_NEXT_URL) == "http://x/?i=1"
    again = ingest(batch, "http://x/?i=1", T0, OWNER)
    assert (again.inserted, again.duplicates, again.quarantined) == (0, 2, 1)
