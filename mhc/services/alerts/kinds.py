"""The kinds of alert rule the owner can set up, in the owner's words, and the fields each one uses
(docs/alerts.md#rule-kinds)."""

from __future__ import annotations

from dataclasses import dataclass

FIELDS = ("min_tokens", "window_days", "min_followers", "stale_days", "digest_time")


class AlertError(ValueError):
    """A refusal the owner reads as is (never names a channel URL)."""


@dataclass(frozen=True)
class RuleKind:
    """One kind of rule: its label, one sentence saying when it fires, and the fields it uses."""

    label: str
    description: str
    fields: tuple[str, ...] = ()


RULE_KINDS: dict[str, RuleKind] = {
    "tipper_unfollow": RuleKind(
        "A tipper unfollows",
        "A follower who tipped at least this many tokens (ever, or within the last days you set) unfollows you.",
        ("min_tokens", "window_days"),
    ),
    "any_unfollow": RuleKind("Anyone unfollows", "Any follower unfollows you."),
    "model_follow": RuleKind(
        "A model follows you",
        "A model with at least this many followers starts following you.",
        ("min_followers",),
    ),
    "sync_failed": RuleKind("A follow sync fails", "A follow list sync fails, so the lists were not updated."),
    "sync_held": RuleKind(
        "A follow sync is held",
        "A follow list sync would mark many people as unfollowed and waits for your confirmation.",
    ),
    "sync_stale": RuleKind(
        "No follow sync for days",
        "No follow list sync has succeeded for this many days.",
        ("stale_days",),
    ),
    "digest": RuleKind(
        "Daily digest",
        "Every day at this time: new followers, who unfollowed and what they tipped, tips, and the net change.",
        ("digest_time",),
    ),
}
