"""The ONE table of person actions. The Users lists' batch actions (Flask-Admin @action), their row buttons
and the Profile page's buttons are all built from it, so a label, a permission or what an action does is
written once (docs/architecture.md, "One home for each rule").
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit

from flask import current_app, flash, redirect

from mhc.auth import permissions as perms
from mhc.extensions import db
from mhc.jobs import JobAlreadyRunning, JobsUnavailable
from mhc.jobs.affiliate_jobs import enqueue_refresh
from mhc.jobs.batch_jobs import enqueue_batch
from mhc.jobs.profile_jobs import enqueue_profile_scrape
from mhc.services import readiness
from mhc.services.users import batch


@dataclass(frozen=True)
class Outcome:
    """What running an action did: a background run started (`queued`: an action that always runs as a
    job), or this many persons changed now."""

    run_id: uuid.UUID | None = None
    changed: int | None = None
    queued: bool = False


# (person ids, acting system user's id, inline limit) -> Outcome
Handler = Callable[[list, uuid.UUID | None, int], Outcome]


def background(enqueue) -> Handler:
    """An action that always runs as a job (it drives the browser or the feed)."""

    def run(ids, actor_id, inline_limit):
        return Outcome(run_id=enqueue(ids, actor_id=actor_id).id, queued=True)

    return run


def change(name: str) -> Handler:
    """A batch change (services.users.batch): inline up to the inline limit, a batch job above it."""

    def run(ids, actor_id, inline_limit):
        if len(ids) > inline_limit:
            return Outcome(run_id=enqueue_batch(name, ids, actor_id=actor_id).id)
        return Outcome(changed=batch.apply_change(db.session, name, ids, actor_id=actor_id))

    return run


@dataclass(frozen=True)
class PersonAction:
    """One action on selected persons. `button`: also in each list row's menu and a button on the Profile page;
    `title`: what it does, in one sentence (the menu's and the button's tooltip); `needs`: the run kind whose
    setup it needs (services/readiness.py): while that is missing the button is disabled with the reason and
    the action is refused, starting nothing."""

    name: str
    label: str
    permission: str
    handler: Handler
    confirmation: str | None = None
    button: bool = False
    needs: str | None = None

    @property
    def title(self) -> str:
        """What it does, in one sentence (TITLES)."""
        return TITLES[self.name]


# What each action does, shown as the row menu's and the Profile page's tooltips and in the lists' legend.
TITLES = {
    "scrape_profile": "Open the person's Chaturbate profile page now (in the background) and save bio, tags and photo.",
    "add_p1": "Look the person up once: the next Affiliate API poll that finds them online records them.",
    "refresh_data": "Ask the Affiliate API now whether the person is online, record it, then scrape the profile.",
    "add_p2": "Track the person: recorded on every poll while online, profile scraped on every P2 round.",
    "exclude": "Leave the person out of every count and insight (their own pages stay).",
    "include": "Count the person again in counts and insights.",
}

# Buttons appear in this order.
ACTIONS = (
    PersonAction("scrape_profile", "Scrape Profile", perms.SCRAPE_PROFILES, background(enqueue_profile_scrape), button=True),  # noqa: E501
    PersonAction("add_p1",         "Add to P1",      perms.MANAGE_PRIORITIES, change("add_p1"), button=True),
    PersonAction("refresh_data",   "Refresh Data",   perms.SCRAPE_PROFILES, background(enqueue_refresh), button=True,
                 needs="refresh_person"),
    PersonAction("add_p2",         "Add to P2",      perms.MANAGE_PRIORITIES, change("add_p2")),
    PersonAction("exclude",        "Exclude",        perms.MANAGE_USERS, change("exclude")),
    PersonAction("include",        "Include",        perms.MANAGE_USERS, change("include")),
)  # fmt: skip
BY_NAME = {a.name: a for a in ACTIONS}
PERMISSIONS = {a.name: a.permission for a in ACTIONS}


def buttons(allowed: Callable[[str], bool]) -> list[PersonAction]:
    """The button actions whose name `allowed` accepts (the user's permissions), in table order."""
    return [a for a in ACTIONS if a.button and allowed(a.name)]


def inline_limit() -> int:
    """Above this many persons a batch change runs as a background job (config BATCH_INLINE_LIMIT)."""
    return current_app.config["BATCH_INLINE_LIMIT"]


def perform(name: str, targets: list, *, actor_id: uuid.UUID | None, redirect_to: str):
    """Run one action for resolved person ids, flash what happened, and go back to `redirect_to`."""
    spec = BY_NAME[name]
    missing = readiness.missing_for(spec.needs, db.session, current_app.config) if spec.needs else None
    if missing is not None:
        flash(f"Nothing was started: {missing.sentence()}", "error")
        return redirect(redirect_to)
    try:
        outcome = spec.handler(targets, actor_id, inline_limit())
    except (JobAlreadyRunning, JobsUnavailable) as exc:
        flash(f"Nothing was started: {exc}", "error")
        return redirect(redirect_to)
    if outcome.queued:
        flash(f"{spec.label} queued for {len(targets):,} person(s).", "success")
    elif outcome.run_id is not None:
        flash(f"{spec.label}: {len(targets):,} persons, running in the background.", "info")
    if outcome.run_id is not None:
        return redirect(with_job(redirect_to, outcome.run_id))
    flash(f"{spec.label}: {outcome.changed:,} person(s) updated.", "success")
    return redirect(redirect_to)


def with_job(url: str, run_id) -> str:
    """The return URL with ?job=<run id>, so the list shows that run's progress."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k != "job"] + [("job", str(run_id))]
    return parts._replace(query=urlencode(query)).geturl()
