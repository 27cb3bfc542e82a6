"""mhc/sqlcompat/: each database difference gives the same answer on SQLite and PostgreSQL (or, where a
backend has no such thing, the documented stand-in). The summary triggers are tested through the table
they keep, in tests/services/follows/test_follow_daily.py."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from sqlalchemy import func, literal, select
from sqlalchemy.exc import OperationalError, ProgrammingError

from mhc import sqlcompat
from mhc.extensions import db
from mhc.models import Person, Profile
from mhc.models.types import UTCDateTime
from tests.factories import make_person

T0 = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)


def postgres() -> bool:
    return db.engine.dialect.name == "postgresql"  # the test's own view, independent of the module under test


def test_is_postgres_on_session_connection_and_engine(app):
    with db.engine.connect() as conn:
        answers = {sqlcompat.is_postgres(db.session), sqlcompat.is_postgres(conn), sqlcompat.is_postgres(db.engine)}
    assert answers == {postgres()}


def test_render_inlines_values_in_this_backends_sql(app):
    a, b = sa.column("a"), sa.column("b")
    expected = "extract(epoch FROM a - b)" if postgres() else "(julianday(a) - julianday(b)) * 86400"
    assert sqlcompat.render(db.session, sqlcompat.seconds_between(a, b)) == expected
    assert sqlcompat.render(db.session, a == "it's") == "a = 'it''s'"


def _count(name: str) -> int:
    return db.session.scalar(sa.text(f"SELECT count(*) FROM {name}"))


def test_temp_tables_are_created_filled_replaced_and_dropped(app):
    table = sqlcompat.temp_table("tmp_compat", sa.Column("n", sa.Integer, primary_key=True))
    sqlcompat.create_temp_table(db.session, table)
    assert sqlcompat.insert_rows(db.session, table, [{"n": 1}, {"n": 2}, {"n": 3}]) == 3
    db.session.execute(
        sa.text(sqlcompat.create_temp_table_as(db.session, "tmp_compat_as") + " SELECT n FROM tmp_compat")
    )
    assert (_count("tmp_compat"), _count("tmp_compat_as")) == (3, 3)
    sqlcompat.drop_temp_table(db.session, "tmp_compat_as")
    sqlcompat.drop_temp_table(db.session, "tmp_compat_as")  # dropping twice is fine
    db.session.commit()
    # At commit PostgreSQL drops the rest; SQLite keeps it for the connection's life, until dropped.
    if postgres():
        with pytest.raises(ProgrammingError):
            _count("tmp_compat")
        db.session.rollback()
    else:
        assert _count("tmp_compat") == 3
    sqlcompat.create_temp_table(db.session, table)  # SQLite's leftover is replaced by an empty table
    assert _count("tmp_compat") == 0
    sqlcompat.release_temp_table(db.session, "tmp_compat")  # done with it: gone at the latest at commit
    db.session.commit()
    with pytest.raises(ProgrammingError if postgres() else OperationalError):
        _count("tmp_compat")
    db.session.rollback()


def test_insert_rows_stores_every_kind_of_value(app):
    pid = uuid.uuid4()
    person = {"id": pid, "username": "copied", "role": "VIEWER", "first_seen_at": T0, "is_excluded": True}
    assert sqlcompat.insert_rows(db.session, Person.__table__, [person]) == 1
    profiles = [{"person_id": pid, "tags": ["a", "b,c", 'd"e'], "follower": False, "age": None}]
    assert sqlcompat.insert_rows(db.session, Profile.__table__, profiles) == 1
    assert sqlcompat.insert_rows(db.session, Profile.__table__, []) == 0
    db.session.commit()
    row = db.session.execute(
        select(Person.username, Person.role, Person.first_seen_at, Person.is_excluded, Profile.tags, Profile.age)
        .join(Profile, Profile.person_id == Person.id)
        .where(Person.id == pid)
    ).one()
    assert tuple(row) == ("copied", "VIEWER", T0, True, ["a", "b,c", 'd"e'], None)


def test_insert_or_ignore_and_conflict_update(app):
    make_person("known", "VIEWER")
    table = Person.__table__
    rows = [
        {"id": uuid.uuid4(), "username": name, "platform": "chaturbate", "role": "MODEL", "first_seen_at": T0}
        for name in ("known", "fresh")
    ]
    stmt = sqlcompat.insert_or_ignore(db.session, table, ["platform", "username"]).returning(table.c.username)
    assert db.session.execute(stmt, rows).scalars().all() == ["fresh"]
    upsert = sqlcompat.conflict_insert(db.session, table)
    upsert = upsert.on_conflict_do_update(index_elements=["platform", "username"], set_={"role": upsert.excluded.role})
    db.session.execute(upsert, [{**rows[0], "id": uuid.uuid4(), "role": "BOTH"}])
    db.session.commit()
    assert dict(db.session.execute(select(Person.username, Person.role)).all()) == {"known": "BOTH", "fresh": "MODEL"}


def test_add_by_key_adds_to_each_named_row_only(app):
    a, b, c = (make_person(n).id for n in ("a", "b", "c"))
    sqlcompat.add_by_key(db.session, Person.__table__, "id", "interactions_count", {a: 2, b: 5})
    sqlcompat.add_by_key(db.session, Person.__table__, "id", "interactions_count", {a: 1})
    sqlcompat.add_by_key(db.session, Person.__table__, "id", "interactions_count", {})
    db.session.commit()
    counts = dict(db.session.execute(select(Person.username, Person.interactions_count)).all())
    assert counts == {"a": 3, "b": 5, "c": 0}


def _at(value: datetime):
    return literal(value, UTCDateTime())


def test_seconds_between_and_utc_date(app):
    seconds = sqlcompat.seconds_between(_at(T0 + timedelta(days=2, seconds=90)), _at(T0))
    assert round(db.session.scalar(select(seconds)), 3) == 2 * 86400 + 90.0
    later_elsewhere = datetime(2026, 3, 2, 1, 30, tzinfo=timezone(timedelta(hours=2)))  # 23:30 UTC the day before
    days = db.session.execute(select(sqlcompat.utc_date(_at(T0)), sqlcompat.utc_date(_at(later_elsewhere)))).one()
    assert tuple(days) == (date(2026, 3, 1), date(2026, 3, 1))


def test_json_array_contains_matches_whole_elements(app):
    make_person("tagged", profile={"tags": ["feet", "it's", "latina"]})
    make_person("other", profile={"tags": ["latinas"]})
    make_person("untagged", profile={"tags": None})
    stmt = select(Person.username).join(Profile, Profile.person_id == Person.id).order_by(Person.username)
    found = {
        tag: db.session.scalars(stmt.where(sqlcompat.json_array_contains(Profile.tags, tag))).all()
        for tag in ("latina", "latinas", "it's", "fee")
    }
    assert found == {"latina": ["tagged"], "latinas": ["other"], "it's": ["tagged"], "fee": []}


def test_random_uuid_gives_distinct_version_4_ids(app):
    ids = db.session.execute(select(*(sqlcompat.random_uuid().label(f"u{i}") for i in range(20)))).one()
    ids = [value if isinstance(value, uuid.UUID) else uuid.UUID(value) for value in ids]
    assert len(set(ids)) == 20
    assert {(u.version, u.variant) for u in ids} == {(4, uuid.RFC_4122)}


def test_row_estimates_are_postgres_statistics_or_none(app):
    for i in range(5):
        make_person(f"p{i}", "MODEL" if i < 3 else "VIEWER")
    sqlcompat.analyze(db.session, "persons", "profiles")
    all_ids, one = select(Person.id), select(Person.id).where(Person.username == "p1")
    estimates = (
        sqlcompat.table_rows_estimate(db.session, "persons"),
        sqlcompat.table_rows_estimate(db.session, "no_such_table"),
        sqlcompat.planner_rows(db.session, all_ids),
        sqlcompat.planner_rows_each(db.session, [all_ids, one]),
        {k: round(v, 3) for k, v in sqlcompat.value_shares(db.session, "persons", "role").items()},
    )
    if postgres():
        assert estimates == (5, None, 5, [5, 1], {"MODEL": 0.6, "VIEWER": 0.4})
    else:
        assert estimates == (None, None, None, None, {})


def test_table_names_are_bound_not_spliced(app):
    """A hostile table name is a value to PostgreSQL's catalog lookups, never SQL."""
    make_person("still_here")
    hostile = "persons'); DROP TABLE persons; --"
    assert sqlcompat.table_rows_estimate(db.session, hostile) is None
    assert sqlcompat.value_shares(db.session, hostile, "role") == {}
    assert db.session.scalar(select(func.count()).select_from(Person)) == 1
