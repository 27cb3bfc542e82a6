"""v_person_current_state.age prefers the newest Affiliate API age and falls back to profiles.age."""

from datetime import timedelta

import sqlalchemy as sa

from mhc.extensions import db
from mhc.models import utcnow
from tests.factories import make_affiliate_snapshot, make_person


def _snapshot(person, age, minutes_ago):
    make_affiliate_snapshot(person, utcnow() - timedelta(minutes=minutes_ago), age=age)


def _view_age(username):
    return db.session.execute(
        sa.text("SELECT age FROM v_person_current_state WHERE username = :u"), {"u": username}
    ).scalar()


def test_age_precedence(app):
    both = make_person("both_sources", profile={"age": 30})
    _snapshot(both, 24, minutes_ago=60)
    _snapshot(both, 25, minutes_ago=5)
    make_person("profile_only", profile={"age": 41})
    hidden = make_person("hidden_in_feed", profile={"age": 33})
    _snapshot(hidden, None, minutes_ago=1)
    make_person("nothing_known", profile={"age": None})
    make_person("excluded_one", profile={"age": 50}, is_excluded=True)

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
