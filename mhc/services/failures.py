"""Why a background run failed, in the owner's words: one table, read top to bottom, first match wins.

Pure: a stored run (its kind, status, error line and traceback) in, a Failure out; imports nothing from the
app. Our own exceptions are recognised by their class names, which the runner writes at the start of the
error line and the traceback names for every exception in the chain; text patterns are used where the
class says too little (a FollowScrapeError says "the list could not be read", its message says why) and
for the browser's and the network's errors, which are not ours. docs/operator.md#why-a-run-failed lists
the causes and what the owner does about each.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

# Where a next step leads; the panel turns these into addresses (mhc/admin/words.py).
COOKIES, EVENTS_TOKEN, DETAILS, JOBS = "cookies", "events_token", "details", "jobs"
CAUSES = (
    "unreachable",
    "logged_out",
    "blocked",
    "layout_changed",
    "partial",
    "timeout",
    "not_configured",
    "secrets_key",
    "unexpected",
)
FAILED_STATUSES = ("failed",)
AFFILIATE_KINDS = ("affiliate_poll", "refresh_person")
# "Name: message" at the start of a line, as the runner's error line and a traceback's last lines read.
# A module path is dropped; a lowercase last part ("Page.goto: net::ERR_…" in Playwright's text) is no class.
EXCEPTION_LINE = re.compile(r"^(?:[A-Za-z_]\w*\.)*([A-Z]\w*)(?::|$)", re.M)


@dataclass(frozen=True)
class Failure:
    """One failed run explained: `label` fits a table cell (at most three words), `message` says what
    happened in one line, `next_step` what to do about it, `link` where to do it (COOKIES, EVENTS_TOKEN,
    DETAILS, JOBS or None), `cause` a stable key for tests and filters."""

    cause: str
    label: str
    message: str
    next_step: str
    link: str | None


@dataclass(frozen=True)
class Rule:
    """A row of the table: the run matches when its kind is among `kinds` (any kind when empty) and one of
    `classes` names an exception of the run or one of `patterns` occurs in its error text."""

    failure: Failure
    classes: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()

    def matches(self, kind: str, names: set[str], text: str) -> bool:
        """True when this rule explains a run of `kind` raising `names` with `text`."""
        if self.kinds and kind not in self.kinds:
            return False
        return bool(names.intersection(self.classes)) or any(re.search(p, text, re.I) for p in self.patterns)


def _f(cause: str, label: str, message: str, next_step: str, link: str | None = DETAILS) -> Failure:
    return Failure(cause, label, message, next_step, link)


NO_COOKIES = _f(
    "not_configured",
    "No cookies",
    "No Chaturbate login cookies are imported, so the panel cannot open your lists.",
    "Import your browser's Chaturbate cookies on the Follow lists page.",
    COOKIES,
)
NO_CAMPAIGN = _f(
    "not_configured",
    "Campaign not set",
    "The affiliate campaign (AFFILIATE_WM) is not set, so the online rooms cannot be read.",
    "Set AFFILIATE_WM in the panel's environment file and restart the panel and its worker.",
    None,
)
UNEXPECTED = _f(
    "unexpected",
    "Unexpected error",
    "Something unexpected went wrong; nothing half-done was kept.",
    "Open Details for the error and the traceback; retry once, and report it if it happens again.",
)

RULES: tuple[Rule, ...] = (
    Rule(
        _f(
            "secrets_key",
            "Secrets key wrong",
            "The stored cookies and tokens cannot be opened with the current MHC_SECRETS_KEY: the key was changed.",
            "Put the previous key back into MHC_SECRETS_KEY (or paste the cookies and tokens again).",
        ),
        classes=("SecretsUndecryptable",),
    ),
    Rule(
        _f(
            "not_configured",
            "No secrets key",
            "MHC_SECRETS_KEY is not set, so stored cookies and tokens cannot be read or saved.",
            "Set MHC_SECRETS_KEY in the panel's environment file and restart the panel and its worker.",
            None,
        ),
        patterns=(r"SECRETS_KEYS is not configured",),
    ),
    Rule(
        _f(
            "not_configured",
            "No Events token",
            "No Events API token is stored, so the panel cannot listen to your room.",
            "Paste the Events API token on the Events API page.",
            EVENTS_TOKEN,
        ),
        classes=("EventsNotConfigured",),
    ),
    Rule(
        _f(
            "logged_out",
            "Token refused",
            "The Events API refused the token: it expired or was replaced.",
            "Paste a new Events API token on the Events API page, then restart the listener.",
            EVENTS_TOKEN,
        ),
        classes=("EventsTokenError",),
    ),
    Rule(NO_COOKIES, patterns=(r"no Chaturbate session cookies",)),
    Rule(
        _f(
            "logged_out",
            "Wrong account",
            "Chaturbate showed another account than yours: the imported cookies belong to someone else.",
            "Log in to Chaturbate as yourself and import that browser's cookies.",
            COOKIES,
        ),
        patterns=(r"logged in as '[^']*', not as the owner",),
    ),
    Rule(
        _f(
            "logged_out",
            "Logged out",
            "Chaturbate did not show you as logged in: the cookies have expired.",
            "Log in to Chaturbate in your browser and import fresh cookies.",
            COOKIES,
        ),
        patterns=(r"redirected to the (login|home) page", r"not logged in"),
    ),
    Rule(
        _f(
            "blocked",
            "Captcha or limit",
            "Chaturbate asked for a captcha or said too many requests, so the panel stopped.",
            "Wait an hour before retrying; if it keeps happening, import fresh cookies.",
        ),
        patterns=(r"\bHTTP 429\b", r"answered HTTP 403", r"Cloudflare challenge", r"captcha", r"too many requests"),
    ),
    Rule(
        _f(
            "timeout",
            "Timed out",
            "The site took too long to answer, so the run gave up.",
            "Retry later; if the site is slow for a long time, retry at a quieter hour.",
        ),
        classes=("TimeoutError", "JobTimeoutException", "ReadTimeout", "ConnectTimeout"),
        patterns=(r"Timeout \d+ ?ms exceeded", r"net::ERR_TIMED_OUT", r"within the (read|connect) timeout"),
    ),
    Rule(
        _f(
            "unreachable",
            "Site unreachable",
            "The site could not be reached: its name did not resolve or the connection was refused.",
            "Check this machine's internet connection (and the site's address), then retry.",
        ),
        classes=("NameResolutionError", "NewConnectionError", "ConnectionError"),
        patterns=(
            r"net::ERR_(NAME_NOT_RESOLVED|CONNECTION_REFUSED|CONNECTION_RESET|CONNECTION_CLOSED|ADDRESS_UNREACHABLE|"
            r"INTERNET_DISCONNECTED|NETWORK_CHANGED|PROXY_CONNECTION_FAILED|SSL_PROTOCOL_ERROR|CERT_\w+)",
            r"the host name did not resolve",
            r"could not connect",
            r"the connection broke",
            r"Name or service not known",
            r"Connection refused",
        ),
    ),
    Rule(
        _f(
            "unreachable",
            "Site error",
            "The site answered with an error page (a server error on its side).",
            "Retry later: these usually pass within minutes.",
        ),
        patterns=(r"answered HTTP 5\d\d",),
    ),
    Rule(
        _f(
            "partial",
            "Partial list",
            "The list came back incomplete or moved while it was read, so nothing was changed.",
            "Retry later; nobody was marked as unfollowed.",
        ),
        classes=("UntrustedReads",),
        patterns=(
            r"the list is partial",
            r"came back empty",
            r"the pager shrank",
            r"page\(s\) [\d, ]+ of \d+ missing",
            r"asked for page \d+, the pager says",
            r"moved during both reads",
            r"the list is empty and no count",
            r"cannot tell the list is complete",
        ),
    ),
    Rule(
        _f(
            "layout_changed",
            "Page changed",
            "The page did not look like anything the panel knows: the site may have changed its layout.",
            "Open Details: the saved page and the screenshot show what came back.",
        ),
        patterns=(
            r"no main room list",
            r"no followers list",
            r"the room list has no",
            r"room card without a readable username",
            r"visible room lists",
            r"bio section missing",
            r"the pager does not end",
            r"malformed JSON",
            r"has no '?results'? list",
            r"has no (nextUrl|events list|username)",
        ),
    ),
    Rule(
        _f(
            "unexpected",
            "Worker stopped",
            "The worker running this stopped before it finished; nothing of it was applied.",
            "Check that the worker is running (Jobs page, Workers), then retry.",
            JOBS,
        ),
        patterns=(r"^abandoned: the worker", r"^lost: the job queue"),
    ),
)


def exception_names(error: str | None, traceback: str | None) -> set[str]:
    """The class names (without their module) of every exception the error line and the traceback name."""
    text = "\n".join(t for t in (error, traceback) if t)
    return {match.group(1) for match in EXCEPTION_LINE.finditer(text)}


def explain(run, settings: Mapping | None = None) -> Failure | None:
    """Why `run` failed, or None when it did not fail. `settings` (the app config) lets a missing
    setting be named; without it only what the run stored is read."""
    if getattr(run, "status", None) not in FAILED_STATUSES:
        return None
    return classify(run.kind, run.error, run.traceback, settings)


def classify(kind: str, error: str | None, traceback: str | None = None, settings: Mapping | None = None) -> Failure:
    """The Failure for a run of `kind` that stored `error` and `traceback` (see RULES)."""
    names, text = exception_names(error, traceback), error or ""
    for rule in RULES:
        if rule.matches(kind, names, text):
            return rule.failure
    # Nothing the run stored says why; a setting the work cannot do without does.
    if settings is not None and kind in AFFILIATE_KINDS and not settings.get("AFFILIATE_WM"):
        return NO_CAMPAIGN
    return UNEXPECTED
