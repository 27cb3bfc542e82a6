"""Removals must be proven: pending persons (lists with no count), the relative mass-removal guard, empty lists."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from mhc.extensions import db
from mhc.models import FollowEvent, FollowPending, Person, Profile
from mhc.services.follows.follow_ledger import (
    FollowObservation,
    apply_follow_list,
    apply_observations,
    pending_persons,
    preview_follow_list,
)

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
WAIT = timedelta(minutes=10)
FANS = [f"fan_{i}" for i in range(10)]


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def followers() -> list[str]:
    db.session.expire_all()
    stmt = select(Person.username).join(Profile).where(Profile.follower).order_by(Person.username)
    return db.session.scalars(stmt).all()


def pending() -> list[tuple]:
    db.session.expire_all()
    stmt = (
        select(Person.username, FollowPending.direction, FollowPending.first_missed_at)
        .join(Person, Person.id == FollowPending.person_id)
        .order_by(Person.username)
    )
    return [tuple(r) for r in db.session.execute(stmt)]


def unfollows() -> list[tuple]:
    db.session.expire_all()
    stmt = (
        select(Person.username, FollowEvent.observed_at, FollowEvent.period_started_at)
        .join(Person, Person.id == FollowEvent.person_id)
        .where(FollowEvent.action == "unfollow")
        .order_by(Person.username)
    )
    return [tuple(r) for r in db.session.execute(stmt)]


def ended(username: str) -> datetime | None:
    db.session.expire_all()
    return db.session.scalar(select(Profile.unfollower_at).join(Person).where(Person.username == username))


def without(*names: str) -> list[str]:
    return [n for n in FANS if n not in names]


@pytest.fixture
def fans(app):
    apply_follow_list(db.session, "follower", FANS, T0, "manual_import")


def test_missing_once_is_pending_then_unfollowed_at_the_first_miss(fans):
    r = apply_follow_list(db.session, "follower", without("fan_1", "fan_2"), at(1), "list_scrape", pending_after=WAIT)
    assert (r.removed, r.pending, r.pending_cleared, r.held) == (0, 2, 0, False)
    assert followers() == FANS
    assert pending() == [("fan_1", "follower", at(1)), ("fan_2", "follower", at(1))]

    # The same read again, and a read too soon: nothing changes.
    for when in (at(1), at(10.9)):
        r = apply_follow_list(
            db.session, "follower", without("fan_1", "fan_2"), when, "list_scrape", pending_after=WAIT
        )
        assert (r.removed, r.pending, r.added) == (0, 2, 0)
    assert pending() == [("fan_1", "follower", at(1)), ("fan_2", "follower", at(1))]

    # fan_2 is listed again (cleared); fan_1 is still missing ten minutes after the first miss: unfollowed then.
    r = apply_follow_list(db.session, "follower", without("fan_1"), at(11), "list_scrape", pending_after=WAIT)
    assert (r.removed, r.pending, r.pending_cleared) == (1, 0, 1)
    assert followers() == without("fan_1")
    assert pending() == []
    assert ended("fan_1") == at(1)
    assert unfollows() == [("fan_1", at(1), T0)]


def test_preview_counts_pending_and_writes_nothing(fans):
    r = preview_follow_list(db.session, "follower", without("fan_3"), at(1), pending_after=WAIT)
    assert (r.removed, r.pending, r.held) == (0, 1, False)
    assert pending() == [] and followers() == FANS


def test_a_proven_list_removes_a_pending_person_at_the_first_miss(fans):
    apply_follow_list(db.session, "follower", without("fan_4"), at(1), "list_scrape", pending_after=WAIT)
    r = apply_follow_list(db.session, "follower", without("fan_4"), at(2), "list_scrape")  # a count proves it
    assert (r.removed, r.pending) == (1, 0)
    assert ended("fan_4") == at(1)
    assert pending() == []


def test_a_history_row_after_the_first_miss_restarts_the_wait(fans):
    apply_follow_list(db.session, "follower", without("fan_5"), at(1), "list_scrape", pending_after=WAIT)
    apply_observations(
        db.session,
        [
            FollowObservation("fan_5", "follower", "unfollow", at(3), "events_api", "e1"),
            FollowObservation("fan_5", "follower", "follow", at(4), "events_api", "e2"),
        ],
    )
    r = apply_follow_list(db.session, "follower", without("fan_5"), at(12), "list_scrape", pending_after=WAIT)
    assert (r.removed, r.pending) == (0, 1)
    assert pending() == [("fan_5", "follower", at(12))]


def test_an_older_list_never_undoes_newer_state(fans):
    apply_observations(
        db.session,
        [
            FollowObservation("fan_6", "follower", "unfollow", at(30), "events_api", "e1"),
            FollowObservation("fan_6", "follower", "follow", at(31), "events_api", "e2"),
        ],
    )
    apply_follow_list(db.session, "follower", without("fan_6"), at(1), "list_scrape", pending_after=WAIT)
    r = apply_follow_list(db.session, "follower", without("fan_6"), at(20), "list_scrape", pending_after=WAIT)
    assert (r.removed, r.pending, r.ignored_older) == (0, 0, 1)
    assert followers() == FANS and pending() == []


def test_pending_persons_lists_marked_pending_ones(fans):
    apply_follow_list(db.session, "follower", without("fan_7", "fan_8"), at(1), "list_scrape", pending_after=WAIT)
    assert [(p.username, p.direction, p.first_missed_at) for p in pending_persons(db.session)] == [
        ("fan_7", "follower", at(1)),
        ("fan_8", "follower", at(1)),
    ]


GUARD = [
    # (marked before, names kept, held)
    (5, 0, True),  # 5 -> 0 through a list of other names: all of them
    (5, 2, True),  # 3 of 5: half or more
    (4, 2, True),  # exactly half
    (5, 3, False),  # 2 of 5
    (30, 20, False),  # 10 of 30: under both rules
    (30, 19, True),  # 11 of 30: more than 10 and more than 20 %
]


@pytest.mark.parametrize(("before", "kept", "held"), GUARD)
def test_mass_removal_guard_is_relative_and_absolute(app, before, kept, held):
    names = [f"p_{i}" for i in range(before)]
    apply_follow_list(db.session, "follower", names, T0, "manual_import")
    listed = names[:kept] + ["newcomer"]
    assert preview_follow_list(db.session, "follower", listed, at(1)).held is held
    r = apply_follow_list(db.session, "follower", listed, at(1), "manual_import")
    assert (r.held, r.removed, r.current) == (held, before - kept, before)
    assert len(followers()) == (before if held else kept + 1)


def test_half_or_more_is_held_until_confirmed(app):
    apply_follow_list(db.session, "follower", FANS[:5], T0, "manual_import")
    r = apply_follow_list(db.session, "follower", ["someone_else"], at(1), "manual_import")
    assert r.held and r.reason == "would mark 5 of 5 as unfollowed (half or more of them): confirm to apply"
    assert followers() == FANS[:5]
    r = apply_follow_list(db.session, "follower", ["someone_else"], at(1), "manual_import", confirm_mass_removal=True)
    assert (r.held, r.removed) == (False, 5)
    assert followers() == ["someone_else"]


def test_an_empty_list_with_nobody_marked_changes_nothing_and_needs_no_confirmation(app):
    r = apply_follow_list(db.session, "follower", [], at(1), "manual_import")
    assert (r.held, r.applied, r.removed, r.reason) == (False, True, 0, None)
    assert followers() == []


@pytest.mark.parametrize("before", [1, 5])
def test_an_empty_list_needs_confirmation(app, before):
    apply_follow_list(db.session, "follower", FANS[:before], T0, "manual_import")
    r = preview_follow_list(db.session, "follower", [], at(1))
    assert r.held and r.reason.startswith("the list is empty: would mark")
    r = apply_follow_list(db.session, "follower", [], at(1), "manual_import")
    assert (r.held, r.applied) == (True, False)
    assert (
        r.reason == f"the list is empty: would mark {before} of {before} as unfollowed; confirm to apply an empty list"
    )
    assert followers() == FANS[:before]
    r = apply_follow_list(db.session, "follower", [], at(1), "manual_import", confirm_mass_removal=True)
    assert (r.held, r.removed) == (False, before)
    assert followers() == []
