"""Follow periods (mhc/services/follows/periods.py): pure rules, and one query for a page of persons."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import event

from mhc.extensions import db
from mhc.models import Person
from mhc.services.follows.follow_ledger import apply_follow_list
from mhc.services.follows.periods import Period, Row, periods_for, periods_from_rows, unfollow_count, with_current_state
from tests.factories import make_follow_event, make_person


def t(month: int, day: int) -> datetime:
    return datetime(2026, month, day, 12, tzinfo=UTC)


def test_never_unfollowed_is_one_ongoing_period():
    periods = periods_from_rows([Row("follow", t(11, 12))])
    assert periods == [Period(t(11, 12), None)]
    assert periods[0].ongoing and periods[0].seconds(t(11, 22)) == 10 * 86400


def test_refollow_makes_two_periods_with_recorded_starts():
    rows = [
        Row("follow", t(11, 12)),
        Row("unfollow", t(11, 20), t(11, 12)),
        Row("follow", t(11, 22)),
        Row("unfollow", t(11, 28), t(11, 22)),
    ]
    assert periods_from_rows(rows) == [Period(t(11, 12), t(11, 20)), Period(t(11, 22), t(11, 28))]
    assert unfollow_count(periods_from_rows(rows)) == 2


def test_refollow_and_still_following():
    rows = [Row("follow", t(11, 12)), Row("unfollow", t(11, 20), t(11, 12)), Row("follow", t(11, 22))]
    assert periods_from_rows(rows) == [Period(t(11, 12), t(11, 20)), Period(t(11, 22), None)]


def test_unfollow_without_recorded_start():
    """The follow is older than the history: the start is unknown and has no length."""
    periods = periods_from_rows([Row("unfollow", t(11, 20))])
    assert periods == [Period(None, t(11, 20))]
    assert periods[0].seconds(t(12, 1)) is None
    # inside the history the open follow is the start when the row recorded none
    assert periods_from_rows([Row("follow", t(11, 1)), Row("unfollow", t(11, 5))]) == [Period(t(11, 1), t(11, 5))]


def test_a_second_source_seeing_the_same_change_adds_no_period():
    rows = [
        Row("follow", t(11, 1)),
        Row("follow", t(11, 2)),  # the list read saw the follow the events feed reported
        Row("unfollow", t(11, 5), t(11, 2)),
        Row("unfollow", t(11, 6)),  # seen again
    ]
    assert periods_from_rows(rows) == [Period(t(11, 2), t(11, 5))]


def test_profile_state_without_history():
    assert with_current_state([], True, t(10, 1)) == [Period(t(10, 1), None)]
    ended = [Period(t(11, 1), t(11, 5))]
    assert with_current_state(ended, True, t(11, 1)) == [*ended, Period(None, None)]
    assert with_current_state(ended, False, t(11, 1)) == ended


def test_periods_for_reads_both_directions_of_many_persons_in_one_query(app):
    ann, ben, cal = make_person("ann"), make_person("ben"), make_person("cal")
    make_follow_event(ann, "follower", "follow", t(11, 12))
    make_follow_event(ann, "follower", "unfollow", t(11, 20), period_started_at=t(11, 12))
    make_follow_event(ann, "follower", "follow", t(11, 22))
    make_follow_event(ann, "following", "follow", t(11, 1))
    make_follow_event(ben, "following", "unfollow", t(11, 3))
    ids = [ann.id, ben.id, cal.id]
    statements = []
    listen = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listen)
    try:
        got = periods_for(db.session, ids)
    finally:
        event.remove(db.engine, "before_cursor_execute", listen)
    assert len(statements) == 1
    assert got == {
        (ann.id, "follower"): [Period(t(11, 12), t(11, 20)), Period(t(11, 22), None)],
        (ann.id, "following"): [Period(t(11, 1), None)],
        (ben.id, "following"): [Period(None, t(11, 3))],
    }
    assert periods_for(db.session, [ann.id], ["following"]) == {(ann.id, "following"): [Period(t(11, 1), None)]}


def test_periods_match_what_the_ledger_writes(app):
    apply_follow_list(db.session, "follower", ["ann"], t(11, 12), "list_scrape")
    apply_follow_list(db.session, "follower", [], t(11, 20), "list_scrape", confirm_mass_removal=True)
    apply_follow_list(db.session, "follower", ["ann"], t(11, 22), "list_scrape")
    ann = db.session.scalar(db.select(Person).where(Person.username == "ann"))
    periods = periods_for(db.session, [ann.id])[(ann.id, "follower")]
    assert [p.started_at for p in periods] == [t(11, 12), t(11, 22)]
    assert periods[0].ended_at is not None and periods[1].ongoing
