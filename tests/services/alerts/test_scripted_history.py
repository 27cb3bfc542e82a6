"""A scripted history reaches a webhook and a mailbox exactly as the owner's rules say: a big tipper and a
non-tipper unfollow (the tipper rule names only the tipper, the any-unfollow rule both in one message), a
re-applied list sends nothing, a held sync is announced, and the digest sums the day (docs/alerts.md)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from mhc.extensions import db
from mhc.jobs import alert_jobs
from mhc.jobs.kinds import KINDS
from mhc.models import AlertDelivery
from mhc.services.follows.follow_ledger import apply_follow_list
from mhc.services.users import value
from tests.factories import make_interaction, make_person
from tests.jobs.helpers import run_job
from tests.services.alerts.helpers import add_channel, add_rule

FANS = [f"fan{i:02d}" for i in range(8)]
MOMENT = datetime.combine(datetime.now(UTC).date() + timedelta(days=1), time(8, 0), tzinfo=UTC)
T0, T1, T2 = MOMENT - timedelta(hours=3), MOMENT - timedelta(hours=2), MOMENT - timedelta(hours=1)


def held_sync(run_id, direction: str) -> dict:
    """Stands in for a follow sync whose list the mass-removal guard held (its run ends 'held')."""
    return {"held": True, "reason": "would mark 9 of 10 as unfollowed (half or more of them): confirm to apply"}


@pytest.fixture
def history(app, webhook, smtp):
    hook, mail = add_channel("phone", webhook.url), add_channel("mail", smtp.url)
    add_rule("big tippers", "tipper_unfollow", hook, min_tokens=500)
    add_rule("everyone", "any_unfollow", mail)
    add_rule("held", "sync_held", hook)
    add_rule("morning", "digest", mail, digest_time="08:00")
    big, small = make_person("bigtipper", "VIEWER"), make_person("smallfry", "VIEWER")
    make_interaction(
        "tip", T0 + timedelta(minutes=30), person=big, room="hudson", from_username="bigtipper", amount=1200
    )
    value.recompute(db.session, "hudson")
    db.session.commit()
    return big, small


def test_the_scripted_history_reaches_each_channel_once(app, history, webhook, smtp, sent, monkeypatch):
    apply_follow_list(db.session, "follower", ["bigtipper", "smallfry", *FANS], T0, "manual_import")
    apply_follow_list(db.session, "follower", FANS, T1, "manual_import")
    sent()
    assert webhook.titles() == ["1 tipper unfollowed you"]
    assert "- bigtipper (1,200 tokens)" in webhook.messages[0]["message"]
    assert "smallfry" not in webhook.messages[0]["message"]
    assert smtp.subjects() == ["2 followers unfollowed you"]
    assert "- bigtipper (1,200 tokens)\n- smallfry (0 tokens)" in smtp.body(0)

    again = apply_follow_list(db.session, "follower", FANS, T2, "manual_import")
    sent()
    assert (again.added, again.removed) == (0, 0)
    assert (len(webhook.messages), len(smtp.messages)) == (1, 1)

    monkeypatch.setitem(KINDS, "follow_sync", f"{__name__}:held_sync")
    run = run_job("follow_sync", direction="follower")
    sent()
    assert run.status == "held"
    assert webhook.titles() == ["1 tipper unfollowed you", "The follower list sync waits for you"]
    assert "would mark 9 of 10 as unfollowed" in webhook.messages[1]["message"]

    assert alert_jobs.scheduled_alerts(MOMENT + timedelta(hours=1))["written"] == 1
    sent()
    assert alert_jobs.scheduled_alerts(MOMENT + timedelta(hours=2))["written"] == 0
    sent()
    day = MOMENT.date().isoformat()
    assert smtp.subjects() == ["2 followers unfollowed you", f"Daily digest: +8 followers, 1,200 tokens ({day})"]
    digest = smtp.body(1)
    assert "New followers: 10" in digest and "Unfollowed: 2 (tokens they tipped in total)" in digest
    assert "- bigtipper (1,200 tokens)" in digest and "Tips: 1 tip, 1,200 tokens" in digest
    assert "Net change in followers: +8" in digest
    statuses = db.session.query(AlertDelivery.status, AlertDelivery.attempts).all()
    assert sorted(statuses) == [("sent", 1)] * 4


def test_a_burst_of_removals_is_one_grouped_message(app, webhook, sent):
    add_rule("everyone", "any_unfollow", add_channel("phone", webhook.url))
    names = [f"viewer{i:05d}" for i in range(5000)]
    apply_follow_list(db.session, "follower", names, T0, "manual_import")
    result = apply_follow_list(db.session, "follower", names[:1], T1, "manual_import", confirm_mass_removal=True)
    sent()
    assert result.removed == 4999
    assert webhook.titles() == ["4,999 followers unfollowed you"]
    lines = webhook.messages[0]["message"].splitlines()
    assert lines[1:22] == [f"- viewer{i:05d} (0 tokens)" for i in range(1, 21)] + ["and 4,979 more"]
    delivery = db.session.query(AlertDelivery).one()
    assert (delivery.event_count, delivery.status) == (4999, "sent")

    apply_follow_list(db.session, "follower", names[:1], T2, "manual_import", confirm_mass_removal=True)
    sent()
    assert len(webhook.messages) == 1 and db.session.query(AlertDelivery).count() == 1
