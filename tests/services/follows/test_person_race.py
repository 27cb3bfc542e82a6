"""A list apply racing another writer that creates the same new persons (PostgreSQL, where writers interleave)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select, text

from mhc import sqlcompat
from mhc.extensions import db
from mhc.models import Person, Profile
from mhc.services.follows.follow_ledger import apply_follow_list
from mhc.services.follows.list_apply import ListApply

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def test_a_person_created_by_another_writer_after_the_load_is_found_on_a_second_load(app, monkeypatch):
    if not sqlcompat.is_postgres(db.session):
        pytest.skip("SQLite has one write lock: no other writer can commit inside a list apply")
    loads = []
    real_load = ListApply.load

    def load_then_other_writer_commits(self, names):
        real_load(self, names)
        loads.append(names)
        if len(loads) == 1:  # between this apply's load and its inserts, an Events batch stores "bob"
            with db.engine.begin() as other:
                other.execute(
                    text(
                        "INSERT INTO persons (id, username, platform, role, first_seen_at) "
                        "VALUES (gen_random_uuid(), 'bob', 'chaturbate', 'VIEWER', now())"
                    )
                )

    monkeypatch.setattr(ListApply, "load", load_then_other_writer_commits)
    result = apply_follow_list(db.session, "follower", ["alice", "bob"], T0, "manual_import")

    assert len(loads) == 2
    assert result.applied and result.added == 2
    assert result.created == 1  # alice; bob was the other writer's
    rows = db.session.execute(select(Person.username, Person.role).order_by(Person.username)).all()
    assert rows == [("alice", "VIEWER"), ("bob", "VIEWER")]
    assert db.session.scalar(select(func.count()).select_from(Profile).where(Profile.follower.is_(True))) == 2
