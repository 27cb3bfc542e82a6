"""The names a preview shows are the persons the apply then changes: same plan, same rules (both backends)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from mhc.extensions import db
from mhc.models import FollowEvent, FollowPending, Person
from mhc.services.follows.follow_ledger import (
    FollowObservation,
    apply_follow_list,
    apply_observations,
    preview_with_names,
)
from mhc.services.follows.ledger_types import NAME_GROUPS, NamesQuery

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
EVERYONE = NamesQuery(per_page=1000)
pytestmark = pytest.mark.usefixtures("app")


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def names(pages: dict, group: str) -> list[str]:
    return [n.username for n in pages[group].names]


def newest_event() -> int:
    return db.session.scalar(select(db.func.max(FollowEvent.id))) or 0


def events(action: str, after_id: int) -> list[str]:
    """Whose history rows of this action were written after event `after_id`."""
    db.session.expire_all()
    stmt = (
        select(Person.username)
        .join(FollowEvent, FollowEvent.person_id == Person.id)
        .where(FollowEvent.action == action, FollowEvent.id > after_id)
        .order_by(Person.username)
    )
    return list(db.session.scalars(stmt))


def all_persons() -> set[str]:
    db.session.expire_all()
    return set(db.session.scalars(select(Person.username)))


def pending_names() -> list[str]:
    db.session.expire_all()
    stmt = select(Person.username).join(FollowPending, FollowPending.person_id == Person.id).order_by(Person.username)
    return list(db.session.scalars(stmt))


def test_names_are_exactly_what_the_apply_changes():
    """Added, removed and new names against the follow_events and persons the confirmed apply writes;
    a person with newer history (an unfollow after the list was read) is in no group."""
    apply_follow_list(db.session, "follower", [f"fan_{i}" for i in range(12)] + ["gone_a"], T0, "manual_import")
    apply_follow_list(db.session, "follower", [f"fan_{i}" for i in range(12)], at(1), "manual_import")  # gone_a left
    late = FollowObservation("fan_11", "follower", "unfollow", at(30), "events_api", "ev-late")
    apply_observations(db.session, [late])
    listed = ["fan_0", "fan_1", "fan_11", "gone_a", "new_b", "new_a"]
    before = all_persons()
    result, pages = preview_with_names(db.session, "follower", listed, EVERYONE, at(10))
    assert names(pages, "added") == ["gone_a", "new_a", "new_b"]
    assert names(pages, "created") == ["new_a", "new_b"]
    assert [n.exists for n in pages["added"].names] == [True, False, False]
    assert names(pages, "removed") == sorted(f"fan_{i}" for i in range(2, 11))
    assert names(pages, "pending") == []
    assert (pages["added"].total, pages["removed"].total, pages["created"].total) == (3, 9, 2)
    assert (result.added, result.removed, result.created) == (3, 9, 2)
    assert all_persons() == before  # the preview wrote nothing
    started = newest_event()
    applied = apply_follow_list(db.session, "follower", listed, at(10), "manual_import", confirm_mass_removal=True)
    assert events("follow", started) == names(pages, "added")
    assert events("unfollow", started) == names(pages, "removed")
    assert sorted(all_persons() - before) == names(pages, "created")
    assert (applied.added, applied.removed, applied.created) == (3, 9, 2)


def test_pending_names_are_the_persons_left_pending_and_removed_later():
    """A list with no count: missing persons are named as pending; a later list removes exactly those it names."""
    wait = timedelta(minutes=10)
    fans = [f"fan_{i}" for i in range(6)]
    apply_follow_list(db.session, "follower", fans, T0, "manual_import")
    first = fans[:4]
    _, pages = preview_with_names(db.session, "follower", first, EVERYONE, at(1), wait)
    assert (names(pages, "pending"), names(pages, "removed")) == (["fan_4", "fan_5"], [])
    apply_follow_list(db.session, "follower", first, at(1), "list_scrape", pending_after=wait)
    assert pending_names() == names(pages, "pending")
    second = fans[:3] + ["fan_4"]  # fan_3 newly missed (pending), fan_4 back, fan_5 missed long enough
    _, pages = preview_with_names(db.session, "follower", second, EVERYONE, at(20), wait)
    assert (names(pages, "pending"), names(pages, "removed")) == (["fan_3"], ["fan_5"])
    started = newest_event()
    apply_follow_list(db.session, "follower", second, at(20), "list_scrape", pending_after=wait)
    assert events("unfollow", started) == ["fan_5"]
    assert pending_names() == ["fan_3"]


def test_paging_and_search():
    """Pages of one group by username; the search is a literal part of the username (`_` is no wildcard)."""
    fans = [f"fan_{i:03d}" for i in range(120)] + ["fanx1"]
    apply_follow_list(db.session, "follower", fans, T0, "manual_import")
    _, pages = preview_with_names(db.session, "follower", ["fan_000"], NamesQuery(group="removed", page=3), at(1))
    assert pages["removed"].total == 120
    assert (pages["removed"].page, pages["removed"].pages) == (3, 3)
    assert names(pages, "removed") == [f"fan_{i:03d}" for i in range(101, 120)] + ["fanx1"]
    _, past = preview_with_names(db.session, "follower", ["fan_000"], NamesQuery(group="removed", page=9), at(1))
    assert past["removed"] == pages["removed"]  # past the end: the last page
    _, pages = preview_with_names(db.session, "follower", ["fan_000"], NamesQuery(search="N_1"), at(1))
    assert pages["removed"].total == 20  # fan_100..fan_119, not fanx1
    assert names(pages, "removed")[:2] == ["fan_100", "fan_101"]
    _, pages = preview_with_names(db.session, "follower", ["fan_000"], NamesQuery(search="%"), at(1))
    assert all(pages[g].total == 0 for g in NAME_GROUPS)
