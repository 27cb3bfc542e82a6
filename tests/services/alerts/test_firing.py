"""Each rule kind fires from the transaction that saw its event, once per event: single observations
(Events API, profile pages), the window of the tipper rule, models that follow, sync runs that fail, and
the stale-sync check (docs/alerts.md#rule-kinds)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from mhc.extensions import db
from mhc.jobs import alert_jobs
from mhc.jobs.kinds import KINDS
from mhc.models import AlertDelivery, utcnow
from mhc.services import alerts
from mhc.services.follows.follow_ledger import FollowObservation, apply_follow_list, apply_observations
from mhc.services.users import value
from tests.factories import make_interaction, make_person
from tests.services.sources.events.feed import ev, ingest
from tests.jobs.helpers import add_run, run_job
from tests.services.alerts.helpers import add_channel, add_rule


def failing_sync(run_id, direction: str) -> dict:
    """Stands in for a follow sync that could not read its list."""
    raise RuntimeError("the login check failed: the page shows a login form")


def _unfollow(name: str, at, event_id: str | None = None) -> FollowObservation:
    return FollowObservation(name, "follower", "unfollow", at, "events_api", event_id)


def _follow(name: str, at, event_id: str | None = None) -> FollowObservation:
    return FollowObservation(name, "follower", "follow", at, "events_api", event_id)


def _titles() -> list[str]:
    return [d.title for d in db.session.query(AlertDelivery).order_by(AlertDelivery.id)]


def test_the_window_counts_only_recent_tips_in_the_owners_room(app, webhook, sent):
    add_rule("recent tippers", "tipper_unfollow", add_channel("phone", webhook.url), min_tokens=500, window_days=7)
    now = utcnow()
    old, recent, elsewhere = (make_person(n, "VIEWER") for n in ("oldtipper", "recenttipper", "elsewhere"))
    make_interaction("tip", now - timedelta(days=30), person=old, room="hudson", from_username="oldtipper", amount=5000)
    make_interaction(
        "tip", now - timedelta(days=2), person=recent, room="hudson", from_username="recenttipper", amount=600
    )
    make_interaction(
        "tip", now - timedelta(days=1), person=elsewhere, room="other", from_username="elsewhere", amount=900
    )
    value.recompute(db.session, "hudson")
    db.session.commit()
    names = ("oldtipper", "recenttipper", "elsewhere")
    apply_observations(db.session, [_follow(n, now - timedelta(hours=2), f"f-{n}") for n in names])
    apply_observations(db.session, [_unfollow(n, now - timedelta(hours=1), f"u-{n}") for n in names])
    sent()
    assert webhook.titles() == ["1 tipper unfollowed you"]
    assert "- recenttipper (600 tokens in 7 d)" in webhook.messages[0]["message"]
    assert "oldtipper" not in webhook.messages[0]["message"]

    apply_observations(db.session, [_unfollow(n, now - timedelta(hours=1), f"u-{n}") for n in names])  # replayed
    sent()
    assert len(webhook.messages) == 1 and len(_titles()) == 1


def test_a_model_with_enough_followers_who_follows_fires_once(app, webhook, sent):
    add_rule("big models", "model_follow", add_channel("phone", webhook.url), min_followers=1000)
    make_person("bigmodel", "MODEL", num_followers=25_000)
    make_person("smallmodel", "MODEL", num_followers=10)
    now = utcnow()
    apply_follow_list(db.session, "follower", ["bigmodel", "smallmodel"], now - timedelta(hours=2), "manual_import")
    apply_follow_list(db.session, "follower", ["bigmodel", "smallmodel"], now - timedelta(hours=1), "manual_import")
    sent()
    assert webhook.titles() == ["1 model with 1,000+ followers followed you"]
    assert "- bigmodel (25,000 followers)" in webhook.messages[0]["message"]


def test_following_someone_fires_nothing(app, webhook, sent):
    add_rule("everyone", "any_unfollow", add_channel("phone", webhook.url))
    now = utcnow()
    apply_follow_list(db.session, "following", ["a_model", "b_model"], now - timedelta(hours=2), "manual_import")
    apply_follow_list(db.session, "following", [], now - timedelta(hours=1), "manual_import", confirm_mass_removal=True)
    sent()
    assert _titles() == [] and webhook.messages == []


def test_a_disabled_rule_or_channel_writes_nothing(app, webhook, sent):
    channel = add_channel("phone", webhook.url)
    rule = add_rule("everyone", "any_unfollow", channel)
    alerts.save_rule(
        db.session,
        rule.id,
        {"name": "everyone", "kind": "any_unfollow", "channel_id": channel.id, "enabled": False},
        None,
    )
    now = utcnow()
    apply_observations(
        db.session, [_follow("someone", now - timedelta(hours=3)), _unfollow("someone", now - timedelta(hours=2))]
    )
    alerts.save_rule(db.session, rule.id, {"name": "everyone", "kind": "any_unfollow", "channel_id": channel.id}, None)
    alerts.set_channel_enabled(db.session, channel.id, False, None)
    apply_observations(db.session, [_follow("someone", now - timedelta(hours=1)), _unfollow("someone", now)])
    sent()
    assert _titles() == [] and webhook.messages == []


def test_a_failed_sync_is_announced_with_its_reason(app, webhook, sent, monkeypatch):
    add_rule("sync broke", "sync_failed", add_channel("phone", webhook.url))
    monkeypatch.setitem(KINDS, "follow_sync", f"{__name__}:failing_sync")
    assert run_job("follow_sync", direction="following").status == "failed"
    run_job("selftest")  # another kind failing or finishing fires nothing
    sent()
    assert webhook.titles() == ["The following list sync failed"]
    assert "the login check failed: the page shows a login form" in webhook.messages[0]["message"]


@pytest.mark.parametrize("synced_days_ago", [None, 1, 4])
def test_no_successful_sync_for_days_is_announced_once_per_stretch(app, webhook, sent, synced_days_ago):
    rule = add_rule("stale", "sync_stale", add_channel("phone", webhook.url), stale_days=3)
    now = utcnow()
    rule.created_at = now - timedelta(days=10)
    db.session.commit()
    if synced_days_ago is not None:
        at = now - timedelta(days=synced_days_ago)
        add_run("follow_sync", status="finished", created_at=at, finished_at=at)
    first = alert_jobs.scheduled_alerts(now)["written"]
    second = alert_jobs.scheduled_alerts(now + timedelta(hours=1))["written"]
    sent()
    expected = [] if synced_days_ago == 1 else ["No follow sync for 3 days"]
    assert (first, second, webhook.titles()) == (len(expected), 0, expected)


def test_an_unfollow_from_the_events_feed_is_sent_without_waiting_for_the_scheduler(app, webhook, sent):
    """Events ingestion commits the batch, then hands its deliveries to the queue (no scheduler runs here)."""
    add_rule("everyone", "any_unfollow", add_channel("phone", webhook.url))
    now = utcnow()
    ingest([ev("e-1", "follow", user="fan_one")], "https://events.test/next/1", now - timedelta(minutes=2))
    ingest([ev("e-2", "unfollow", user="fan_one")], "https://events.test/next/2", now - timedelta(minutes=1))
    sent()
    assert webhook.titles() == ["1 follower unfollowed you"]
    assert "fan_one" in webhook.messages[0]["message"]
