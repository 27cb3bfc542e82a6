"""The Events API client decodes any event shape into typed fields; the service decides what is stored."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from mhc.clients.events_api import Event, decode_event
from mhc.extensions import db
from mhc.models import Interaction
from tests.services.sources.events.feed import OWNER, T0, ev, ingest, msg

CASES = [
    (
        ev("t1", "tip", user="Fan_1", tip={"tokens": 25, "message": "nice"}),
        {"id": "t1", "method": "tip", "broadcaster": OWNER, "username": "Fan_1", "text": "nice", "tokens": 25},
    ),
    (  # JSON true is no token amount: the tip misses its required part
        ev("t2", "tip", user="fan", tip={"tokens": True}),
        {"id": "t2", "method": "tip", "broadcaster": OWNER, "username": "fan", "odd": True},
    ),
    (
        ev("m1", "mediaPurchase", user="fan", media={"name": "set1", "tokens": "25"}),
        {"id": "m1", "method": "mediaPurchase", "broadcaster": OWNER, "username": "fan", "text": "set1"},
    ),
    (  # the names in the message win; a blank one falls back to the object's
        ev("p1", "privateMessage", user="fan", message=msg("hi", fromUser=" ", toUser=OWNER), fromUser="fan2"),
        {
            "id": "p1",
            "method": "privateMessage",
            "broadcaster": OWNER,
            "username": "fan",
            "text": "hi",
            "from_user": "fan2",
            "to_user": OWNER,
        },
    ),
    (
        {"method": "roomSubjectChange", "id": 7, "broadcaster": "room2", "object": {"subject": ["x"]}},
        {"method": "roomSubjectChange", "broadcaster": "room2", "odd": True},
    ),
    ({"method": ["tip"], "id": "l1", "object": {"broadcaster": 5}}, {"id": "l1", "odd": True}),
    ("not an event", {"odd": True}),
]


@pytest.mark.parametrize(("raw", "fields"), CASES)
def test_decode_event_types_every_field(raw, fields):
    blank = {"id": None, "method": None, "broadcaster": None, "username": None, "text": None, "tokens": None}
    assert decode_event(raw) == Event(raw=raw, **{**blank, **fields})


def test_a_method_that_is_not_a_string_is_stored_flagged(app):
    raw = {"method": ["tip"], "id": "l1", "object": {"broadcaster": OWNER}}
    result = ingest([raw], "http://x/?i=1", T0)
    row = db.session.scalar(select(Interaction))
    assert (result.inserted, row.event_id, row.type, row.room, row.is_flagged) == (1, "l1", "unknown", OWNER, True)
