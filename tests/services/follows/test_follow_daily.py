"""follow_daily always equals a per-day aggregate of follow_events (triggers generated from follows/daily.py)."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select, update

from mhc.extensions import db
from mhc.models import FollowDaily, FollowEvent, Person, Profile
from mhc.services.follows import daily
from mhc.services.follows.follow_ledger import FollowObservation, apply_follow_list, apply_observations
from mhc.sqlcompat import triggers as sql_triggers

T0 = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)  # half an hour before midnight: rows fall on two days


def expected() -> dict:
    """The aggregate, computed in Python from every history row."""
    out = defaultdict(lambda: [0, 0, 0, 0.0])
    for row in db.session.scalars(select(FollowEvent)):
        totals = out[(row.direction, row.observed_at.astimezone(UTC).date())]
        totals[0 if row.action == "follow" else 1] += 1
        if row.action == "unfollow" and row.period_started_at is not None:
            totals[2] += 1
            totals[3] += (row.observed_at - row.period_started_at).total_seconds()
    python = {key: (f, u, n, round(s, 3)) for key, (f, u, n, s) in out.items() if (f, u, n, s) != (0, 0, 0, 0)}
    # the definition the triggers are generated from, run as a query, gives the same totals
    assert {
        (d, day): (f, u, n, round(float(s), 3)) for d, day, f, u, n, s in db.session.execute(daily.aggregate())
    } == {
        **{key: (0, 0, 0, 0.0) for key in _days_with_rows()},
        **python,
    }
    return python


def _days_with_rows() -> set:
    return {(r.direction, r.observed_at.astimezone(UTC).date()) for r in db.session.scalars(select(FollowEvent))}


def stored() -> dict:
    db.session.expire_all()
    rows = db.session.scalars(select(FollowDaily))
    return {
        (r.direction, r.day): (r.follows, r.unfollows, r.periods, round(r.period_seconds, 3))
        for r in rows
        if (r.follows, r.unfollows, r.periods, r.period_seconds) != (0, 0, 0, 0)
    }


def test_triggers_keep_the_daily_totals_equal_to_the_history(app):
    names = [f"p{i}" for i in range(12)]
    apply_follow_list(db.session, "follower", names, T0, "list_scrape")
    apply_follow_list(db.session, "following", names[:4], T0, "list_scrape")
    assert (
        stored() == expected() == {("follower", T0.date()): (12, 0, 0, 0.0), ("following", T0.date()): (4, 0, 0, 0.0)}
    )

    later = T0 + timedelta(hours=1)  # the next day
    apply_follow_list(db.session, "follower", names[3:], later, "list_scrape")
    # single observations fill in the period start with an UPDATE after their INSERT
    apply_observations(
        db.session,
        [
            FollowObservation("p5", "follower", "unfollow", later + timedelta(days=2), "events_api", "e1"),
            FollowObservation("p0", "follower", "follow", later + timedelta(days=2), "events_api", "e2"),
        ],
    )
    assert stored() == expected()
    next_day = (T0 + timedelta(days=1)).date()
    assert stored()[("follower", next_day)] == (0, 3, 3, 3 * 3600.0)

    # a row moved to another day, a row written directly, and a person deleted with their history
    first = db.session.scalar(select(FollowEvent).order_by(FollowEvent.id))
    db.session.execute(update(FollowEvent).where(FollowEvent.id == first.id).values(observed_at=T0 + timedelta(days=5)))
    person = Person(id=uuid.uuid4(), username="direct", role="VIEWER", first_seen_at=T0)
    db.session.add(person)
    db.session.add(Profile(person=person, follower=False))
    db.session.flush()
    db.session.add(
        FollowEvent(
            person_id=person.id,
            direction="follower",
            action="unfollow",
            source="manual_import",
            observed_at=T0 + timedelta(days=6),
            period_started_at=T0,
        )
    )
    db.session.commit()
    assert stored() == expected()
    db.session.execute(delete(Person).where(Person.username.in_(["p3", "p5"])))
    db.session.commit()
    assert stored() == expected()


def test_dashboard_charts_read_the_daily_totals(app):
    """Hudson's net-follows chart and its follower series without Stats API samples."""
    from mhc.services.owner import dashboard

    names = [f"p{i}" for i in range(5)]
    apply_follow_list(db.session, "follower", names, T0, "list_scrape")
    apply_follow_list(db.session, "follower", names[2:] + ["p9"], T0 + timedelta(days=2), "list_scrape")
    day0, day2 = T0.date(), (T0 + timedelta(days=2)).date()
    points = dict(dashboard.net_follows_per_day(db.session, T0 + timedelta(days=3), days=5))
    assert points == {(day0 + timedelta(days=i)).isoformat(): {0: 5, 2: 1 - 2}.get(i, 0) for i in range(-1, 4)}
    assert dashboard.followers_series(db.session) == [(day0.isoformat(), 5), (day2.isoformat(), 4)]


def _one_line(sql: str) -> str:
    return " ".join(sql.replace(" ON public.", " ON ").split())


def test_installed_triggers_are_the_ones_generated_from_the_definition(app):
    """What the migrations installed is exactly what daily.py generates today, on either backend."""
    generated = daily.triggers(db.session)
    installed = sql_triggers.installed_triggers(db.session, "follow_events")
    # other totals keep their own triggers on follow_events (tests/services/owner/test_totals.py)
    installed = {n: s for n, s in installed.items() if n.startswith("follow_daily_")}
    assert sorted(installed) == ["follow_daily_delete", "follow_daily_insert", "follow_daily_update"]
    assert {n: _one_line(s) for n, s in installed.items()} == {n: _one_line(s) for n, s in generated.triggers.items()}
    if generated.function:
        assert sql_triggers.installed_function(db.session, generated.function) == generated.function_body
    else:
        assert sql_triggers.installed_function(db.session, "follow_daily_apply") is None
