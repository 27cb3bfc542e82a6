"""What a priority lookup's state means for the owner, where it shows (the Profile header, the Users lists'
Priority cell): a failed lookup's stored reason explained by the failure table (mhc/services/failures.py),
and a P1 that cannot progress because the Affiliate API poll is off (AFFILIATE_WM unset) said as such.

Pure: the lookup's level, status and stored reason and the app's settings in, a Failure (short label,
one-line message, next step, link key) or None out. docs/operator.md#why-a-run-failed.
"""

from __future__ import annotations

from collections.abc import Mapping

from mhc.services import failures

# A lookup fails in a profile read (a P2 round or a person refresh); its reason is that read's error line.
LOOKUP_KIND = "profile_scrape"
WAITING_STATUSES = ("queued", "processing")
P1_WAITS_FOR_POLL = failures.Failure(
    "not_configured",
    "Waits: poll is off",
    "P1 waits for the Affiliate API poll, which is off: AFFILIATE_WM is not set.",
    "Set AFFILIATE_WM in the panel's environment file and restart the panel and its worker.",
    None,
)


SHORT_REASON = 120  # a reason this short on one line is our own words (a parser's), not an exception's text


def explain(priority: int | None, status: str | None, reason: str | None, settings: Mapping) -> failures.Failure | None:
    """Why this lookup failed or cannot progress, or None when its status says enough."""
    if status == "failed":
        failure = failures.classify(LOOKUP_KIND, reason, None, settings)
        if failure.cause == "unexpected" and _own_words(reason):
            # The table knows no better; the parser's own short reason says more than "unexpected".
            return failures.Failure(
                "unexpected",
                "Read failed",
                f"The last profile read failed: {reason.strip().rstrip('.')}.",
                failure.next_step,
                failure.link,
            )
        return failure
    if priority == 1 and status in WAITING_STATUSES and not settings.get("AFFILIATE_WM"):
        return P1_WAITS_FOR_POLL
    return None


def _own_words(reason: str | None) -> bool:
    text = (reason or "").strip()
    return bool(text) and "\n" not in text and len(text) <= SHORT_REASON and "Error" not in text


def explain_lookup(lookup, settings: Mapping) -> failures.Failure | None:
    """`explain` for a PriorityLookup row (None for no lookup)."""
    if lookup is None:
        return None
    return explain(lookup.priority, lookup.status, lookup.failure_reason, settings)
