"""Alerts: channels (Apprise URLs), rules, and the delivery outbox; what fires when: docs/alerts.md."""

from mhc.services.alerts.channels import (
    add_channel,
    describe_channel,
    get_channel,
    list_channels,
    remove_channel,
    set_channel_enabled,
)
from mhc.services.alerts.kinds import RULE_KINDS, AlertError, RuleKind
from mhc.services.alerts.outbox import recent_deliveries, retry_delivery, send_test
from mhc.services.alerts.rules import get_rule, list_rules, remove_rule, save_rule

__all__ = [
    "RULE_KINDS",
    "AlertError",
    "RuleKind",
    "add_channel",
    "describe_channel",
    "get_channel",
    "get_rule",
    "list_channels",
    "list_rules",
    "recent_deliveries",
    "remove_channel",
    "remove_rule",
    "retry_delivery",
    "save_rule",
    "send_test",
    "set_channel_enabled",
]
