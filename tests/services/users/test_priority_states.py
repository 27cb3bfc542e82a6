"""What the Users lists' Priority cell says: a short label, the full sentence in its title, and why a lookup
cannot progress when the schedule it waits for is off (pure: no database)."""

from __future__ import annotations

import pytest

from mhc.services.users import priority_states as ps

POLL_OFF = {"affiliate_poll": "AFFILIATE_WM is not set"}
ROUND_OFF = {"p2_scrape": "P2_SCRAPE_SECONDS is 0"}


@pytest.mark.parametrize(
    ("level", "status", "label", "title_start"),
    [
        (1, "queued", "Queued", "P1: waiting for the next Affiliate API poll"),
        (1, "processing", "Processing", "P1: being looked up now"),
        (1, "complete", "Complete", "P1: found and recorded"),
        (2, "queued", "Queued", "P2: waiting for the next P2 round"),
        (2, "complete", "Complete", "P2: profile read"),
    ],
)
def test_each_status_has_a_label_and_a_sentence(level, status, label, title_start):
    state = ps.priority_state(level, status, None, {})
    assert (state.label, state.blocked) == (label, False)
    assert state.title.startswith(title_start)


@pytest.mark.parametrize("status", ["queued", "processing"])
def test_p1_waiting_while_the_poll_is_off_says_so(status):
    state = ps.priority_state(1, status, None, POLL_OFF)
    assert state.blocked and state.label == "Waits: poll is off"
    assert state.title == "P1 waits for the Affiliate API poll, which is off: set AFFILIATE_WM."


def test_the_poll_being_off_does_not_touch_done_lookups_or_p2():
    assert not ps.priority_state(1, "complete", None, POLL_OFF).blocked
    assert not ps.priority_state(2, "queued", None, POLL_OFF).blocked


def test_p2_waiting_while_its_round_is_off_says_so():
    state = ps.priority_state(2, "queued", None, ROUND_OFF)
    assert state.blocked and state.label == "Waits: round is off"
    assert state.title == "P2 waits for the P2 profile-scrape round, which is off: set P2_SCRAPE_SECONDS above 0."


def test_a_failure_is_a_short_label_with_the_message_as_title():
    raw = "profile page failed: Page.goto: net::ERR_NAME_NOT_RESOLVED at https://chaturbate.com/x/\nCall log: - nav"
    state = ps.priority_state(1, "failed", raw, POLL_OFF)
    assert state.label == "Site unreachable" and len(state.label.split()) <= 3
    assert state.title.startswith("P1: failed. The site could not be reached")
    assert "ERR_NAME_NOT_RESOLVED" not in state.title


def test_notices_name_each_blocked_level_once():
    pairs = [(1, "queued"), (1, "processing"), (2, "queued"), (1, "complete")]
    assert ps.blocked_notices(pairs, POLL_OFF) == [
        "P1 waits for the Affiliate API poll, which is off: set AFFILIATE_WM."
    ]
    assert ps.blocked_notices(pairs, {**POLL_OFF, **ROUND_OFF}) == [
        "P1 waits for the Affiliate API poll, which is off: set AFFILIATE_WM.",
        "P2 waits for the P2 profile-scrape round, which is off: set P2_SCRAPE_SECONDS above 0.",
    ]
    assert ps.blocked_notices(pairs, {}) == []


def test_off_reason_reads_the_schedule_disabled_reason():
    assert ps.off_reason("off (AFFILIATE_WM is not set)") == "AFFILIATE_WM is not set"
    assert ps.off_reason(None) is None


def test_legend_explains_levels_statuses_and_notices():
    legend = ps.legend(POLL_OFF)
    assert [term for term, _ in legend.levels] == ["P1", "P2"]
    assert {"Queued", "Processing", "Complete", "Failed"} <= {term for term, _ in legend.statuses}
    assert legend.notices == ("P1 waits for the Affiliate API poll, which is off: set AFFILIATE_WM.",)
    assert ps.legend({}).notices == ()
