"""Channels keep their URL secret (encrypted, shown and audited as scheme and host only) and rules keep only
their kind's fields; refusals are in the owner's words (docs/alerts.md#channels-and-secrets)."""

from __future__ import annotations

import pytest

from mhc.extensions import db
from mhc.logs import redact
from mhc.models import AlertChannel, AuditLog
from mhc.models.alerts import RULE_KIND_NAMES
from mhc.services import alerts
from mhc.services.alerts.channels import reveal_url
from mhc.services.alerts.kinds import FIELDS
from tests.services.alerts.helpers import add_channel, add_rule

URL = "json://127.0.0.1:9/hook/s3cr3t-token-value"
MAIL = "mailto://alerts:p4ssw0rd-value@example.test?to=owner@example.test"


def test_a_channel_url_is_encrypted_and_shown_as_scheme_and_host(app):
    channel = add_channel("phone", URL)
    stored = db.session.get(AlertChannel, channel.id)
    assert stored.url_secret.startswith("fernet:") and "s3cr3t" not in stored.url_secret
    assert (stored.kind, alerts.describe_channel(stored)) == ("json", "json://127.0.0.1")
    assert alerts.describe_channel(MAIL) == "mailto://example.test"
    assert reveal_url(stored) == URL
    assert redact(f"POST {URL} failed") == "POST *** failed"
    audit = db.session.query(AuditLog).filter_by(object_type="alert_channels").one()
    assert (audit.action, audit.diff["url"]) == ("create", [None, "json://127.0.0.1"])
    assert "s3cr3t" not in str(audit.diff)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("", "the channel URL is empty"),
        ("127.0.0.1/hook", "the channel URL has no scheme"),
        ("nosuchscheme://host/s3cr3t-token-value", "Apprise cannot send to this nosuchscheme:// URL"),
    ],
)
def test_a_url_apprise_cannot_use_is_refused_without_repeating_it(app, url, message):
    with pytest.raises(alerts.AlertError, match=message) as caught:
        add_channel("phone", url)
    assert "s3cr3t" not in str(caught.value)
    assert db.session.query(AlertChannel).count() == 0


def test_channel_names_are_unique_and_a_used_channel_cannot_be_removed(app):
    channel = add_channel("phone", URL)
    with pytest.raises(alerts.AlertError, match="a channel named 'phone' already exists"):
        add_channel("phone", URL)
    rule = add_rule("everyone", "any_unfollow", channel)
    with pytest.raises(alerts.AlertError, match="used by rule\\(s\\) everyone"):
        alerts.remove_channel(db.session, channel.id, None)
    alerts.remove_rule(db.session, rule.id, None)
    alerts.remove_channel(db.session, channel.id, None)
    assert alerts.list_channels(db.session) == [] and alerts.list_rules(db.session) == []


def test_a_rule_keeps_only_its_kinds_fields(app):
    channel = add_channel("phone", URL)
    values = dict.fromkeys(FIELDS, "7") | {"digest_time": "07:30"}
    rule = add_rule("tippers", "tipper_unfollow", channel, **values)
    assert (rule.min_tokens, rule.window_days, rule.min_followers, rule.stale_days, rule.digest_time) == (
        7,
        7,
        None,
        None,
        None,
    )
    rule = alerts.save_rule(
        db.session,
        rule.id,
        {"name": "tippers", "kind": "tipper_unfollow", "channel_id": channel.id, "min_tokens": 9},
        None,
    )
    assert (rule.min_tokens, rule.window_days) == (9, None)
    changes = db.session.query(AuditLog).filter_by(object_type="alert_rules", action="update").one().diff
    assert changes == {"min_tokens": [7, 9], "window_days": [7, None]}


@pytest.mark.parametrize(
    ("kind", "fields", "message"),
    [
        ("nonsense", {}, "choose what the rule watches"),
        ("tipper_unfollow", {}, "min tokens is needed for this kind of rule"),
        ("tipper_unfollow", {"min_tokens": "lots"}, "min tokens must be a whole number"),
        ("tipper_unfollow", {"min_tokens": 0}, "min tokens must be between 1 and 10,000,000"),
        ("model_follow", {"min_followers": None}, "min followers is needed"),
        ("sync_stale", {"stale_days": 400}, "stale days must be between 1 and 365"),
        ("digest", {"digest_time": "25:00"}, "digest time must be HH:MM"),
        ("digest", {"digest_time": "8:00"}, "digest time must be HH:MM"),
    ],
)
def test_bad_rule_values_are_refused_in_the_owners_words(app, kind, fields, message):
    channel = add_channel("phone", URL)
    with pytest.raises(alerts.AlertError, match=message):
        add_rule("r", kind, channel, **fields)


def test_a_rule_needs_a_name_and_an_existing_channel(app):
    channel = add_channel("phone", URL)
    with pytest.raises(alerts.AlertError, match="give the rule a name"):
        add_rule(" ", "any_unfollow", channel)
    with pytest.raises(alerts.AlertError, match="choose a channel"):
        alerts.save_rule(db.session, None, {"name": "x", "kind": "any_unfollow", "channel_id": 999}, None)


def test_every_kind_says_when_it_fires_and_names_known_fields():
    assert tuple(alerts.RULE_KINDS) == RULE_KIND_NAMES  # the table's CHECK constraint lists the same kinds
    for kind in alerts.RULE_KINDS.values():
        assert kind.label and kind.description.endswith(".")
        assert set(kind.fields) <= set(FIELDS)
