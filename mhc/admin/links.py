"""Links the panel puts everywhere: a person's name to their Profile page, a settings page's name to the
page, and the reason a button is disabled with the link where it is set up.

Jinja filters and globals registered by init_links(app) from init_admin; every template uses these instead
of building the addresses itself (docs/operator.md#links-everywhere). Names are escaped here (markupsafe).
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, current_app, url_for
from markupsafe import Markup, escape

from mhc.admin import words
from mhc.extensions import db
from mhc.services import failures, readiness

# Settings pages as the owner reads them in messages ("Admin → Follow lists"): (endpoint, anchor, words).
PAGES = {
    "follow_lists": ("follows.index", None, "Admin → Follow lists"),
    "cookies": ("follows.index", "cookie-import", "Admin → Follow lists → cookies"),
    "events_api": ("events_api.index", None, "Admin → Events API"),
    "jobs": ("jobs.index", None, "Admin → Jobs"),
    "alerts": ("alerts.index", None, "Admin → Alerts"),
}
# A failure's or a missing setting's link key, as a page of PAGES.
LINK_PAGES = {failures.COOKIES: "cookies", failures.EVENTS_TOKEN: "events_api"}


def profile_url(username: str) -> str:
    """The Profile page of a platform user; the owner's page is the owner's dashboard (Hudson)."""
    if username.lower() == str(current_app.config["OWNER_USERNAME"]).lower():
        return url_for("hudson.index")
    return url_for("profile.person", username=username)


def person_link(username, css: str | None = None) -> Markup | str:
    """`<a href=Profile>username</a>`, escaped; an empty name stays empty."""
    if not username:
        return ""
    cls = Markup(' class="{}"').format(css) if css else ""
    return Markup('<a href="{}"{} data-person-link>{}</a>').format(profile_url(str(username)), cls, escape(username))


def page_url(key: str) -> str:
    """The address of a settings page of PAGES."""
    endpoint, anchor, _words = PAGES[key]
    return url_for(endpoint, _anchor=anchor) if anchor else url_for(endpoint)


def page_link(key: str, text: str | None = None) -> Markup:
    """A settings page's name as a link to it ("Admin → Follow lists")."""
    _endpoint, _anchor, words = PAGES[key]
    return Markup('<a href="{}" data-page-link="{}">{}</a>').format(page_url(key), key, text or words)


@dataclass(frozen=True)
class ShownMissing:
    """A readiness.Missing with the address of where it is set up, for a disabled button."""

    reason: str
    next_step: str
    url: str | None

    def sentence(self) -> str:
        """The refusal as one sentence."""
        return f"{self.reason}: {self.next_step}"


def shown(missing: readiness.Missing | None) -> ShownMissing | None:
    """A Missing with its link turned into an address."""
    if missing is None:
        return None
    key = LINK_PAGES.get(missing.link) if missing.link else None
    return ShownMissing(missing.reason, missing.next_step, page_url(key) if key else None)


def needs(kind: str) -> ShownMissing | None:
    """What a run of `kind` lacks before its button can succeed (None: the button works)."""
    return shown(readiness.missing_for(kind, db.session, current_app.config))


def needs_for_retry(run) -> ShownMissing | None:
    """What retrying `run` lacks (None: its Retry button works)."""
    return shown(readiness.missing_for_retry(run, db.session, current_app.config))


def init_links(app: Flask) -> None:
    """Register person_link as a filter; page_link, page_url, needs, needs_for_retry and profile_url as globals."""
    app.jinja_env.filters["person_link"] = person_link
    app.jinja_env.globals.update(
        page_link=page_link, page_url=page_url, needs=needs, needs_for_retry=needs_for_retry, profile_url=profile_url
    )


def progress_words(run) -> dict:
    """A run's progress payload for the pages' progress bars, with its status and any failure in words
    (the failure's label, message and the link of its next step), so a script never shows the raw error."""
    failure = words.explain_failure(run)
    return {
        **run.progress_payload(),
        "status_label": words.job_status(run.status),
        "detail_url": url_for("jobs.detail", run_id=run.id),
        "failure": None
        if failure is None
        else {"label": failure.label, "message": failure.message, "next_step": failure.next_step, "url": failure.url},
    }
