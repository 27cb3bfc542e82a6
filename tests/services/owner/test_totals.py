"""The Hudson totals (mhc/services/owner/totals.py) always equal their aggregate of the history, through the
triggers generated from their definitions; and the page's numbers (the heatmap from the totals, the retention
cohorts from the follow periods) equal the numbers read from the history alone (docs/domain.md#hudson-totals,
docs/domain.md#follow-periods-table)."""

from __future__ import annotations

import random
import uuid
from collections import defaultdict
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, select, update

from mhc.extensions import db
from mhc.models import FollowEvent, Interaction, Person
from mhc.services.follows.follow_ledger import FollowObservation, apply_follow_list, apply_observations
from mhc.services.owner import analytics, totals
from mhc.sqlcompat import triggers as sql_triggers
from tests.factories import make_follow_event, make_interaction, make_person

OWNER = "hudson"
T0 = datetime(2026, 3, 1, 23, 30, 15, 250000, tzinfo=UTC)  # half an hour before midnight, not a whole second


def _one_line(sql: str) -> str:
    return " ".join(sql.replace(" ON public.", " ON ").split())


@pytest.mark.parametrize("kept", totals.ALL, ids=lambda t: t.target.name)
def test_installed_triggers_are_the_ones_generated_from_the_definition(app, kept):
    """What migration 0026 installed is exactly what totals.py generates today, on either backend."""
    generated = kept.triggers(db.session)
    installed = sql_triggers.installed_triggers(db.session, kept.source.name)
    mine = {n: s for n, s in installed.items() if n.startswith(kept.target.name + "_")}
    assert sorted(mine) == [f"{kept.target.name}_{e}" for e in ("delete", "insert", "update")]
    assert {n: _one_line(s) for n, s in mine.items()} == {n: _one_line(s) for n, s in generated.triggers.items()}
    if generated.function:
        assert sql_triggers.installed_function(db.session, generated.function) == generated.function_body
    else:
        assert sql_triggers.installed_function(db.session, f"{kept.target.name}_apply") is None


def _nonzero(rows, keys: int) -> dict:
    return {tuple(r[:keys]): tuple(int(round(float(v))) for v in r[keys:]) for r in rows if any(r[keys:])}


def stored(kept: totals.Totals) -> dict:
    db.session.expire_all()
    return _nonzero(db.session.execute(select(kept.target)).all(), len(kept.keys(kept.source)))


def aggregated(kept: totals.Totals) -> dict:
    return _nonzero(db.session.execute(kept.aggregate()).all(), len(kept.keys(kept.source)))


def hour(moment: datetime) -> int:
    return int(moment.timestamp()) // 3600 * 3600


def expected_slots() -> tuple[dict, dict]:
    """follow_slots and tip_slots computed in Python from every history row."""
    follows, tips = defaultdict(lambda: [0, 0]), defaultdict(lambda: [0, 0])
    for row in db.session.scalars(select(FollowEvent)):
        follows[(row.direction, hour(row.observed_at))][row.action == "unfollow"] += 1
    for row in db.session.scalars(select(Interaction).where(Interaction.type == "tip")):
        if row.room is not None:
            cell = tips[(row.room, hour(row.occurred_at))]
            cell[0], cell[1] = cell[0] + 1, cell[1] + (row.amount or 0)
    return (
        {k: tuple(v) for k, v in follows.items() if any(v)},
        {k: tuple(v) for k, v in tips.items() if any(v)},
    )


def check_all() -> None:
    for kept in totals.ALL:
        assert stored(kept) == aggregated(kept), kept.target.name
    follows, tips = expected_slots()
    assert stored(totals.FOLLOW_SLOTS) == follows
    assert stored(totals.TIP_SLOTS) == tips


def test_triggers_keep_the_totals_equal_to_the_history(app):
    names = [f"p{i}" for i in range(8)]
    apply_follow_list(db.session, "follower", names, T0, "list_scrape")
    apply_follow_list(db.session, "following", names[:3], T0, "list_scrape")
    later = T0 + timedelta(hours=1)
    apply_follow_list(db.session, "follower", names[3:], later, "list_scrape")  # p0-p2 unfollow
    # single observations fill in the period start with an UPDATE after their INSERT
    apply_observations(
        db.session,
        [
            FollowObservation("p5", "follower", "unfollow", later + timedelta(days=2), "events_api", "e1"),
            FollowObservation("p0", "follower", "follow", later + timedelta(days=2), "events_api", "e2"),
        ],
    )
    db.session.commit()
    p1 = db.session.scalar(select(Person).where(Person.username == "p1"))
    for minutes, amount in ((1, 25), (2, None), (61, 100)):
        make_interaction("tip", T0 + timedelta(minutes=minutes), person=p1, room=OWNER, amount=amount)
    make_interaction("tip", T0, person=p1, room="otherroom", amount=5)
    make_interaction("tip", T0, room=None, amount=5)  # no room: counted nowhere
    chat = make_interaction("chatMessage", T0, person=p1, room=OWNER)
    check_all()
    assert stored(totals.TIP_SLOTS)[(OWNER, hour(T0))] == (2, 25)

    # rows moved to another hour, a chat message turned into a tip, a tip into a chat message
    first = db.session.scalar(select(FollowEvent).order_by(FollowEvent.id))
    db.session.execute(update(FollowEvent).where(FollowEvent.id == first.id).values(observed_at=T0 + timedelta(days=5)))
    db.session.execute(update(Interaction).where(Interaction.id == chat.id).values(type="tip", amount=7))
    db.session.execute(
        update(Interaction)
        .where(Interaction.amount == 100)
        .values(type="chatMessage", occurred_at=T0 - timedelta(days=1))
    )
    db.session.execute(update(FollowEvent).where(FollowEvent.action == "unfollow").values(period_started_at=None))
    db.session.commit()
    check_all()

    # a person added directly with an unrecorded period, and persons deleted with their history
    direct = make_person("direct", "VIEWER")
    make_follow_event(direct, "follower", "unfollow", T0 + timedelta(days=6), period_started_at=T0)
    make_interaction("tip", T0 + timedelta(days=6), person=direct, room=OWNER, amount=1)
    check_all()
    db.session.execute(delete(Person).where(Person.username.in_(["p1", "p5", "direct"])))  # tips keep no person
    db.session.execute(delete(Interaction).where(Interaction.room == "otherroom"))
    db.session.commit()
    check_all()


def test_install_fills_the_totals_from_an_existing_history(app):
    """What migration 0026 does to a database with history: empty tables, then install."""
    apply_follow_list(db.session, "follower", ["a", "b", "c"], T0, "list_scrape")
    apply_follow_list(db.session, "follower", ["c"], T0 + timedelta(days=3), "list_scrape")
    make_interaction("tip", T0, room=OWNER, amount=3)
    for kept in totals.ALL:
        db.session.execute(kept.target.delete())
    totals.install(db.session.connection())
    db.session.commit()
    check_all()
    assert stored(totals.FOLLOW_SLOTS)[("follower", hour(T0))] == (3, 0)
    assert stored(totals.TIP_SLOTS) == {(OWNER, hour(T0)): (1, 3)}


# ----------------------------------------------------------------------------------------- read from the totals

AS_OF = datetime(2026, 5, 10, 12, 34, 56, 789000, tzinfo=UTC)
ZONES = ("UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe")


@pytest.fixture
def random_history(app):
    """Two hundred followers over fifteen months: re-follows, repeated unfollows, unfollows with and without a
    recorded period start (or a wrong one), rows in as_of's own hour and after it, excluded persons, tips
    with and without a person, in the owner's room and another."""
    rng = random.Random(7)
    start = AS_OF - timedelta(days=450)
    persons, events, tips = [], [], []
    for i in range(200):
        person = Person(id=uuid.uuid4(), username=f"f{i}", role="VIEWER", first_seen_at=start, is_excluded=i % 37 == 0)
        persons.append(person)
        moment, following = start + timedelta(seconds=rng.randrange(450 * 86400)), False
        period_start = None
        for _ in range(rng.choice((1, 1, 1, 2, 2, 3, 4, 5))):
            action = "unfollow" if following else "follow"
            if rng.random() < 0.05:
                action = "unfollow"  # an unfollow twice (a follow twice is no new follower: test_period_table.py)
            recorded = period_start if action == "unfollow" and rng.random() < 0.85 else None
            if recorded is not None and rng.random() < 0.1:
                recorded -= timedelta(seconds=rng.randrange(1, 86400))  # a start no follow row has
            events.append(
                FollowEvent(
                    person_id=person.id,
                    direction="follower",
                    action=action,
                    source="events_api",
                    observed_at=moment,
                    period_started_at=recorded,
                )
            )
            period_start = moment if action == "follow" else None
            following = action == "follow"
            gap = rng.choice((5, 3600, 86400 * rng.randrange(1, 120), 86400 * 30 - 1, 86400 * 30))
            moment += timedelta(seconds=gap, microseconds=rng.randrange(10**6))
        if rng.random() < 0.3:
            tips.append(_tip(start + timedelta(seconds=rng.randrange(450 * 86400)), person, rng))
    edge = [Person(id=uuid.uuid4(), username=f"edge{i}", role="VIEWER", first_seen_at=start) for i in range(3)]
    persons += edge
    # around as_of (in its hour, and after it): each a change of its person's follow state
    for minutes, person, action in (
        (-70, 0, "follow"),
        (-30, 0, "unfollow"),
        (-1, 1, "follow"),
        (1, 2, "follow"),
        (90, 1, "unfollow"),
    ):
        person = edge[person]
        events.append(
            FollowEvent(
                person_id=person.id,
                direction="follower",
                action=action,
                source="events_api",
                observed_at=AS_OF + timedelta(minutes=minutes),
            )
        )
        tips.append(_tip(AS_OF + timedelta(minutes=minutes), None, rng))
    tips.append(_tip(AS_OF - timedelta(days=3), persons[0], rng, room="otherroom"))
    db.session.add_all(persons)
    db.session.flush()
    db.session.add_all(events + tips)
    db.session.commit()


def _tip(moment: datetime, person, rng, room: str = OWNER) -> Interaction:
    return Interaction(
        event_id=uuid.uuid4().hex,
        type="tip",
        person_id=person.id if person else None,
        room=room,
        amount=rng.choice((1, 25, None)),
        occurred_at=moment,
    )


@pytest.mark.parametrize("zone", ZONES)
def test_the_heatmap_from_the_totals_is_the_heatmap_from_the_history(random_history, zone):
    for as_of in (AS_OF, AS_OF - timedelta(days=40, minutes=17), AS_OF.replace(minute=0, second=0, microsecond=0)):
        got = analytics.activity_heatmap(db.session, OWNER, zone, as_of)
        assert got == analytics.activity_heatmap(db.session, OWNER, zone, as_of, totals=False)
        assert got.total("follows") and got.total("unfollows") and got.total("tips")


@pytest.mark.parametrize("zone", ZONES)
def test_the_cohorts_from_the_periods_are_the_cohorts_from_the_history(random_history, zone):
    for as_of in (AS_OF, AS_OF - timedelta(days=40, minutes=17), AS_OF.replace(minute=0, second=0, microsecond=0)):
        got = analytics.retention_cohorts(db.session, zone, as_of)
        assert got == analytics.retention_cohorts(db.session, zone, as_of, periods=False)
        assert sum(c.gained for c in got) > 100 and any(c.retained[90] for c in got)
