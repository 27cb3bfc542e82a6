"""`flask demo-data` fills an empty database with internally consistent data."""

from __future__ import annotations

import sqlalchemy as sa

from mhc.extensions import db


def q(sql: str):
    return db.session.execute(sa.text(sql)).scalar()


def test_demo_data_is_consistent(app, runner):
    result = runner.invoke(args=["demo-data", "--persons", "600", "--seed", "7"])
    assert result.exit_code == 0, result.output
    assert "persons 600" in result.output

    assert q("SELECT count(*) FROM persons") == 600
    assert q("SELECT count(*) FROM profiles") == 600
    assert q("SELECT count(*) FROM persons WHERE role = 'MODEL'") > q(
        "SELECT count(*) FROM persons WHERE role = 'BOTH'"
    )
    assert q("SELECT count(*) FROM persons WHERE role = 'VIEWER'") > 0
    # Affiliate snapshots are skewed toward models: viewers have none.
    assert (
        q("SELECT count(*) FROM affiliate_api_snapshots s JOIN persons p ON p.id = s.person_id WHERE p.role = 'VIEWER'")
        == 0
    )
    assert q("SELECT count(*) FROM affiliate_api_snapshots") > 600
    # Every follower has follower_since; every unfollower has a matching unfollow history row.
    assert q("SELECT count(*) FROM profiles WHERE follower AND follower_since IS NULL") == 0
    assert q("SELECT count(*) FROM profiles WHERE following AND following_since IS NULL") == 0
    assert (
        q("""SELECT count(*) FROM profiles pr WHERE pr.unfollower_at IS NOT NULL AND NOT EXISTS (
                SELECT 1 FROM follow_events e WHERE e.person_id = pr.person_id AND e.direction = 'follower'
                AND e.action = 'unfollow' AND e.observed_at = pr.unfollower_at)""")
        == 0
    )
    assert q("SELECT count(*) FROM profiles WHERE follower AND unfollower_at IS NOT NULL") == 0
    # Re-follows exist: someone followed twice.
    assert (
        q("""SELECT count(*) FROM (SELECT person_id FROM follow_events WHERE direction = 'follower'
                AND action = 'follow' GROUP BY person_id HAVING count(*) > 1) x""")
        > 0
    )
    # Current follow state equals the last history action.
    assert (
        q("""SELECT count(*) FROM profiles pr WHERE pr.follower <> COALESCE((
                SELECT e.action = 'follow' FROM follow_events e WHERE e.person_id = pr.person_id
                AND e.direction = 'follower' ORDER BY e.observed_at DESC LIMIT 1), false)""")
        == 0
    )
    # Cached counts match the rows.
    assert (
        q("""SELECT count(*) FROM persons p WHERE p.snapshots_count <>
                (SELECT count(*) FROM affiliate_api_snapshots s WHERE s.person_id = p.id)
                + (SELECT count(*) FROM snapshots s WHERE s.person_id = p.id)""")
        == 0
    )
    assert (
        q("""SELECT count(*) FROM persons p WHERE p.interactions_count <>
                (SELECT count(*) FROM interactions i WHERE i.person_id = p.id)""")
        == 0
    )
    # Cached age follows the seed's precedence (the view), except flagged 99s which are never shown as fact.
    assert (
        q("""SELECT count(*) FROM persons p JOIN v_person_current_state v ON v.id = p.id
                WHERE COALESCE(p.age, -1) <> COALESCE(v.age, -1) AND COALESCE(v.age, -1) <> 99""")
        == 0
    )
    assert q("SELECT count(*) FROM priority_lookups") > 0


def test_demo_data_refuses_non_empty_database(app, runner):
    assert runner.invoke(args=["demo-data", "--persons", "5"]).exit_code == 0
    refused = runner.invoke(args=["demo-data", "--persons", "5"])
    assert refused.exit_code == 1
    assert "not empty" in refused.output
    assert runner.invoke(args=["demo-data", "--persons", "5", "--if-empty"]).exit_code == 0
    assert q("SELECT count(*) FROM persons") == 5
    forced = runner.invoke(args=["demo-data", "--persons", "5", "--force", "--seed", "2"])
    assert forced.exit_code == 0, forced.output
    assert q("SELECT count(*) FROM persons") == 10


def test_demo_data_force_adds_beside_existing_data_with_the_same_seed(app, runner):
    """--force on a non-empty database adds new persons (even with the seed already loaded) and keeps the rest."""
    assert runner.invoke(args=["demo-data", "--persons", "40", "--seed", "1"]).exit_code == 0
    before = set(db.session.execute(sa.text("SELECT id, username FROM persons")).all())
    events_before = q("SELECT count(*) FROM follow_events")
    forced = runner.invoke(args=["demo-data", "--persons", "40", "--seed", "1", "--force"])
    assert forced.exit_code == 0, forced.output
    assert "persons 40" in forced.output
    db.session.expire_all()
    after = set(db.session.execute(sa.text("SELECT id, username FROM persons")).all())
    assert before < after and len(after) == 80
    assert q("SELECT count(DISTINCT username) FROM persons") == 80
    assert q("SELECT count(*) FROM profiles") == 80
    assert q("SELECT count(*) FROM follow_events") >= events_before
    assert "new persons only" in " ".join(runner.invoke(args=["demo-data", "--help"]).output.split())


def test_demo_data_is_reproducible(app, runner):
    runner.invoke(args=["demo-data", "--persons", "50", "--seed", "3"])
    first = db.session.execute(sa.text("SELECT username FROM persons ORDER BY username")).scalars().all()
    db.session.execute(sa.text("DELETE FROM persons"))
    db.session.commit()
    runner.invoke(args=["demo-data", "--persons", "50", "--seed", "3"])
    second = db.session.execute(sa.text("SELECT username FROM persons ORDER BY username")).scalars().all()
    assert first == second
