"""Usernames link to Profile pages; buttons that cannot succeed are disabled with the reason and a link, and
their endpoints refuse them without queueing a run (docs/operator.md#buttons-that-need-setting-up)."""

from __future__ import annotations

from datetime import timedelta

from bs4 import BeautifulSoup
from sqlalchemy import func, select

from mhc.admin import links
from mhc.extensions import db
from mhc.models import Interaction, JobRun, utcnow
from mhc.services import failures, readiness, secrets
from tests.factories import make_person
from tests.jobs.helpers import add_run


def _soup(client, url):
    resp = client.get(url)
    assert resp.status_code == 200, url
    return BeautifulSoup(resp.get_data(as_text=True), "html.parser")


def _runs() -> int:
    return db.session.scalar(select(func.count()).select_from(JobRun))


def test_person_link_escapes_and_points_at_the_profile(app):
    with app.test_request_context():
        html = str(links.person_link("<b>x</b>"))
        assert "&lt;b&gt;x&lt;/b&gt;" in html and "<b>" not in html
        assert 'href="/profile/%3Cb%3Ex%3C/b%3E"' in html
        assert links.person_link(None) == ""
        assert 'href="/events-api/"' in str(links.page_link("events_api"))


def test_readiness_names_what_is_missing(app):
    assert readiness.missing_for("follow_sync", db.session, app.config) is readiness.NO_COOKIES
    assert readiness.missing_for("affiliate_poll", db.session, {"AFFILIATE_WM": ""}) is readiness.NO_CAMPAIGN
    assert readiness.missing_for("affiliate_poll", db.session, {"AFFILIATE_WM": "wm1"}) is None
    assert readiness.missing_for("p2_scrape", db.session, app.config) is None
    secrets.store_cookies(db.session, "sessionid=abc")
    assert readiness.missing_for("follow_sync", db.session, app.config) is None
    assert readiness.NO_COOKIES.link == failures.COOKIES


def test_events_usernames_link_to_profiles(app, client, login_as):
    login_as("admin")
    make_person("tipper_one")
    db.session.add(
        Interaction(
            event_id="e1",
            type="privateMessage",
            from_username="tipper_one",
            to_username="hudson",
            room="hudson",
            text="hi",
            occurred_at=utcnow(),
        )
    )
    db.session.commit()
    row = _soup(client, "/events/").select_one("tr[data-event-id]")
    hrefs = [a["href"] for a in row.select("a[data-person-link]")]
    assert hrefs == ["/hudson/", "/profile/tipper_one", "/hudson/"]  # the owner's page is the dashboard


def test_follow_sync_without_cookies_is_disabled_and_refused(app, client, login_as, auth):
    login_as("admin")
    page = _soup(client, "/follow-lists/")
    for direction in ("following", "followers"):
        assert page.select_one(f"[data-testid=sync-{direction}]").has_attr("disabled")
    link = page.select_one("[data-testid=needs-link]")
    assert (link.text, link["href"]) == ("Import cookies first", "/follow-lists/#cookie-import")
    assert page.select_one("#cookie-import") is not None

    token = auth.csrf("/follow-lists/")
    form = {"csrf_token": token, "direction": "followers"}
    refused = client.post("/follow-lists/sync", data=form, follow_redirects=True)
    assert "Not started: Import cookies first" in refused.get_data(as_text=True)
    answer = client.post("/follow-lists/sync", data=form, headers={"Accept": "application/json"})
    assert answer.status_code == 409
    assert answer.json["error"].startswith("Import cookies first")
    assert answer.json["needs"] == "/follow-lists/#cookie-import"
    assert _runs() == 0  # nothing queued that had to fail

    secrets.store_cookies(db.session, "sessionid=abc")
    page = _soup(client, "/follow-lists/")
    assert not page.select_one("[data-testid=sync-followers]").has_attr("disabled")
    assert page.select_one("[data-testid=needs-link]") is None


def test_users_list_sync_button_says_what_it_needs(app, client, login_as):
    login_as("admin")
    page = _soup(client, "/users/followers/")
    assert page.select_one("[data-testid=sync-button]").has_attr("disabled")
    assert page.select_one("[data-testid=sync-needs]")["href"] == "/follow-lists/#cookie-import"


def test_hudson_sync_buttons_and_names(app, client, login_as):
    login_as("admin")
    page = _soup(client, "/hudson/")
    assert page.select_one("[data-testid=sync-follower]").has_attr("disabled")
    assert page.select_one("[data-testid=needs-follower]")["href"] == "/follow-lists/#cookie-import"
    assert page.select_one("a[data-page-link=events_api]")["href"] == "/events-api/"


def test_affiliate_poll_run_now_needs_the_campaign(app, client, login_as, auth):
    login_as("admin")
    page = _soup(client, "/jobs/")
    assert page.select_one("[data-testid=start-affiliate_poll]").has_attr("disabled")
    assert "Set AFFILIATE_WM first" in page.select_one("[data-testid=needs-affiliate_poll]").text
    assert not page.select_one("[data-testid=start-p2_scrape]").has_attr("disabled")
    refused = client.post("/jobs/start/affiliate_poll", data={"csrf_token": auth.csrf("/jobs/")}, follow_redirects=True)
    assert "Not started: Set AFFILIATE_WM first" in refused.get_data(as_text=True)
    assert _runs() == 0


def test_a_runs_persons_link_to_their_profiles(app, client, login_as):
    login_as("admin")
    people = [make_person(f"model_{i}") for i in range(5)]
    run = add_run("profile_scrape", status="finished", args={"person_ids": [str(p.id) for p in people]})
    row = _soup(client, "/jobs/").select_one(f"tr[data-run='{run.id}'] [data-testid=targets]")
    assert [a["href"] for a in row.select("a")] == ["/profile/model_0", "/profile/model_1", "/profile/model_2"]
    assert "and 2 others" in row.text
    detail = _soup(client, f"/jobs/{run.id}/").select_one("[data-testid=targets]")
    assert len(detail.select("a[data-person-link]")) == 5


def test_progress_json_says_a_failure_in_words(app, client, login_as):
    login_as("admin")
    run = add_run(
        "follow_sync",
        status="failed",
        args={"direction": "followers"},
        error="FollowScrapeError: no Chaturbate session cookies imported",
        finished_at=utcnow() + timedelta(seconds=1),
    )
    for url in (f"/jobs/progress.json?ids={run.id}", f"/follow-lists/runs/{run.id}.json"):
        data = client.get(url).get_json()
        data = data.get(str(run.id), data)
        assert data["status_label"] == "failed"
        assert data["failure"]["label"] == "No cookies"
        assert data["failure"]["url"] == "/follow-lists/#cookie-import"
        assert data["detail_url"] == f"/jobs/{run.id}/"


def test_a_stopped_workers_next_step_links_to_the_workers(app, client, login_as):
    login_as("admin")
    run = add_run("selftest", status="failed", error="abandoned: the worker stopped")
    step = _soup(client, f"/jobs/{run.id}/").select_one("[data-testid=next-step] a")
    assert step["href"] == "/jobs/#workers" and "worker is running" in step.text
    assert _soup(client, "/jobs/").select_one("#workers") is not None


def test_retrying_a_sync_without_cookies_is_refused(app, client, login_as, auth):
    login_as("admin")
    failed = add_run("follow_sync", status="failed", args={"direction": "followers"}, error="x")
    answer = client.post(f"/jobs/{failed.id}/retry", data={"csrf_token": auth.csrf("/jobs/")}, follow_redirects=True)
    assert "Not retried: Import cookies first" in answer.get_data(as_text=True)
    assert _runs() == 1
