"""The follow_periods table (mhc/services/follows/period_table.py) always equals the periods of the history,
through the triggers generated from its definition, whoever writes the history and however
(docs/domain.md#follow-periods-table)."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, insert, select, update

from mhc.extensions import db
from mhc.models import FollowEvent, FollowPeriod, Person
from mhc.services.follows import period_table, periods
from mhc.services.follows.follow_ledger import FollowObservation, apply_follow_list, apply_observations
from mhc.services.owner import analytics
from mhc.sqlcompat import triggers as sql_triggers
from tests.factories import make_follow_event, make_person

T0 = datetime(2026, 3, 1, 23, 30, 15, 250000, tzinfo=UTC)


def _one_line(sql: str) -> str:
    return " ".join(sql.replace(" ON public.", " ON ").split())


def test_installed_triggers_are_the_ones_generated_from_the_definition(app):
    """What migration 0032 installed is exactly what period_table.py generates today, on either backend."""
    generated = period_table.triggers(db.session)
    installed = sql_triggers.installed_triggers(db.session, "follow_events")
    mine = {n: s for n, s in installed.items() if n.startswith("follow_periods_")}
    assert sorted(mine) == [f"follow_periods_{e}" for e in ("delete", "insert", "update")]
    assert {n: _one_line(s) for n, s in mine.items()} == {n: _one_line(s) for n, s in generated.triggers.items()}
    if generated.function:
        assert sql_triggers.installed_function(db.session, generated.function) == generated.function_body


def _seconds(later, earlier) -> int | None:
    if later is None:
        return None
    return int(later.timestamp() // 1) - int(earlier.timestamp() // 1)


def expected() -> list[tuple]:
    """The periods computed in Python from every history row: per person and direction in observed order,
    repeats dropped, each follow ended by the next change."""
    by_key = defaultdict(list)
    for row in db.session.scalars(select(FollowEvent).order_by(FollowEvent.observed_at, FollowEvent.id)):
        changes = by_key[(row.person_id, row.direction)]
        if not changes or changes[-1].action != row.action:
            changes.append(row)
    out = []
    for (person_id, direction), changes in by_key.items():
        for i, row in enumerate(changes):
            if row.action != "follow":
                continue
            ended = changes[i + 1].observed_at if i + 1 < len(changes) else None
            back = changes[i + 2].observed_at if i + 2 < len(changes) else None
            previous = changes[i - 2].observed_at if i >= 2 else None
            started = row.observed_at
            out.append(
                (person_id, direction, started, ended, previous, _seconds(ended, started), _seconds(back, started))
            )
    return sorted(out, key=str)


def stored() -> list[tuple]:
    db.session.expire_all()
    p = FollowPeriod.__table__
    columns = (p.c.person_id, p.c.direction, p.c.started_at, p.c.ended_at, p.c.previous_started_at)
    rows = db.session.execute(select(*columns, p.c.lasted_seconds, p.c.back_after_seconds)).all()
    return sorted((tuple(r) for r in rows), key=str)


def check() -> None:
    assert stored() == expected()


def test_triggers_keep_the_periods_equal_to_the_history(app):
    names = [f"p{i}" for i in range(8)]
    apply_follow_list(db.session, "follower", names, T0, "list_scrape")
    apply_follow_list(db.session, "following", names[:3], T0, "list_scrape")
    later = T0 + timedelta(hours=1)
    apply_follow_list(db.session, "follower", names[3:], later, "list_scrape")  # p0-p2 unfollow
    apply_follow_list(db.session, "follower", names, later + timedelta(days=1), "list_scrape")  # and come back
    # single observations fill in the period start with an UPDATE after their INSERT
    apply_observations(
        db.session,
        [
            FollowObservation("p5", "follower", "unfollow", later + timedelta(days=2), "events_api", "e1"),
            FollowObservation("p9", "follower", "follow", later + timedelta(days=2), "events_api", "e2"),
        ],
    )
    db.session.commit()
    check()
    assert len(stored()) == 8 + 3 + 3 + 1  # p0-p2 have two follower periods

    # one statement with several rows per person, not in time order, repeats included
    direct, other = make_person("direct", "VIEWER"), make_person("other", "VIEWER")
    rows = [
        (direct, "unfollow", 9),
        (direct, "follow", 1),
        (other, "follow", 2),
        (direct, "follow", 3),
        (direct, "unfollow", 5),
        (direct, "follow", 4),
        (other, "follow", 6),
    ]
    db.session.execute(
        insert(FollowEvent),
        [
            {
                "person_id": person.id,
                "direction": "follower",
                "action": action,
                "source": "events_api",
                "observed_at": T0 + timedelta(days=day),
            }
            for person, action, day in rows
        ],
    )
    db.session.commit()
    check()

    # rows moved to another time and another person, rows deleted, persons deleted with their history
    first = db.session.scalar(select(FollowEvent).where(FollowEvent.person_id == direct.id).order_by(FollowEvent.id))
    db.session.execute(
        update(FollowEvent).where(FollowEvent.id == first.id).values(observed_at=T0 + timedelta(days=20))
    )
    db.session.execute(update(FollowEvent).where(FollowEvent.person_id == other.id).values(person_id=direct.id))
    db.session.commit()
    check()
    db.session.execute(
        delete(FollowEvent).where(FollowEvent.action == "unfollow", FollowEvent.direction == "following")
    )
    direct_id = direct.id
    db.session.execute(delete(Person).where(Person.username.in_(["p1", "p5", "direct"])))
    db.session.commit()
    check()
    assert not db.session.scalar(select(FollowPeriod.id).where(FollowPeriod.person_id == direct_id))


def test_install_fills_the_periods_from_an_existing_history(app):
    """What migration 0032 does to a database with history: an empty table, then install."""
    apply_follow_list(db.session, "follower", ["a", "b", "c"], T0, "list_scrape")
    make_follow_event(make_person("d", "VIEWER"), "follower", "follow", T0 - timedelta(days=3))
    make_follow_event(
        db.session.scalar(select(Person).where(Person.username == "a")), "follower", "unfollow", T0 + timedelta(days=3)
    )
    db.session.execute(FollowPeriod.__table__.delete())
    period_table.install(db.session.connection())
    db.session.commit()
    check()
    assert sorted(r[5] or 0 for r in stored()) == [0, 0, 0, 3 * 86400]


def test_a_follow_while_following_is_no_new_follower(app):
    """Two sources seeing one follow (or a follow the history saw twice) make one period, and one member of
    the retention cohorts: the month of the first."""
    person = make_person("twice", "VIEWER")
    make_follow_event(person, "follower", "follow", datetime(2026, 1, 10, tzinfo=UTC))
    make_follow_event(person, "follower", "follow", datetime(2026, 2, 10, tzinfo=UTC))
    make_follow_event(person, "follower", "unfollow", datetime(2026, 2, 20, tzinfo=UTC))
    check()
    assert [(r[2].month, r[3].month) for r in stored()] == [(1, 2)]
    cohorts = analytics.retention_cohorts(db.session, "UTC", datetime(2026, 6, 1, tzinfo=UTC))
    assert [(c.month, c.gained, c.retained[30], c.retained[60]) for c in cohorts] == [
        ("2026-01", 1, 1, 0),
        ("2026-02", 0, 0, 0),
        ("2026-03", 0, 0, 0),
        ("2026-04", 0, 0, None),
        ("2026-05", 0, None, None),
        ("2026-06", 0, None, None),
    ]


def test_uuid_keys_match_on_both_backends(app):
    """The triggers compare person ids as each backend stores them (SQLite: 32 hex digits)."""
    person = Person(id=uuid.uuid4(), username="hexy", role="VIEWER", first_seen_at=T0)
    db.session.add(person)
    db.session.commit()
    make_follow_event(person, "following", "follow", T0)
    make_follow_event(person, "following", "unfollow", T0 + timedelta(seconds=90))
    assert stored() == [(person.id, "following", T0, T0 + timedelta(seconds=90), None, 90, None)]


def test_the_table_agrees_with_the_profile_pages_periods_on_a_history_the_ledger_wrote(app):
    """The Profile page tells periods from the rows themselves (mhc/services/follows/periods.py, which also
    shows periods whose follow the history lacks); where every period began with a follow in the history,
    both give the same periods."""
    names = [f"f{i}" for i in range(12)]
    moment = T0
    for step in range(6):  # people leave and come back, list by list
        listed = [n for i, n in enumerate(names) if (i + step) % 3 != 0 or step == 0]
        apply_follow_list(db.session, "follower", listed, moment, "list_scrape", confirm_mass_removal=True)
        moment += timedelta(days=9, hours=step)
    ids = db.session.scalars(select(Person.id)).all()
    shown = periods.periods_for(db.session, ids, ["follower"])
    from_profile = sorted((pid, p.started_at, p.ended_at) for (pid, _), found in shown.items() for p in found)
    from_table = sorted((r[0], r[2], r[3]) for r in stored())
    assert from_table == from_profile and len(from_table) > len(names)
