"""Fan value columns (docs/domain.md#fan-value): kept by ingestion, equal to a recomputation from `interactions`."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, func, select

from mhc.clients.events_api import decode_events
from mhc.extensions import db
from mhc.models import AuditLog, Interaction, Person
from mhc.services import demo
from mhc.services.follows.follow_ledger import apply_follow_list
from mhc.services.sources import events
from mhc.services.users import value
from tests.factories import make_interaction, make_person
from tests.services.sources.events.feed import BATCH_MINUTES, OWNER, T0, build_batches, ev, ingest, msg

TIP = {"isAnon": False, "message": ""}


def _values() -> dict[str, value.FanValue]:
    """{username: FanValue} of every person holding a value."""
    names = dict(db.session.execute(select(Person.id, Person.username)).all())
    return {names[pid]: v for pid, v in value.stored_values(db.session).items()}


def _assert_equal_to_recomputation() -> dict[str, value.FanValue]:
    """The columns as ingestion left them equal what a full recomputation writes; returns them."""
    kept = _values()
    value.recompute(db.session, OWNER)
    db.session.commit()
    assert _values() == kept
    return kept


def _ingest_feed(replay: range = range(0)) -> None:
    """The scripted feed (duplicates within and across batches), then the `replay` batches sent again."""
    batches = build_batches()
    for k, batch in enumerate(batches):
        ingest(batch, f"http://x/?i={k}", T0 + timedelta(minutes=BATCH_MINUTES * k))
    for k in replay:
        ingest(batches[k], f"http://x/?r={k}", T0 + timedelta(hours=3, minutes=k))


def _received(event_id: str):
    """When the scripted feed first delivers this event (its batch's time)."""
    batch = next(k for k, b in enumerate(build_batches()) if any(e.get("id") == event_id for e in b))
    return T0 + timedelta(minutes=BATCH_MINUTES * batch)


def test_scripted_feed_with_duplicates_and_replays(app):
    _ingest_feed(replay=range(3, 9))
    got = _assert_equal_to_recomputation()
    # v01: twenty 1-token tips (all real); v02..v11: one 25-token tip each; v03's tip without tokens is flagged.
    assert (got["v01"].tipped_tokens, got["v01"].tips_count) == (20, 20)
    for i in range(2, 12):
        assert (got[f"v{i:02d}"].tipped_tokens, got[f"v{i:02d}"].tips_count) == (25, 1)
    assert sum(v.tipped_tokens for v in got.values()) == 20 + 10 * 25
    # Replayed batches were received hours later: as duplicates they move nothing.
    assert got["v01"].last_tip_at == _received("tip1-19")
    assert got["v11"].last_tip_at == _received("tip25-11")
    assert got["v00"].first_seen_in_room_at == _received("enter-0-0")
    assert got["v00"].tipped_tokens == 0 and got["v00"].last_tip_at is None


def test_owner_elsewhere_owner_himself_dm_and_media_count_nowhere(app):
    _ingest_feed()
    got = _values()
    # The owner's 10-token tip (and chat, enter) in othermodel's room is filed under othermodel: not its value.
    assert "othermodel" not in got
    # The owner's own events (broadcasts, subject, PMs to viewers) are not a fan's; direct messages have no room.
    assert OWNER not in got and "dmfriend" not in got
    # A media purchase is an event in the room but not a tip: v06's value is its one 25-token tip.
    assert (got["v06"].tipped_tokens, got["v06"].tips_count) == (25, 1)


def test_flagged_tips_count_nowhere(app):
    no_id = {"method": "tip", "object": {"broadcaster": OWNER, "user": {"username": "odd"}, "tip": {"tokens": 50}}}
    no_user = {"method": "tip", "id": "nouser", "object": {"broadcaster": OWNER, "tip": {"tokens": 70}}}
    ingest([no_id, no_user, ev("ok", "tip", user="fine", tip={"tokens": 5, **TIP})], "http://x/?i=1", T0)
    flagged = db.session.scalar(select(func.count()).where(Interaction.is_flagged.is_(True)))
    assert flagged == 2
    got = _assert_equal_to_recomputation()
    assert got == {"fine": value.FanValue(5, 1, T0, T0)}


def test_a_later_batch_adds_to_earlier_values(app):
    ingest([ev("a", "userEnter", user="fan")], "http://x/?i=1", T0)
    ingest([ev("b", "tip", user="fan", tip={"tokens": 7, **TIP})], "http://x/?i=2", T0 + timedelta(hours=1))
    ingest([ev("c", "tip", user="fan", tip={"tokens": 3, **TIP})], "http://x/?i=3", T0 + timedelta(hours=2))
    ingest([ev("c", "tip", user="fan", tip={"tokens": 3, **TIP})], "http://x/?i=4", T0 + timedelta(hours=3))
    got = _assert_equal_to_recomputation()
    assert got == {"fan": value.FanValue(10, 2, T0 + timedelta(hours=2), T0)}


def test_one_by_one_fallback_keeps_values(app):
    """A batch the database refuses as a whole is stored event by event: each part adds its own rows."""
    batch = [ev(f"t{i}", "tip", user="fan", tip={"tokens": 2, **TIP}) for i in range(3)]
    settings = events.IngestSettings(owner=OWNER)
    decoded = decode_events(batch)
    result = events._store_one_by_one(db.session, decoded, "http://x/?i=1", T0, settings, "k")
    assert result.inserted == 3
    assert _assert_equal_to_recomputation() == {"fan": value.FanValue(6, 3, T0, T0)}


def test_list_applies_create_persons_and_values_stay_right(app):
    _ingest_feed()
    before = _values()
    later = T0 + timedelta(days=1)
    names = ["v01", "v02", "brand_new_1", "brand_new_2"]
    apply_follow_list(db.session, "follower", names, later, "list_scrape", confirm_mass_removal=True)
    apply_follow_list(db.session, "following", ["othermodel", "brand_new_3"], later, "list_scrape")
    assert db.session.scalar(select(func.count()).where(Person.username.startswith("brand"))) == 3
    assert _assert_equal_to_recomputation() == before
    # A person the list created who then tips in the room starts from zero.
    ingest([ev("bn", "tip", user="brand_new_1", tip={"tokens": 4, **TIP})], "http://x/?i=99", later)
    assert _assert_equal_to_recomputation()["brand_new_1"] == value.FanValue(4, 1, later, later)


def test_deleting_a_person_leaves_the_others_right(app):
    _ingest_feed()
    before = _values()
    db.session.execute(delete(Person).where(Person.username == "v01"))
    db.session.commit()
    orphans = db.session.scalar(select(func.count()).where(Interaction.person_id.is_(None), Interaction.type == "tip"))
    assert orphans >= 20
    after = _assert_equal_to_recomputation()
    assert after == {name: v for name, v in before.items() if name != "v01"}


def test_recompute_resets_persons_without_counted_rows_and_repair_audits(app):
    fan = make_person("fan", "VIEWER", tipped_tokens=999, tips_count=9, last_tip_at=T0, first_seen_in_room_at=T0)
    other = make_person("other", "VIEWER")
    make_interaction("tip", T0, person=other, room=OWNER, from_username="other", amount=12)
    make_interaction("tip", T0 + timedelta(minutes=1), person=other, room="elsewhere", from_username="other", amount=5)
    make_interaction("chatMessage", T0 - timedelta(days=1), person=other, room=OWNER, from_username="other")
    value.recompute(db.session, OWNER, [fan.id])
    db.session.commit()
    assert _values() == {}  # only fan was asked for: other's columns are untouched
    assert value.repair(db.session, OWNER) == 1
    assert _values() == {"other": value.FanValue(12, 1, T0, T0 - timedelta(days=1))}
    entry = db.session.scalars(select(AuditLog).where(AuditLog.action == "recompute_value")).one()
    assert entry.diff == {"changed": 1}
    assert value.repair(db.session, OWNER) == 0


def test_cli_repair(app, runner):
    other = make_person("other", "VIEWER", tipped_tokens=3)
    result = runner.invoke(args=["recompute-value"])
    assert result.exit_code == 0, result.output
    assert "1 persons changed" in result.output
    db.session.refresh(other)
    assert other.tipped_tokens == 0


def test_private_message_from_the_owner_in_the_room_is_not_the_viewers(app):
    batch = [
        ev("p1", "privateMessage", user=OWNER, message=msg("hey", fromUser=OWNER, toUser="fan")),
        ev("p2", "privateMessage", user="fan", message=msg("hi", fromUser="fan", toUser=OWNER)),
    ]
    ingest(batch[:1], "http://x/?i=1", T0)
    assert _values() == {}
    ingest(batch[1:], "http://x/?i=2", T0 + timedelta(minutes=5))
    assert _assert_equal_to_recomputation() == {"fan": value.FanValue(0, 0, None, T0 + timedelta(minutes=5))}


def test_demo_data_values_equal_a_recomputation(app):
    demo.load(db.session, n_persons=400, seed=5, owner=OWNER, snapshots_per_model=1)
    demo.load(db.session, n_persons=100, seed=5, owner=OWNER, snapshots_per_model=1)  # beside existing data
    got = _assert_equal_to_recomputation()
    tips = db.session.execute(
        select(func.count(), func.sum(Interaction.amount)).where(Interaction.type == "tip", Interaction.room == OWNER)
    ).one()
    assert sum(v.tips_count for v in got.values()) == tips[0] > 0
    assert sum(v.tipped_tokens for v in got.values()) == tips[1]
