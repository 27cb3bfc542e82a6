"""Migration 0024 backfills the fan value of existing persons from `interactions`, and goes down cleanly."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from mhc.extensions import db
from mhc.services.users import value
from tests.conftest import make_app
from tests.foundation.test_migrations import empty_db_url  # noqa: F401  (the fixture)

T0 = datetime(2026, 10, 1, 12, 0, tzinfo=UTC)
VALUE_COLUMNS = {"tipped_tokens", "tips_count", "last_tip_at", "first_seen_in_room_at"}


def _columns(table: str) -> set[str]:
    return {c["name"] for c in sa.inspect(db.engine).get_columns(table)}


def _index_defs() -> dict[str, str]:
    """PostgreSQL's definitions (after the access method) of the indexes 0024 makes covering."""
    names = ("idx_profiles_unfollowed", "ix_profiles_follower", "ix_persons_tips_count")
    rows = db.session.execute(
        sa.text("SELECT indexname, indexdef FROM pg_indexes WHERE indexname IN :names").bindparams(
            sa.bindparam("names", expanding=True)
        ),
        {"names": list(names)},
    )
    out = {name: definition.split(" USING btree ", 1)[1] for name, definition in rows}
    db.session.rollback()
    return out


def _seed_0023(owner: str) -> dict[str, str]:
    """Persons and events as a 0023 database holds them (written through the reflected tables)."""
    meta = sa.MetaData()
    meta.reflect(db.engine, only=["persons", "interactions"])
    persons, events = meta.tables["persons"], meta.tables["interactions"]
    ids = {name: uuid.uuid4().hex for name in ("fan", "lurker", "other_room", owner)}
    rows = [
        # (person, type, room, from, amount, minutes after T0, flagged)
        ("fan", "userEnter", owner, "fan", None, 0, False),
        ("fan", "tip", owner, "fan", 25, 5, False),
        ("fan", "tip", owner, "fan", 100, 9, False),
        ("fan", "tip", owner, "fan", 40, 12, True),  # flagged: not counted
        ("lurker", "chatMessage", owner, "lurker", None, 3, False),
        ("other_room", "tip", "other_room", owner, 500, 4, False),  # the owner's tip elsewhere
        (owner, "broadcastStart", owner, owner, None, 0, False),
    ]
    with db.engine.begin() as conn:
        conn.execute(
            persons.insert(),
            [{"id": pid, "username": name, "role": "VIEWER", "first_seen_at": T0} for name, pid in ids.items()],
        )
        conn.execute(
            events.insert(),
            [
                {
                    "event_id": f"e{i}",
                    "type": kind,
                    "person_id": ids[who],
                    "room": room,
                    "from_username": sender,
                    "amount": amount,
                    "occurred_at": T0 + timedelta(minutes=minutes),
                    "is_flagged": flagged,
                }
                for i, (who, kind, room, sender, amount, minutes, flagged) in enumerate(rows)
            ],
        )
    return ids


def test_backfill_then_down_and_up(empty_db_url, tmp_path):  # noqa: F811
    app = make_app(empty_db_url, tmp_path)
    owner = app.config["OWNER_USERNAME"]
    with app.app_context():
        upgrade(revision="0023")
        assert not VALUE_COLUMNS & _columns("persons")
        ids = _seed_0023(owner)
        upgrade(revision="0024")
        by_name = {uuid.UUID(pid): name for name, pid in ids.items()}
        got = {by_name[pid]: v for pid, v in value.stored_values(db.session).items()}
        assert got == {
            "fan": value.FanValue(125, 2, T0 + timedelta(minutes=9), T0),
            "lurker": value.FanValue(0, 0, None, T0 + timedelta(minutes=3)),
        }
        if db.engine.dialect.name == "postgresql":
            assert _index_defs() == {
                "idx_profiles_unfollowed": "(unfollower_at) INCLUDE (person_id) WHERE (unfollower_at IS NOT NULL)",
                "ix_profiles_follower": "(follower_since) INCLUDE (person_id) WHERE follower",
                "ix_persons_tips_count": "(tips_count, id) INCLUDE (role)",
            }
        db.session.rollback()
        downgrade(revision="0023")
        if db.engine.dialect.name == "postgresql":
            assert _index_defs() == {
                "idx_profiles_unfollowed": "(unfollower_at) WHERE (unfollower_at IS NOT NULL)",
                "ix_profiles_follower": "(follower_since) WHERE follower",
            }
        assert not VALUE_COLUMNS & _columns("persons")
        assert "v_person_current_state" in sa.inspect(db.engine).get_view_names()
        upgrade(revision="0024")
        assert VALUE_COLUMNS <= _columns("persons")
        db.session.remove()
        db.engine.dispose()
