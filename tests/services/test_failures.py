"""Why a run failed, in the owner's words: real error lines and tracebacks as the runner stores them.

Where the code can produce the reason, the test asks it (the parsers, the completeness checks, the
clients' exceptions), so a reworded reason that the table no longer knows fails here."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest

from mhc.clients.events_api import EventsTokenError
from mhc.jobs import recovery
from mhc.scraping.follow_completeness import check_total, page_problem
from mhc.scraping.parsers.follow_lists import login_problem, parse_followed_cams_page
from mhc.services import failures
from mhc.services.crypto import UNDECRYPTABLE

OWNER = "hudson"
LOGGED_IN = (
    '<html><head><title>Chaturbate</title></head><body><div id="user_information_header">'
    f'<span class="user_information_header_username" data-testid="username">{OWNER}</span></div>'
    '<a data-testid="logout-link" href="/auth/logout/">Log out</a></body></html>'
)
DNS = (
    "Page.goto: net::ERR_NAME_NOT_RESOLVED at http://chaturbate.invalid/followed-cams/?page=1\n"
    "Call log:\n"
    '  - navigating to "http://chaturbate.invalid/followed-cams/?page=1", waiting until "load"\n'
)
REFUSED = (
    "Page.goto: net::ERR_CONNECTION_REFUSED at http://127.0.0.1:59999/followed-cams/?page=1\n"
    "Call log:\n"
    '  - navigating to "http://127.0.0.1:59999/followed-cams/?page=1", waiting until "load"\n'
)
GOTO_TIMEOUT = (
    "Page.goto: Timeout 30000ms exceeded.\nCall log:\n"
    '  - navigating to "https://chaturbate.com/followed-cams/?page=1", waiting until "load"\n'
)


def traceback_of(*chain: tuple[str, str]) -> str:
    """A traceback as Python prints a chain of (qualified class name, message), the last one raised last."""
    parts = []
    for index, (name, message) in enumerate(chain):
        if index:
            parts.append("\nThe above exception was the direct cause of the following exception:\n\n")
        parts.append(
            'Traceback (most recent call last):\n  File "/work/main/mhc/jobs/follow_jobs.py", line 189, in _scrape\n'
            "    return _read_proven(reader, run_id, direction, observed_at)\n"
            f"{name}: {message}\n"
        )
    return "".join(parts)


def follow_abort(reason: str, cause: tuple[str, str] | None = None) -> tuple[str, str]:
    """(error, traceback) of a follow_sync that aborted with `reason`, optionally caused by `cause`."""
    chain = [cause] if cause else []
    chain += [
        ("mhc.scraping.pages.follow_lists.FollowScrapeError", reason),
        ("mhc.jobs.follow_jobs.FollowSyncAborted", reason),
    ]
    first_line = reason.strip().splitlines()[0]
    return f"FollowSyncAborted: {first_line}", traceback_of(*chain)


def explained(kind: str, error: str, traceback: str | None = None, settings=None) -> failures.Failure:
    run = SimpleNamespace(kind=kind, status="failed", error=error, traceback=traceback)
    failure = failures.explain(run, settings)
    assert failure is not None
    return failure


def _login_reason(url: str) -> str:
    return login_problem("<html><title>Chaturbate</title></html>", OWNER, url)


CASES = [
    # (id, kind, error, traceback, cause, label)
    (
        "dns",
        "follow_sync",
        *follow_abort(f"online page 1 failed to load: {DNS.splitlines()[0]}", ("playwright._impl._errors.Error", DNS)),
        "unreachable",
        "Site unreachable",
    ),
    (
        "refused",
        "follow_sync",
        *follow_abort(
            f"online page 1 failed to load: {REFUSED.splitlines()[0]}", ("playwright._impl._errors.Error", REFUSED)
        ),
        "unreachable",
        "Site unreachable",
    ),
    (
        "profile_dns",
        "profile_scrape",
        f"Error: {DNS.splitlines()[0]}",
        traceback_of(("playwright._impl._errors.Error", DNS)),
        "unreachable",
        "Site unreachable",
    ),
    (
        "api_dns",
        "affiliate_poll",
        "AffiliateApiError: feed page 1 (offset 0): request failed: "
        "the host name did not resolve (after retries) (30 s)",
        None,
        "unreachable",
        "Site unreachable",
    ),
    (
        "login_redirect",
        "follow_sync",
        *follow_abort(f"online page 1: {_login_reason('https://x.test/auth/login/?next=/')}"),
        "logged_out",
        "Logged out",
    ),
    (
        "home_redirect",
        "follow_sync",
        *follow_abort(f"offline page 1: {_login_reason('https://x.test/')}"),
        "logged_out",
        "Logged out",
    ),
    ("no_header", "follow_sync", *follow_abort(f"followers page 1: {_login_reason(None)}"), "logged_out", "Logged out"),
    (
        "wrong_account",
        "follow_sync",
        *follow_abort("online page 1: logged in as 'someone_else', not as the owner 'hudson': wrong cookies"),
        "logged_out",
        "Wrong account",
    ),
    (
        "cloudflare",
        "follow_sync",
        *follow_abort("online page 2: Cloudflare challenge (Just a moment) did not clear"),
        "blocked",
        "Captcha or limit",
    ),
    (
        "profile_cloudflare",
        "profile_scrape",
        "ProfileFetchError: Cloudflare challenge (Just a moment) did not clear for http://127.0.0.1:5000/erin/",
        None,
        "blocked",
        "Captcha or limit",
    ),
    (
        "rate_limit",
        "affiliate_poll",
        "AffiliateApiError: feed page 1 (offset 0) answered HTTP 429 after 3 retries",
        None,
        "blocked",
        "Captcha or limit",
    ),
    (
        "partial",
        "follow_sync",
        *follow_abort(f'{check_total(3, 6, 2)}; expected count from the header "FOLLOWING (N/M)"'),
        "partial",
        "Partial list",
    ),
    (
        "empty_mid_list",
        "follow_sync",
        *follow_abort(page_problem("online", 2, 2, SimpleNamespace(page=2, last_page=2, usernames=[]))),
        "partial",
        "Partial list",
    ),
    (
        "moved_twice",
        "follow_sync",
        "FollowSyncAborted: the list moved during both reads (the count changed from 6 "
        "to 7 during the read): nothing was changed",
        traceback_of(
            ("mhc.scraping.follow_completeness.UntrustedReads", "the list moved during both reads"),
            ("mhc.jobs.follow_jobs.FollowSyncAborted", "the list moved during both reads"),
        ),
        "partial",
        "Partial list",
    ),
    (
        "layout",
        "follow_sync",
        *follow_abort(f"online page 1: {parse_followed_cams_page(LOGGED_IN, OWNER).reason}"),
        "layout_changed",
        "Page changed",
    ),
    (
        "api_shape",
        "affiliate_poll",
        "AffiliateApiError: feed response at page 1 (offset 0) has no 'results' list",
        None,
        "layout_changed",
        "Page changed",
    ),
    (
        "goto_timeout",
        "follow_sync",
        *follow_abort(
            f"online page 1 failed to load: {GOTO_TIMEOUT.splitlines()[0]}",
            ("playwright._impl._errors.TimeoutError", GOTO_TIMEOUT),
        ),
        "timeout",
        "Timed out",
    ),
    (
        "read_timeout",
        "affiliate_poll",
        "AffiliateApiError: feed page 1 (offset 0): request failed: "
        "no answer within the read timeout (after retries) (0.2 s)",
        None,
        "timeout",
        "Timed out",
    ),
    (
        "stats_timeout",
        "stats_poll",
        "StatsApiError: Stats API request failed: ConnectionError: no answer within the read timeout (after retries)",
        traceback_of(
            ("requests.exceptions.ConnectionError", "HTTPSConnectionPool: Read timed out."),
            ("mhc.clients.stats_api.StatsApiError", "Stats API request failed"),
        ),
        "timeout",
        "Timed out",
    ),
    (
        "rq_timeout",
        "profile_scrape",
        "JobTimeoutException: Task exceeded maximum timeout value (3600 seconds)",
        None,
        "timeout",
        "Timed out",
    ),
    ("site_error", "follow_sync", *follow_abort("online page 2 answered HTTP 500"), "unreachable", "Site error"),
    (
        "no_cookies",
        "follow_sync",
        "FollowSyncAborted: no Chaturbate session cookies imported (Admin → Follow lists): nothing read",
        None,
        "not_configured",
        "No cookies",
    ),
    (
        "no_events_token",
        "events_listen",
        "EventsNotConfigured: no Events API token: paste one under Admin → Events API",
        None,
        "not_configured",
        "No Events token",
    ),
    (
        "token_refused",
        "events_listen",
        f"EventsTokenError: {EventsTokenError(401)}",
        None,
        "logged_out",
        "Token refused",
    ),
    ("secrets_key", "follow_sync", f"SecretsUndecryptable: {UNDECRYPTABLE}", None, "secrets_key", "Secrets key wrong"),
    (
        "no_secrets_key",
        "follow_sync",
        "RuntimeError: SECRETS_KEYS is not configured (MHC_SECRETS_KEY)",
        None,
        "not_configured",
        "No secrets key",
    ),
    ("abandoned", "affiliate_poll", recovery.ABANDONED, None, "unexpected", "Worker stopped"),
    ("lost", "p2_scrape", recovery.LOST, None, "unexpected", "Worker stopped"),
    (
        "anything_else",
        "selftest",
        "RuntimeError: selftest asked to fail",
        traceback_of(("RuntimeError", "selftest asked to fail")),
        "unexpected",
        "Unexpected error",
    ),
]


@pytest.mark.parametrize(
    ("kind", "error", "traceback", "cause", "label"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_each_failure_is_explained(kind, error, traceback, cause, label):
    failure = explained(kind, error, traceback)
    assert (failure.cause, failure.label) == (cause, label)


def test_the_affiliate_campaign_missing_is_named_when_nothing_else_explains_it():
    error = "AffiliateApiError: feed page 1 (offset 0) answered HTTP 400"
    assert explained("affiliate_poll", error, settings={"AFFILIATE_WM": ""}).label == "Campaign not set"
    assert explained("affiliate_poll", error, settings={"AFFILIATE_WM": "abc"}).label == "Unexpected error"
    assert explained("affiliate_poll", error).label == "Unexpected error"  # no settings: only the run is read
    unreachable = "AffiliateApiError: feed page 1 (offset 0): request failed: could not connect (30 s)"
    assert explained("affiliate_poll", unreachable, settings={"AFFILIATE_WM": ""}).label == "Site unreachable"


def test_next_steps_lead_where_the_owner_acts():
    assert explained(*CASES[4][1:4]).link == failures.COOKIES  # logged out: the cookies form
    assert explained("events_listen", f"EventsTokenError: {EventsTokenError(404)}").link == failures.EVENTS_TOKEN
    assert explained(*CASES[0][1:4]).link == failures.DETAILS
    assert explained("affiliate_poll", "x", settings={"AFFILIATE_WM": ""}).link is None  # an environment setting


@pytest.mark.parametrize("status", ["queued", "running", "finished", "held", "cancelled"])
def test_only_failed_runs_have_a_failure(status):
    run = SimpleNamespace(kind="follow_sync", status=status, error="cancelled before it started", traceback=None)
    assert failures.explain(run) is None


def test_a_failed_run_without_an_error_is_unexpected():
    assert explained("selftest", None).cause == "unexpected"


def test_every_failure_reads_as_a_label_a_line_and_a_step():
    table = [rule.failure for rule in failures.RULES] + [failures.NO_CAMPAIGN, failures.UNEXPECTED]
    for failure in table:
        assert 1 <= len(failure.label.split()) <= 3, failure.label
        assert "\n" not in failure.message and failure.message.endswith("."), failure.message
        assert failure.next_step.endswith("."), failure.next_step
        assert failure.cause in failures.CAUSES, failure.cause


def test_exception_names_come_from_line_starts_without_modules():
    _, traceback = CASES[0][2:4]
    assert failures.exception_names("FollowSyncAborted: x", traceback) == {
        "Error",
        "FollowScrapeError",
        "FollowSyncAborted",
    }
    # Playwright's "Page.goto: ..." and "Call log:" name no class.
    assert failures.exception_names(DNS, None) == set()
    assert re.search(r"ERR_NAME_NOT_RESOLVED", CASES[0][3])


def test_a_stored_reason_is_classified_without_a_run():
    """The P1/P2 lookup keeps "profile page failed: <exception text>" (profile_jobs): the same table reads it."""
    reason = f"profile page failed: {DNS}"[:500]
    assert failures.classify("profile_scrape", reason).label == "Site unreachable"
    cloudflare = "profile page failed: Cloudflare challenge (Just a moment) did not clear for http://x.test/erin/"
    assert failures.classify("profile_scrape", cloudflare).cause == "blocked"
