"""v_person_current_state.age prefers the newest Affiliate API age and falls back to profiles.age."""

from datetime import timedelta

import sqlalchemy as sa

from mhc.extensions import db
from mhc.models import AffiliateSnapshot, Person, Profile, utcnow


def _person(username, profile_age):
    person = Person(username=username, role="MODEL", first_seen_at=utcnow())
    person.profile = Profile(age=profile_age)
    db.session.add(person)
    db.session.flush()
    return person


def _snapshot(person, age, minutes_ago):
    db.session.add(
        AffiliateSnapshot(
            person_id=person.id,
            username=person.username,
            age=age,
            observed_at=utcnow() - timedelta(minutes=minutes_ago),
        )
    )


def _view_age(username):
    return db.session.execute(
        sa.text("SELECT age FROM v_person_current_state WHERE username = :u"), {"u": username}
    ).scalar()


def test_age_precedence(app):
    both = _person("both_sources", 30)
    _snapshot(both, 24, minutes_ago=60)
    _snapshot(both, 25, minutes_ago=5)
    _person("profile_only", 41)
    hidden = _person("hidden_in_feed", 33)
    _snapshot(hidden, None, minutes_ago=1)
    _person("nothing_known", None)
    excluded = _person("excluded_one", 50)
    excluded.is_excluded = True
    db.session.commit()

    assert _view_age("both_sources") == 25
    assert _view_age("profile_only") == 41
    assert _view_age("hidden_in_feed") == 33
    assert _view_age("nothing_known") is None
    assert _view_age("excluded_one") is None  # the view leaves excluded persons out
    assert (
        db.session.execute(
            sa.text("SELECT count(*) FROM v_person_current_state WHERE username = 'excluded_one'")
        ).scalar()
        == 0
    )
