"""Unfollow insights against hand-computed values."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from mhc.extensions import db
from mhc.models import FollowEvent, Person
from mhc.services.follows.insights import _followers_at, unfollow_insights, unfollows_per_day
from tests.factories import make_follow_event, make_person

AS_OF = datetime(2026, 3, 31, 12, 0, tzinfo=UTC)


def t(month: int, day: int, hour: int = 12) -> datetime:
    return datetime(2026, month, day, hour, 0, tzinfo=UTC)


HISTORY = {
    "a": [("follow", t(1, 1)), ("unfollow", t(3, 28))],  # 86 days
    "b": [("follow", t(2, 1)), ("unfollow", t(3, 11))],  # 38 days
    "c": [("follow", t(1, 15)), ("unfollow", t(2, 10)), ("follow", t(2, 20)), ("unfollow", t(3, 30, 0))],  # 26, 37.5
    "d": [("follow", t(1, 10))],
    "e": [("follow", t(3, 5))],
    "f": [("follow", t(1, 5)), ("unfollow", t(2, 15))],  # 41 days
    "g": [("unfollow", t(3, 20))],  # no recorded start
    "h": [("follow", t(1, 1)), ("unfollow", t(3, 24))],  # exactly 7 days before AS_OF; 82 days
    "j": [("follow", t(1, 2))],
    "k": [("follow", t(1, 2))],
}


@pytest.fixture
def history(app):
    for name, events in HISTORY.items():
        # The follow state the ledger leaves with such a history: the newest row decides.
        following = events[-1][0] == "follow"
        profile = {
            "follower": following,
            "follower_since": events[0][1],
            "unfollower_at": None if following else events[-1][1],
        }
        person = make_person(name, "VIEWER", first_seen_at=t(1, 1), profile=profile)
        began = None  # the ledger records on each unfollow row when the follow period it ends began
        for action, when in events:
            make_follow_event(
                person, "follower", action, when, period_started_at=began if action == "unfollow" else None
            )
            began = when if action == "follow" else None
    # The other direction never counts.
    other = make_person("model_i", "MODEL", first_seen_at=t(1, 1))
    make_follow_event(other, "following", "unfollow", t(3, 29))


@pytest.mark.parametrize(
    ("window", "expected"),
    [
        # 30 d: followers at Mar 1 12:00 = a b c d h j k, and g, who unfollows on Mar 20 without a recorded
        # follow (8); unfollows a b c g h (5); periods 86 38 37.5 82.
        (30, (2, 5, 60.9, 62.5)),
        # 7 d: followers at Mar 24 12:00 = a c d e j k (6, h left exactly then); unfollows a c; periods 86 37.5.
        (7, (2, 5, 61.8, 33.3)),
        # 90 d: at Dec 31 only g followed (1); unfollows a b c c f g h (7); periods 86 38 26 37.5 41 82.
        (90, (2, 5, 51.8, 700.0)),
    ],
)
def test_insights_hand_computed(history, window, expected):
    got = unfollow_insights(db.session, AS_OF, window)
    assert (got.unfollows_7d, got.unfollows_30d, got.avg_follow_days, got.unfollow_rate_pct) == expected
    assert got.window_days == window


def test_insights_empty(app):
    got = unfollow_insights(db.session, AS_OF, 30)
    assert got.to_dict() == {
        "unfollows_7d": 0,
        "unfollows_30d": 0,
        "avg_follow_days": None,
        "unfollow_rate_pct": None,
        "window_days": 30,
    }


def test_unfollows_per_day(history):
    assert unfollows_per_day(db.session, AS_OF, 7) == [
        (date(2026, 3, 25), 0),
        (date(2026, 3, 26), 0),
        (date(2026, 3, 27), 0),
        (date(2026, 3, 28), 1),
        (date(2026, 3, 29), 0),
        (date(2026, 3, 30), 1),
        (date(2026, 3, 31), 0),
    ]
    per_day = dict(unfollows_per_day(db.session, AS_OF, 30))
    assert len(per_day) == 30
    assert sum(per_day.values()) == 5
    assert per_day[date(2026, 3, 24)] == 1


def test_bad_window(app):
    with pytest.raises(ValueError):
        unfollow_insights(db.session, AS_OF, 14)


def test_the_ledger_records_where_each_follow_period_began(app):
    """Both write paths (complete lists, single observations) store the period start on unfollow rows."""
    from mhc.services.follows.follow_ledger import FollowObservation, apply_follow_list, apply_observations

    apply_follow_list(db.session, "follower", ["ann", "ben", "cal"], t(1, 1), "list_scrape")
    apply_follow_list(db.session, "follower", ["ann", "cal"], t(2, 1), "list_scrape")  # ben unfollows
    apply_observations(db.session, [FollowObservation("ben", "follower", "follow", t(2, 10), "events_api", "e1")])
    apply_observations(db.session, [FollowObservation("ben", "follower", "unfollow", t(3, 1), "events_api", "e2")])
    starts = db.session.execute(
        db.select(FollowEvent.observed_at, FollowEvent.period_started_at)
        .where(FollowEvent.action == "unfollow")
        .order_by(FollowEvent.observed_at)
    ).all()
    assert [tuple(r) for r in starts] == [(t(2, 1), t(1, 1)), (t(3, 1), t(2, 10))]
    assert unfollow_insights(db.session, AS_OF, 90).avg_follow_days == round((31 + 19) / 2, 1)


def test_all_time_window(history):
    """The whole history: every follower unfollow counts, the average covers every recorded period, and the
    rate is null (nobody followed before the first row)."""
    result = unfollow_insights(db.session, AS_OF, None)
    assert (result.unfollows_7d, result.unfollows_30d, result.unfollow_rate_pct, result.window_days) == (
        2,
        5,
        None,
        None,
    )
    assert abs(result.avg_follow_days - (86 + 38 + 26 + 37.5 + 41 + 82) / 6) <= 0.05
    days = unfollows_per_day(db.session, AS_OF, None)
    assert days[0] == (date(2026, 2, 10), 1)  # from the first recorded unfollow
    assert days[-1][0] == date(2026, 3, 31) and sum(n for _, n in days) == 7


def test_followers_at_matches_a_replay_of_the_history(app):
    """Followers at past moments, as the insights count them, equal a replay of every history row, for a
    history the ledger itself wrote from random lists and single observations."""
    import random

    from mhc.services.follows.follow_ledger import FollowObservation, apply_follow_list, apply_observations

    rng = random.Random(5)
    names = [f"p{i}" for i in range(40)]
    for day in range(1, 29):
        when = t(2, day)
        if day % 3:
            apply_follow_list(db.session, "follower", rng.sample(names, rng.randint(25, 32)), when, "list_scrape")
        else:
            action = rng.choice(["follow", "unfollow"])
            apply_observations(
                db.session, [FollowObservation(rng.choice(names), "follower", action, when, "events_api")]
            )
    rows = db.session.execute(
        db.select(FollowEvent.person_id, FollowEvent.action, FollowEvent.observed_at)
        .where(FollowEvent.direction == "follower")
        .order_by(FollowEvent.observed_at, FollowEvent.id)
    ).all()
    for moment in [t(1, 31), t(2, 1), t(2, 7, 6), t(2, 14), t(2, 20, 18), t(3, 1)]:
        state = {}
        for person_id, action, observed_at in rows:
            if observed_at <= moment:
                state[person_id] = action == "follow"
        assert _followers_at(db.session, moment) == sum(state.values()), moment


def test_followers_recorded_before_the_history_count_at_the_window_start(app):
    """Followers the seed's tool marked without history rows were following at the window's start: one
    of ten unfollowing is a 10% rate, not a division by the (empty) history."""
    from mhc.services.follows.follow_ledger import apply_follow_list

    for i in range(10):
        make_person(f"old_{i}", "VIEWER", first_seen_at=t(1, 1), profile={"follower": True, "follower_since": t(1, 1)})
    apply_follow_list(db.session, "follower", [f"old_{i}" for i in range(1, 10)], t(3, 20), "list_scrape")
    got = unfollow_insights(db.session, AS_OF, 30)
    assert (got.unfollows_30d, got.unfollow_rate_pct, got.avg_follow_days) == (1, 10.0, None)


def _every_follower_number(as_of: datetime) -> dict:
    from mhc.services.follows import insights

    return {
        "insights": [unfollow_insights(db.session, as_of, w).to_dict() for w in (7, 30, 90, None)],
        "per_day": [unfollows_per_day(db.session, as_of, w) for w in (7, 30, None)],
        "changes": [insights.follower_changes(db.session, as_of, d) for d in (7, 30)],
        "now": insights.followers_now(db.session),
        "daily": insights.daily_follower_changes(db.session, None),
        "at": [_followers_at(db.session, m) for m in (t(2, 1), t(2, 14), t(2, 20, 18))],
    }


def test_excluded_persons_count_in_no_follower_number(app):
    """Excluding noise accounts gives every insight, chart series and dashboard number exactly what deleting
    them with their history gives, and un-excluding them brings their rows back."""
    import random

    from sqlalchemy import delete, update

    from mhc.services.follows.follow_ledger import apply_follow_list

    rng = random.Random(11)
    names = [f"p{i}" for i in range(30)]
    for day in range(1, 28, 2):
        apply_follow_list(db.session, "follower", rng.sample(names, rng.randint(15, 25)), t(2, day), "list_scrape")
    as_of = t(2, 28)
    everyone = _every_follower_number(as_of)
    noise = ["p1", "p2", "p3"]
    db.session.execute(update(Person).where(Person.username.in_(noise)).values(is_excluded=True))
    db.session.commit()
    excluded = _every_follower_number(as_of)
    assert excluded != everyone
    db.session.execute(update(Person).where(Person.username.in_(noise)).values(is_excluded=False))
    db.session.commit()
    assert _every_follower_number(as_of) == everyone
    db.session.execute(delete(Person).where(Person.username.in_(noise)))
    db.session.commit()
    assert _every_follower_number(as_of) == excluded
