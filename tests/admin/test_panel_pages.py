"""The panel as the owner meets it: navigation in its order, error pages inside the layout, the favicon,
and failures, kinds and events in plain words on the Jobs, Follow lists, Events and Home pages."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from bs4 import BeautifulSoup

from mhc.extensions import db
from mhc.models import utcnow
from mhc.services import job_artifacts
from tests.factories import make_interaction, make_person
from tests.jobs.helpers import add_run

T0 = datetime(2026, 11, 25, 19, 6, 7, 123456, tzinfo=UTC)
DNS_ERROR = (
    "FollowSyncAborted: online page 1 failed to load: Page.goto: net::ERR_NAME_NOT_RESOLVED at "
    "http://chaturbate.invalid/followed-cams/?page=1"
)


def soup_of(client, url: str) -> BeautifulSoup:
    return BeautifulSoup(client.get(url).get_data(as_text=True), "html.parser")


def nav_items(soup: BeautifulSoup) -> list[str]:
    """The top-level entries of the main menu, left to right (a category by its own name)."""
    menu = soup.select_one("ul.navbar-nav.mr-auto")
    return [item.find(["a"]).get_text(" ", strip=True) for item in menu.find_all("li", recursive=False)]


def test_nav_reads_users_profile_hudson_events_admin(app, client, login_as):
    login_as("admin")
    soup = soup_of(client, "/jobs/")
    items = nav_items(soup)
    owner_page = app.config.get("OWNER_DISPLAY_NAME") or "Hudson"
    assert items == ["Users", "Profile", owner_page, "Events", "Admin"]
    assert soup.select_one("a.navbar-brand")["href"] == "/"  # Home: the brand, not a menu entry


def test_admin_menu_keeps_its_entries(app, client, login_as):
    login_as("admin")
    menus = soup_of(client, "/jobs/").select("ul.navbar-nav.mr-auto > li.dropdown")
    admin = next(m for m in menus if m.find("a").get_text(strip=True) == "Admin")
    names = [a.get_text(strip=True) for a in admin.select(".dropdown-menu a")]
    assert names[:3] == ["System Users", "Roles & Permissions", "Audit Log"]
    assert (
        names.index("Jobs") < names.index("Follow lists") < names.index("Events API") < names.index("Feed quarantine")
    )


# --- error pages


def test_403_inside_the_panel_names_nothing_secret(client, login_as):
    login_as("viewer")
    response = client.get("/jobs/")
    assert response.status_code == 403
    soup = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    assert soup.select_one("nav.navbar") is not None and nav_items(soup)[:2] == ["Users", "Profile"]
    message = soup.select_one('[data-testid="error-message"]').get_text(strip=True)
    assert message == "Your account is not allowed to open this page. An admin of the panel can give you access."
    assert "manage_jobs" not in response.get_data(as_text=True)


def test_404_inside_the_panel_for_a_logged_in_user(client, login_as):
    login_as("admin")
    response = client.get("/jobs/00000000-0000-0000-0000-000000000000/")
    assert response.status_code == 404
    soup = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    assert soup.select_one("nav.navbar") is not None
    assert soup.select_one('[data-testid="error-message"]').get_text(strip=True) == (
        "There is nothing here: the page, or the row it names, does not exist."
    )


def test_404_for_anyone_else_shows_no_navigation(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    soup = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    assert soup.select_one("nav.navbar") is None and soup.select_one('[data-testid="error-page"]') is not None


def test_json_endpoints_keep_json_errors(client, login_as):
    login_as("viewer")
    refused = client.get("/jobs/progress.json?ids=")
    assert (refused.status_code, refused.get_json()) == (403, {"error": refused.get_json()["error"]})
    assert refused.get_json()["error"].startswith("Your account is not allowed")


def test_json_endpoints_keep_json_404(client, login_as):
    login_as("admin")
    missing = client.get("/follow-lists/runs/00000000-0000-0000-0000-000000000000.json")
    assert missing.status_code == 404 and missing.is_json


@pytest.fixture
def broken_route(app):
    """A page that fails, added before the first request; errors handled as in production."""

    def boom():
        raise RuntimeError("a bug")

    app.add_url_rule("/boom", "boom", boom)
    app.add_url_rule("/boom.json", "boom_json", boom)
    app.config["PROPAGATE_EXCEPTIONS"] = False


def test_500_inside_the_panel_with_the_request_id(broken_route, client, login_as):
    login_as("admin")
    response = client.get("/boom", headers={"X-Request-ID": "req-500-test"})
    assert response.status_code == 500
    soup = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    assert soup.select_one("nav.navbar") is not None
    assert soup.select_one('[data-testid="error-message"]').get_text(strip=True) == (
        "Something went wrong on the panel's side; nothing was changed. "
        "The error is in the panel's log (request req-500-test)."
    )
    assert "a bug" not in response.get_data(as_text=True)
    failed_json = client.get("/boom.json")
    assert failed_json.status_code == 500 and failed_json.get_json()["error"].startswith("Something went wrong")


# --- favicon


def test_favicon_is_linked_and_served_as_svg(client, login_as):
    login_page = BeautifulSoup(client.get("/login").get_data(as_text=True), "html.parser")
    assert login_page.select_one('link[rel="icon"]')["href"] == "/static/favicon.svg"
    login_as("admin")
    link = soup_of(client, "/").select_one('link[rel="icon"]')
    assert (link["href"], link["type"]) == ("/static/favicon.svg", "image/svg+xml")
    icon = client.get("/static/favicon.svg")
    assert icon.status_code == 200 and icon.mimetype == "image/svg+xml"
    assert b"<script" not in icon.data and icon.data.startswith(b"<svg")
    icon.close()


# --- failures and words on the pages


def test_jobs_list_shows_the_label_and_the_run_page_the_message(client, login_as):
    run = add_run(
        "follow_sync",
        status="failed",
        error=DNS_ERROR,
        traceback="Traceback...\n" + DNS_ERROR,
        args={"direction": "following"},
        created_at=T0,
        started_at=T0,
        finished_at=T0.replace(minute=8),
    )
    job_artifacts.store(db.session, run.id, "html", b"<html>gone</html>", "text/html", 1024)
    login_as("admin")
    row = soup_of(client, "/jobs/").select_one(f'tr[data-run="{run.id}"]')
    cells = [td.get_text(" ", strip=True) for td in row.find_all("td")]
    assert cells[0] == "Follow list sync" and cells[1] == "failed"
    assert cells[3:6] == ["2026-11-25 19:06:07 UTC", "2 minutes", "Site unreachable"]
    detail = soup_of(client, f"/jobs/{run.id}/")
    assert detail.select_one("h1").get_text(" ", strip=True) == "Follow list sync failed"
    assert detail.select_one('[data-testid="failure-message"]').get_text(strip=True) == (
        "The site could not be reached: its name did not resolve or the connection was refused."
    )
    details = detail.select_one("details#details")
    assert details is not None and not details.has_attr("open")
    assert details.select_one('[data-testid="error"]').get_text() == DNS_ERROR
    assert details.select_one(f'a[href="/jobs/{run.id}/artifact/html"]') is not None
    assert soup_of(client, f"/jobs/{run.id}/?details=1").select_one("details#details").has_attr("open")


def test_jobs_page_says_schedules_and_kinds_in_words(client, login_as):
    login_as("admin")
    soup = soup_of(client, "/jobs/")
    cells = {tr["data-schedule"]: tr.find_all("td")[1].get_text(strip=True) for tr in soup.select("tr[data-schedule]")}
    assert cells["artifact_cleanup"] == "1 day"  # ARTIFACT_CLEANUP_SECONDS = 86400, not "86400 s"
    assert " s<" not in str(soup.select_one('[data-testid="schedules"]'))


def test_follow_lists_page_explains_a_failed_sync_and_links_the_cookies_form(client, login_as):
    error = "FollowSyncAborted: online page 1: redirected to the login page (/auth/login/): the session cookies are "
    run = add_run("follow_sync", status="failed", error=error + "missing or expired", args={"direction": "following"})
    login_as("admin")
    soup = soup_of(client, "/follow-lists/")
    failure = soup.select_one(f'tr[data-run-id="{run.id}"] [data-testid="failure"]')
    assert failure.get_text(" ", strip=True) == (
        "Logged out: Chaturbate did not show you as logged in: the cookies have expired."
    )
    step = soup.select_one(f'tr[data-run-id="{run.id}"] [data-testid="next-step"]')
    assert step["href"] == "/follow-lists/#cookie-import" and soup.select_one("section#cookie-import") is not None
    assert "redirected to the login page" not in soup.select_one(f'tr[data-run-id="{run.id}"]').get_text()


def test_events_page_names_events_as_people_say_them(client, login_as):
    make_interaction("userEnter", T0, room="hudson", from_username="fan")
    make_interaction("chatMessage", T0.replace(second=9), room="hudson", from_username="fan", text="hi")
    make_interaction(
        "privateMessage",
        T0.replace(second=10),
        room="",
        from_username="hudson",
        to_username="pal",
        is_direct=True,
        text="dm",
    )
    login_as("admin")
    rows = soup_of(client, "/events/").select("#event-rows tr")
    assert [r.find_all("td")[1].get_text(strip=True) for r in rows] == [
        "private message (direct)",
        "chat message",
        "entered the room",
    ]
    assert rows[0].find_all("td")[0].get_text(strip=True) == "2026-11-25 19:06:10"
    live = client.get("/events/feed.json?after=").get_json()["rows"]
    assert [r["type_label"] for r in live] == ["private message", "chat message", "entered the room"]


def test_home_numbers_agree_with_their_nouns(client, login_as):
    make_interaction("tip", utcnow(), person=make_person("fan"), room="hudson", from_username="fan", amount=5)
    login_as("admin")
    soup = soup_of(client, "/")
    assert soup.select_one('[data-testid="today-tips"]').get_text(" ", strip=True) == "1 tip"
    assert soup.select_one('[data-testid="today-tokens"]').get_text(" ", strip=True) == "5 tokens tipped"
    assert soup.select_one('[data-testid="today-unfollows"]').get_text(" ", strip=True) == "0 persons unfollowed"
