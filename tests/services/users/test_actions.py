"""Row and batch actions: ids resolve through the view's query, "all N matching" confirms N, permissions hold."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import select

from mhc.admin.users import actions, views
from mhc.extensions import db
from mhc.models import AuditLog, JobRun, Person, PriorityLookup
from mhc.services import secrets
from tests.factories import make_person
from tests.waiting import wait_until


def lookups() -> dict[str, tuple[int, str]]:
    rows = db.session.execute(
        select(Person.username, PriorityLookup.priority, PriorityLookup.status).join(
            PriorityLookup, PriorityLookup.person_id == Person.id
        )
    )
    return {r.username: (r.priority, r.status) for r in rows}


def post_action(client, auth, view: str, action: str, ids=(), **extra):
    data = {"action": action, "url": f"/users/{view}/", "csrf_token": auth.csrf(f"/users/{view}/"), **extra}
    if ids:
        data["rowid"] = [str(i) for i in ids]
    return client.post(f"/users/{view}/action/", data=data)


def test_add_p1_on_selected_rows(client, auth, login_as, cast):
    login_as("admin")
    response = post_action(client, auth, "directory", "add_p1", [cast["alice"].id, cast["bob"].id])
    assert response.status_code == 302
    db.session.expire_all()
    assert lookups() == {"alice": (1, "queued"), "bob": (1, "queued")}
    rows = {r.select_one("a.username").get_text(): r for r in _rows(client.get("/users/directory/"))}
    # AFFILIATE_WM is unset in tests: the queued P1 says it waits for the poll, which is off
    assert rows["alice"].select_one(".priority-cell").get_text(" ", strip=True) == "P1 Waits: poll is off"
    assert rows["carol"].select_one(".priority-cell") is None  # no lookup: an empty cell


def _rows(response):
    soup = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    return [tr for tr in soup.select("table.model-list tr") if tr.select_one("a.username")]


def test_action_ignores_ids_the_view_does_not_show(client, auth, login_as, cast):
    login_as("admin")
    # bob is not on the Following list: resolving through FollowingView's query drops him
    post_action(client, auth, "following", "add_p1", [cast["alice"].id, cast["bob"].id, "not-a-uuid"])
    db.session.expire_all()
    assert lookups() == {"alice": (1, "queued")}


def test_all_matching_confirms_n_then_applies_to_all(client, auth, login_as, cast):
    login_as("admin")
    for i in range(3):
        make_person(f"zed{i}", "MODEL")
    list_args = "flt0_show_is=models&search=a"  # alice, carol, dave, frank (not the extras)
    confirm = post_action(client, auth, "directory", "add_p1", select_all="1", list_args=list_args)
    assert confirm.status_code == 200
    soup = BeautifulSoup(confirm.get_data(as_text=True), "html.parser")
    assert soup.select_one("[data-testid=confirm-count]").get_text(" ", strip=True) == "4 persons match this filter."
    assert lookups() == {}
    form = {i["name"]: i.get("value", "") for i in soup.select("[data-testid=confirm-all] form input")}
    assert form["list_args"] == list_args and form["confirmed"] == "1"
    done = client.post("/users/directory/action/", data=form)
    assert done.status_code == 302
    db.session.expire_all()
    assert lookups() == {name: (1, "queued") for name in ("alice", "carol", "dave", "frank")}


def test_all_matching_respects_the_tab(client, auth, login_as, cast):
    login_as("admin")
    confirm = post_action(client, auth, "unfollowed", "add_p2", select_all="1", list_args="flt0_window_last=7")
    soup = BeautifulSoup(confirm.get_data(as_text=True), "html.parser")
    assert soup.select_one("[data-testid=confirm-count]").get_text(" ", strip=True) == "1 persons match this filter."
    post_action(client, auth, "unfollowed", "add_p2", select_all="1", confirmed="1", list_args="flt0_window_last=7")
    db.session.expire_all()
    assert lookups() == {"dave": (2, "queued")}


@pytest.mark.parametrize(
    ("role", "action"),
    [("viewer", "add_p1"), ("subscriber", "add_p1"), ("viewer", "exclude"), ("subscriber", "scrape_profile")],
)
def test_forbidden_action_is_403_and_changes_nothing(client, auth, login_as, cast, role, action):
    login_as(role)
    response = post_action(client, auth, "directory", action, [cast["alice"].id])
    assert response.status_code == 403
    response = post_action(client, auth, "directory", action, select_all="1", confirmed="1", list_args="")
    assert response.status_code == 403
    db.session.expire_all()
    assert lookups() == {}
    assert db.session.get(Person, cast["alice"].id).is_excluded is False


def test_viewer_sees_no_action_buttons(client, login_as, cast):
    login_as("viewer")
    html = client.get("/users/directory/").get_data(as_text=True)
    soup = BeautifulSoup(html, "html.parser")
    assert soup.select("form#row-action") == []
    assert soup.select("#action_form") == []
    assert soup.select("#row-menu") == []  # no row menu (and no Edit) to open
    assert [a.get_text(strip=True) for a in soup.select(".col-actions a")][:1] == ["Profile"]


def test_admin_sees_every_row_action(client, login_as, cast):
    login_as("admin")
    soup = BeautifulSoup(client.get("/users/directory/").get_data(as_text=True), "html.parser")
    first = soup.select("table.model-list tbody tr")[0]
    assert [a.get_text(strip=True) for a in first.select(".col-actions a")] == ["Profile"]  # the primary action
    menu = soup.select_one("#row-menu")  # the page's one row menu: each item has a title saying what it does
    assert [(b["data-action"], bool(b["title"])) for b in menu.select("button[data-action]")] == [
        ("scrape_profile", True),
        ("add_p1", True),
        ("refresh_data", True),
    ]
    assert menu.select_one(".row-menu-edit").get_text(strip=True) == "Edit person"


def test_refresh_data_needs_the_affiliate_campaign(client, auth, login_as, cast):
    """AFFILIATE_WM unset (as in tests): Refresh Data is disabled with the reason, and refused if posted."""
    login_as("admin")
    soup = BeautifulSoup(client.get("/users/directory/").get_data(as_text=True), "html.parser")
    refresh = soup.select_one("#row-menu button[data-action=refresh_data]")
    assert refresh.has_attr("disabled") and refresh["title"].startswith("Set AFFILIATE_WM first:")
    assert not soup.select_one("#row-menu button[data-action=scrape_profile]").has_attr("disabled")
    profile = BeautifulSoup(client.get(f"/profile/{cast['alice'].username}").get_data(as_text=True), "html.parser")
    assert profile.select_one("button[data-action=refresh_data]").has_attr("disabled")
    response = post_action(client, auth, "directory", "refresh_data", [cast["alice"].id])
    assert response.status_code == 302 and "job=" not in response.headers["Location"]
    assert db.session.scalar(select(JobRun).where(JobRun.kind == "refresh_person")) is None
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Nothing was started: Set AFFILIATE_WM first" in page


def test_exclude_and_include_are_audited(client, auth, login_as, cast):
    login_as("admin")
    post_action(client, auth, "directory", "exclude", [cast["carol"].id])
    db.session.expire_all()
    assert db.session.get(Person, cast["carol"].id).is_excluded is True
    entry = db.session.scalar(select(AuditLog).where(AuditLog.object_id == str(cast["carol"].id)))
    assert entry.diff == {"is_excluded": [False, True]}
    post_action(client, auth, "directory", "include", [cast["carol"].id])
    db.session.expire_all()
    assert db.session.get(Person, cast["carol"].id).is_excluded is False


def test_big_batch_runs_as_a_job_with_progress(app, client, auth, login_as, cast, monkeypatch):
    monkeypatch.setitem(app.config, "BATCH_INLINE_LIMIT", 2)
    login_as("admin")
    ids = [cast[n].id for n in ("alice", "bob", "carol")]
    response = post_action(client, auth, "directory", "add_p2", ids)
    assert response.status_code == 302
    assert "job=" in response.headers["Location"]
    run = db.session.scalar(select(JobRun).where(JobRun.kind == "batch_action"))
    assert run.args["action"] == "add_p2" and sorted(run.args["person_ids"]) == sorted(str(i) for i in ids)

    def status_once_ended():
        db.session.expire_all()
        status = client.get(f"/users/directory/jobs/{run.id}.json").get_json()
        return status if status["status"] not in ("queued", "running") else None

    status = wait_until(status_once_ended, 20, message="the batch job to end")
    assert status["status"] == "finished", status
    assert status["progress"] == 100
    assert status["counts"] == {"action": "add_p2", "persons": 3, "changed": 3}
    db.session.expire_all()
    assert lookups() == {"alice": (2, "queued"), "bob": (2, "queued"), "carol": (2, "queued")}


def test_scrape_and_refresh_enqueue_their_jobs(app, client, auth, login_as, cast, monkeypatch):
    monkeypatch.setitem(app.config, "AFFILIATE_WM", "abc123")  # Refresh Data asks the Affiliate API
    calls = []

    class Run:
        id = "00000000-0000-4000-8000-000000000009"

    def fake(kind):
        def enqueue(person_ids, actor_id=None):
            calls.append((kind, sorted(str(p) for p in person_ids)))
            return Run()

        return enqueue

    for name, kind in (("scrape_profile", "scrape"), ("refresh_data", "refresh")):
        handler = actions.background(fake(kind))
        monkeypatch.setitem(actions.BY_NAME, name, replace(actions.BY_NAME[name], handler=handler))
    login_as("admin")
    post_action(client, auth, "followers", "scrape_profile", [cast["bob"].id, cast["alice"].id])
    post_action(client, auth, "directory", "refresh_data", [cast["alice"].id])
    assert calls == [("scrape", [str(cast["bob"].id)]), ("refresh", [str(cast["alice"].id)])]


def test_add_to_queue_creates_person_and_p2_lookup(client, auth, login_as, cast, monkeypatch):
    scraped = []
    monkeypatch.setattr(views, "enqueue_profile_scrape", lambda ids, actor_id=None: scraped.append(ids))
    login_as("admin")
    empty = client.get("/users/directory/?search=NewGuy_7")
    soup = BeautifulSoup(empty.get_data(as_text=True), "html.parser")
    assert soup.select_one("[data-testid=add-to-queue]") is not None
    response = client.post(
        "/users/directory/queue", data={"username": "NewGuy_7", "csrf_token": auth.csrf("/users/directory/")}
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith("search=%3Dnewguy_7")
    db.session.expire_all()
    assert lookups() == {"newguy_7": (2, "queued")}
    person = db.session.scalar(select(Person).where(Person.username == "newguy_7"))
    assert scraped == [[person.id]]
    rows = _rows(client.get(response.headers["Location"]))
    assert [r.select_one(".priority-cell").get_text(" ", strip=True) for r in rows] == ["P2 Queued"]
    status = client.get(f"/users/directory/priority-status.json?ids={person.id}").get_json()
    assert status[str(person.id)] | {"title": "…"} == {
        "priority": 2, "status": "queued", "reason": None, "label": "Queued", "title": "…", "blocked": False,
    }  # fmt: skip
    assert status[str(person.id)]["title"].startswith("P2: waiting")


def test_add_to_queue_hidden_and_refused_without_permission(client, auth, login_as, cast):
    login_as("subscriber")
    soup = BeautifulSoup(client.get("/users/directory/?search=nobody").get_data(as_text=True), "html.parser")
    assert soup.select_one("[data-testid=no-results]") is not None
    assert soup.select_one("[data-testid=add-to-queue]") is None
    response = client.post("/users/directory/queue", data={"username": "x", "csrf_token": auth.csrf("/")})
    assert response.status_code == 403


def test_failed_lookup_shows_reason(client, login_as, cast):
    from mhc.services.users import priorities

    priorities.set_priority(db.session, [cast["dave"].id], 1)
    priorities.mark_status(db.session, [cast["dave"].id], "failed", reason="profile page did not load")
    login_as("viewer")
    rows = {r.select_one("a.username").get_text(): r for r in _rows(client.get("/users/directory/"))}
    cell = rows["dave"].select_one(".priority-cell")
    assert cell.get_text(" ", strip=True) == "P1 Read failed"  # a short label; the reason is in the title
    assert "profile page did not load" in cell["title"]


def test_csv_export_of_the_filtered_list(client, login_as, cast):
    login_as("subscriber")
    response = client.get("/users/directory/export/csv/?flt0_show_is=viewers")
    assert response.status_code == 200
    lines = response.get_data(as_text=True).strip().splitlines()
    assert lines[0] == (
        "Username,Image,Age,Role,Tags,Priority,Followers,Rank,Events,Snapshots,Last Seen,"
        "Tokens,Tips,Last Tip,First in Room"
    )
    assert [line.split(",")[0] for line in lines[1:]] == ["bob", "carol", "erin"]


def test_csv_export_needs_view_stats(client, login_as, cast):
    login_as("viewer")
    assert client.get("/users/directory/export/csv/").status_code == 403


def test_admin_edits_person_and_profile(client, auth, login_as, cast):
    login_as("admin")
    pid = cast["carol"].id
    page = client.get(f"/users/directory/edit/?id={pid}")
    assert page.status_code == 200
    profile_id = cast["carol"].profile.id
    # Whose record this is, with the way to the rest of it.
    html = page.get_data(as_text=True)
    assert re.search(r"Editing\s+<strong>carol</strong>", html)
    assert 'href="/profile/carol"' in html and f"/users/profile-edit/edit/?id={profile_id}" in html
    other = client.get(f"/users/profile-edit/edit/?id={profile_id}").get_data(as_text=True)
    assert re.search(r"Editing the profile of\s+<strong>carol</strong>", other)
    assert f"/users/directory/edit/?id={pid}" in other
    response = client.post(
        f"/users/directory/edit/?id={pid}",
        data={"role": "MODEL", "csrf_token": auth.csrf(f"/users/directory/edit/?id={pid}")},
    )
    assert response.status_code == 302
    response = client.post(
        f"/users/profile-edit/edit/?id={profile_id}",
        data={
            "notes": "regular",
            "tags": "Feet, #new",
            "csrf_token": auth.csrf(f"/users/profile-edit/edit/?id={profile_id}"),
        },
    )
    assert response.status_code == 302
    db.session.expire_all()
    person = db.session.get(Person, pid)
    assert (person.role, person.is_excluded, person.profile.notes, person.profile.tags) == (
        "MODEL",
        False,
        "regular",
        ["feet", "new"],
    )


def test_edit_is_refused_to_subscribers(client, auth, login_as, cast):
    login_as("subscriber")
    pid = cast["carol"].id
    assert client.get(f"/users/directory/edit/?id={pid}").status_code == 403
    response = client.post(f"/users/directory/edit/?id={pid}", data={"role": "VIEWER", "csrf_token": auth.csrf("/")})
    assert response.status_code == 403


@pytest.mark.parametrize(("view", "direction"), [("following", "following"), ("followers", "followers")])
def test_update_list_button_starts_the_follow_sync(client, auth, login_as, cast, monkeypatch, view, direction):
    import mhc.admin.follows as follows

    started = []

    class Run:
        id = "00000000-0000-4000-8000-00000000000a"
        status = "queued"

    monkeypatch.setattr(follows, "enqueue_follow_sync", lambda d, actor_id=None: started.append(d) or Run())
    secrets.store_cookies(db.session, "sessionid=fake-session")  # without cookies the button is disabled
    login_as("admin")
    soup = BeautifulSoup(client.get(f"/users/{view}/").get_data(as_text=True), "html.parser")
    form = soup.select_one("[data-testid=sync-form]")
    assert form["action"] == "/follow-lists/sync"
    fields = {i["name"]: i.get("value", "") for i in form.select("input")}
    assert fields["direction"] == direction and fields["next"].startswith(f"/users/{view}/")
    response = client.post(form["action"], data=fields, headers={"Accept": "application/json"})
    assert response.status_code == 200
    assert response.get_json()["progress_url"] == f"/follow-lists/runs/{Run.id}.json"
    assert started == ["following" if direction == "following" else "follower"]


@pytest.mark.parametrize("role", ["viewer", "subscriber"])
def test_update_list_button_hidden_without_manage_jobs(client, login_as, cast, role):
    login_as(role)
    for view in ("following", "followers"):
        soup = BeautifulSoup(client.get(f"/users/{view}/").get_data(as_text=True), "html.parser")
        assert soup.select_one("[data-testid=sync-form]") is None


def test_row_button_submits_its_action_form_with_the_row_id(client, login_as, cast):
    login_as("admin")
    soup = BeautifulSoup(client.get("/users/directory/").get_data(as_text=True), "html.parser")
    rows = [tr for tr in soup.select("table.model-list tr") if tr.select_one("a.username")]
    row = next(tr for tr in rows if tr.select_one("a.username").get_text() == "carol")
    box = row.select_one("input.action-checkbox")  # users.js copies the row's id into the form's rowid
    button = soup.select_one("#row-menu button[data-action=add_p1]")
    form = soup.select_one(f"form#{button['form']}")
    data = {i["name"]: i.get("value", "") for i in form.select("input")} | {button["name"]: button["value"]}
    data["rowid"] = box["value"]
    response = client.post(form["action"], data=data)
    assert response.status_code == 302
    db.session.expire_all()
    assert lookups() == {"carol": (1, "queued")}
    assert row.select_one("a.username")["href"] == "/profile/carol"
