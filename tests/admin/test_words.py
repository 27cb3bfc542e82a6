"""The panel's words: plurals, durations, times, event names, job kinds and roles as the owner says them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from mhc.admin import words
from mhc.clients.events_api import KNOWN_METHODS
from mhc.jobs.kinds import KINDS
from mhc.models.persons import Role


@pytest.mark.parametrize(
    ("count", "noun", "said"),
    [
        (1, "person", "1 person"),
        (2, "person", "2 persons"),
        (0, "person", "0 persons"),
        (1, "tip", "1 tip"),
        (1204, "tip", "1,204 tips"),
        (2, "retry", "2 retries"),
        (3, "day", "3 days"),
        (2, "match", "2 matches"),
        (None, "run", "0 runs"),
    ],
)
def test_plural(count, noun, said):
    assert words.plural(count, noun) == said


def test_plural_with_its_own_form():
    assert words.plural(2, "is", "are") == "2 are"


@pytest.mark.parametrize(
    ("seconds", "said"),
    [
        (None, "—"),
        (0, "less than a second"),
        (0.4, "less than a second"),
        (3.24, "3.2 seconds"),
        (1, "1 second"),
        (12, "12 seconds"),
        (60, "1 minute"),
        (125, "2 minutes 5 seconds"),
        (300, "5 minutes"),
        (3600, "1 hour"),
        (3725, "1 hour 2 minutes"),
        (86400, "1 day"),
        (90000, "1 day 1 hour"),
        (86403, "1 day"),
        (2 * 86400 + 7200, "2 days 2 hours"),
        (59.6, "1 minute"),
    ],
)
def test_duration(seconds, said):
    assert words.duration(seconds) == said


def test_when_drops_microseconds_and_says_utc():
    moment = datetime(2026, 11, 25, 19, 6, 7, 123456, tzinfo=UTC)
    assert words.when(moment) == "2026-11-25 19:06 UTC"
    assert words.when(moment, seconds=True) == "2026-11-25 19:06:07 UTC"
    assert words.when(moment.astimezone(timezone(timedelta(hours=2)))) == "2026-11-25 19:06 UTC"
    assert words.when("2026-11-25T19:06:07.123456+00:00", seconds=True) == "2026-11-25 19:06:07 UTC"
    assert words.when(None) == "—" and words.when("not a time") == "not a time"


@pytest.mark.parametrize(
    ("method", "said"),
    [
        ("chatMessage", "chat message"),
        ("userEnter", "entered the room"),
        ("userLeave", "left the room"),
        ("tip", "tip"),
        ("privateMessage", "private message"),
        ("follow", "followed"),
        ("fanclubJoin", "joined the fan club"),
        ("someNewMethod", "some new method"),
        (None, "unknown event"),
    ],
)
def test_event_names(method, said):
    assert words.event_name(method) == said


def test_every_events_api_method_has_a_name():
    assert set(KNOWN_METHODS) <= set(words.EVENT_NAMES)


@pytest.mark.parametrize(
    ("kind", "said"),
    [
        ("list_scrape", "follow list read"),
        ("follow_sync", "follow list sync"),
        ("p2_scrape", "P2 profile round"),
        ("affiliate_poll", "online rooms check"),
        ("profile_scrape", "profile read"),
        ("brand_new_kind", "brand new kind"),
    ],
)
def test_job_kinds(kind, said):
    assert words.job_kind(kind) == said


def test_every_job_kind_has_a_name():
    """A new kind in mhc/jobs/kinds.py gets its words in mhc/admin/words.py JOB_NAMES too."""
    assert set(KINDS) - set(words.JOB_NAMES) == set()


def test_roles_and_role_changes():
    assert words.role_change("VIEWER → BOTH") == "viewer → viewer and model"
    assert words.role_change(Role.MODEL, Role.BOTH) == "model → viewer and model"
    assert words.role_change("UNKNOWN", "VIEWER") == "unknown → viewer"
    assert words.role(None) == "unknown"
    assert {words.role(r) for r in Role} == {"viewer", "model", "viewer and model", "unknown"}


def test_statuses():
    assert [words.job_status(s) for s in ("finished", "held", "failed")] == ["done", "waiting for you", "failed"]


def test_filters_are_registered(app):
    env = app.jinja_env
    assert set(words.FILTERS) <= set(env.filters) and env.globals["explain_failure"] is words.explain_failure
    rendered = env.from_string("{{ 2|plural('person') }}, {{ 86400|duration }}, {{ 'userEnter'|event_name }}")
    assert rendered.render() == "2 persons, 1 day, entered the room"
