"""Person identity: ensure_persons creates, merges and normalises; the role-merge rule agrees in Python and SQL."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from mhc.extensions import db
from mhc.models import PLATFORM, Person, Role, merge_role, merge_role_sql
from mhc.models.persons import ROLE_MERGE, SEEN_AS, role_changes_sql
from mhc.services import persons
from tests.factories import make_person

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
T1 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
CURRENT = (None, "UNKNOWN", "MODEL", "VIEWER", "BOTH")
PAIRS = [(current, seen) for current in CURRENT for seen in SEEN_AS]


def stored() -> dict[str, tuple]:
    db.session.expire_all()
    rows = db.session.execute(sa.select(Person.username, Person.role, Person.first_seen_at, Person.last_seen_at))
    return {name: (role, first, last) for name, role, first, last in rows}


def test_the_rule_table_covers_every_pair_once():
    assert sorted(ROLE_MERGE, key=str) == sorted(PAIRS, key=str)
    assert {ROLE_MERGE[("MODEL", "VIEWER")], ROLE_MERGE[("VIEWER", "MODEL")]} == {"BOTH"}
    assert ROLE_MERGE[("BOTH", "UNKNOWN")] == "BOTH"
    assert ROLE_MERGE[("MODEL", "UNKNOWN")] == "MODEL"
    assert ROLE_MERGE[(None, "UNKNOWN")] == "UNKNOWN"


@pytest.mark.parametrize("current, seen", PAIRS)
def test_python_and_sql_agree(app, current, seen):
    cur = sa.literal(current, sa.String(16))
    seen_column = sa.literal(seen, sa.String(16))
    by_column = db.session.scalar(sa.select(merge_role_sql(cur, seen_column)))
    by_name = db.session.scalar(sa.select(merge_role_sql(cur, seen)))
    assert (merge_role(current, seen), by_column, by_name) == (ROLE_MERGE[(current, seen)],) * 3
    if current is None:  # the form used when inserting new persons
        new_by_column = db.session.scalar(sa.select(merge_role_sql(None, seen_column)))
        assert (new_by_column, db.session.scalar(sa.select(merge_role_sql(None, seen)))) == (
            ROLE_MERGE[(None, seen)],
        ) * 2


@pytest.mark.parametrize("current, seen", [(c, s) for c, s in PAIRS if c is not None])
def test_the_sql_change_filter_agrees(app, current, seen):
    rows = sa.select(sa.literal(current, sa.String(16)).label("role")).subquery()
    changes = db.session.scalar(sa.select(role_changes_sql(rows.c.role, seen)))
    assert bool(changes) is (ROLE_MERGE[(current, seen)] != current)


@pytest.mark.parametrize("current, seen", PAIRS)
def test_sql_with_a_null_current_column_agrees(app, current, seen):
    """The CASE over a real NULL (no stored person) and over each stored role gives the table's answer."""
    rows = sa.select(sa.literal(current, sa.String(16)).label("role")).subquery()
    assert db.session.scalar(sa.select(merge_role_sql(rows.c.role, seen))) == ROLE_MERGE[(current, seen)]


def test_merge_role_refuses_what_is_not_a_role():
    with pytest.raises(ValueError, match="not a role pair"):
        merge_role("MODEL", "ADMIN")
    assert merge_role(Role.MODEL, Role.VIEWER) == "BOTH"


def test_new_persons_are_created_with_the_role_seen(app):
    ids = persons.ensure_persons(db.session, {"alice": "MODEL", "bob": "VIEWER", "carol": "UNKNOWN"}, T0)
    db.session.commit()
    assert ids.created == 3
    assert stored() == {"alice": ("MODEL", T0, None), "bob": ("VIEWER", T0, None), "carol": ("UNKNOWN", T0, None)}
    assert ids == {p.username: p.id for p in db.session.scalars(sa.select(Person))}
    assert {p.platform for p in db.session.scalars(sa.select(Person))} == {PLATFORM}


@pytest.mark.parametrize("current, seen", [(c, s) for c, s in PAIRS if c is not None])
def test_stored_roles_merge(app, current, seen):
    person = make_person("dave", current)
    ids = persons.ensure_persons(db.session, {"dave": seen}, T1)
    db.session.commit()
    assert (ids, ids.created) == ({"dave": person.id}, 0)
    assert stored() == {"dave": (ROLE_MERGE[(current, seen)], person.first_seen_at, None)}


def test_a_second_run_changes_nothing(app):
    seen = {"erin": "MODEL", "frank": "VIEWER"}
    first = persons.ensure_persons(db.session, seen, T0, online=True)
    db.session.commit()
    before = stored()
    again = persons.ensure_persons(db.session, seen, T0, online=True)
    db.session.commit()
    assert (again, again.created, stored()) == (first, 0, before)
    assert before == {"erin": ("MODEL", T0, T0), "frank": ("VIEWER", T0, T0)}


def test_usernames_are_trimmed_and_lowercased_and_their_roles_merged(app):
    ids = persons.ensure_persons(db.session, {"  Grace ": "MODEL", "grace": "VIEWER", "HEIDI": "UNKNOWN"}, T0)
    db.session.commit()
    assert (sorted(ids), ids.created) == (["grace", "heidi"], 2)
    assert stored() == {"grace": ("BOTH", T0, None), "heidi": ("UNKNOWN", T0, None)}


def test_invalid_usernames_and_roles_are_refused(app):
    with pytest.raises(ValueError, match="not a Chaturbate username"):
        persons.ensure_persons(db.session, {"not a name": "MODEL"}, T0)
    with pytest.raises(ValueError, match="not a role pair"):
        persons.ensure_persons(db.session, {"ivan": "ADMIN"}, T0)
    assert persons.ensure_persons(db.session, {}, T0) == {}


def test_last_seen_moves_forward_only_when_seen_online(app):
    make_person("judy", "MODEL", last_seen_at=T0)
    make_person("ken", "MODEL")
    persons.ensure_persons(db.session, {"judy": "MODEL", "ken": "MODEL"}, T1)  # not online: unchanged
    db.session.commit()
    assert (stored()["judy"][2], stored()["ken"][2]) == (T0, None)
    persons.ensure_persons(db.session, {"judy": "MODEL", "ken": "MODEL"}, T1, online=True)
    db.session.commit()
    assert (stored()["judy"][2], stored()["ken"][2]) == (T1, T1)
    persons.ensure_persons(db.session, {"judy": "MODEL"}, T0, online=True)  # an older sighting
    db.session.commit()
    assert stored()["judy"][2] == T1


def test_persons_added_through_the_orm_in_the_same_transaction_are_found(app):
    db.session.add(Person(username="leo", role="VIEWER", first_seen_at=T0))
    ids = persons.ensure_persons(db.session, {"leo": "MODEL"}, T1)
    db.session.commit()
    assert (ids.created, stored()) == (0, {"leo": ("BOTH", T0, None)})


def test_ensure_person_returns_one_id(app):
    pid = persons.ensure_person(db.session, " Mallory", "VIEWER", T0)
    db.session.commit()
    assert db.session.get(Person, pid).username == "mallory"
    assert persons.ensure_person(db.session, "mallory", "MODEL", T1) == pid
    db.session.commit()
    assert stored() == {"mallory": ("BOTH", T0, None)}
