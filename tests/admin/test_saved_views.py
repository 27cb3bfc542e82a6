"""The column chooser and saved views on the Users lists, through the panel: what is shown, CSRF, permission,
isolation between system users, audit rows, escaping."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import select

from mhc.extensions import db
from mhc.models import AuditLog, SavedView, SystemRole
from tests.factories import make_person
from tests.services.users.conftest import read_table


@pytest.fixture
def persons(app):
    make_person("alice", "MODEL", age=24, tipped_tokens=50, tips_count=2)
    make_person("bob", "VIEWER", age=30, tipped_tokens=500, tips_count=9)
    make_person("carol", "MODEL", age=41, tipped_tokens=5, tips_count=1)


def _page(client, url):
    response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return response.get_data(as_text=True)


def _save(client, auth, name, query, tab="directory"):
    token = auth.csrf("/users/directory/")
    return client.post("/users/views/save", data={"csrf_token": token, "tab": tab, "name": name, "query": query})


def test_chosen_columns_are_the_only_ones_rendered_in_their_order(client, login_as, persons):
    login_as("viewer")
    table = read_table(_page(client, "/users/directory/?cols=tipped_tokens,role,nope"))
    assert table.headers == ["Username", "Tokens", "Role", "Actions"]
    assert table.rows[0]["Tokens"] and table.rows[0]["Role"]
    assert sorted(table.usernames) == ["alice", "bob", "carol"]


def test_unknown_columns_only_means_all_columns(client, login_as, persons):
    login_as("viewer")
    everything = read_table(_page(client, "/users/directory/")).headers
    assert read_table(_page(client, "/users/directory/?cols=%3Cscript%3E,x")).headers == everything


def test_sorting_and_paging_keep_the_columns_and_the_tabs_sort_numbers(client, login_as, persons):
    login_as("viewer")
    html = _page(client, "/users/directory/?cols=username,tipped_tokens&sort=11&desc=1&page_size=25")
    table = read_table(html)
    assert table.usernames == ["bob", "alice", "carol"]  # column 11 of the Directory is Tokens, sorted down
    soup = BeautifulSoup(html, "html.parser")
    link = soup.select_one("th.col-tipped_tokens a")["href"]
    args = parse_qs(urlsplit(link).query)
    assert args["sort"] == ["11"] and args["cols"] == ["username,tipped_tokens"] and "desc" not in args
    assert parse_qs(urlsplit(soup.select_one("th.col-username a")["href"]).query)["sort"] == ["0"]


def test_chooser_lists_every_column_shown_ones_first_and_checked(client, login_as, persons):
    login_as("viewer")
    soup = BeautifulSoup(_page(client, "/users/followers/?x=1&cols=tags,role"), "html.parser")
    choices = [(box["value"], box.has_attr("checked")) for box in soup.select(".columns-list label input")]
    assert choices[:3] == [("username", True), ("tags", True), ("role", True)]
    assert all(not checked for _name, checked in choices[3:]) and len(choices) == 11
    form = soup.select_one(".columns-form")
    assert form["data-base-query"] == "" and form["action"] == "/users/followers/"


def test_save_view_stores_the_cleaned_state_audits_and_opens_it(client, auth, login_as, persons):
    user = login_as("viewer")
    response = _save(client, auth, "Big tippers", "flt0_show_is=models&sort=11&desc=1&page=3&cols=tipped_tokens&x=1")
    assert response.status_code == 302
    assert response.headers["Location"] == (
        "/users/directory/?flt0_show_is=models&sort=11&desc=1&cols=username%2Ctipped_tokens"
    )
    (view,) = db.session.scalars(select(SavedView)).all()
    assert (view.user_id, view.name, view.tab) == (user.id, "Big tippers", "directory")
    audit = db.session.scalars(select(AuditLog).where(AuditLog.object_type == "saved_views")).one()
    assert (audit.action, audit.user_id, audit.object_label) == ("create", user.id, "Big tippers")
    # the bar on another tab lists it, with its link, and the Directory opens it as saved
    soup = BeautifulSoup(_page(client, "/users/following/"), "html.parser")
    item = soup.select_one("[data-testid=view-item]")
    assert item.select_one("a").get_text() == "Big tippers"
    assert item.select_one("a")["href"] == response.headers["Location"]
    assert item.select_one(".copy-link")["data-link"] == "http://localhost" + response.headers["Location"]
    opened = BeautifulSoup(_page(client, response.headers["Location"]), "html.parser")
    assert opened.select_one("[data-testid=current-view]").get_text() == "Big tippers"
    assert read_table(str(opened)).usernames == ["alice", "carol"]


def test_a_duplicate_or_empty_name_is_refused_with_a_message(client, auth, login_as):
    login_as("viewer")
    _save(client, auth, "Mine", "")
    response = _save(client, auth, "MINE", "search=bob")
    assert response.status_code == 302 and response.headers["Location"] == "/users/directory/?search=bob"
    assert "You already have a view called" in _page(client, response.headers["Location"])
    _save(client, auth, "   ", "")
    assert [v.name for v in db.session.scalars(select(SavedView))] == ["Mine"]


def test_save_needs_a_known_tab(client, auth, login_as):
    login_as("viewer")
    assert _save(client, auth, "x", "", tab="system_users").status_code == 400
    assert db.session.scalars(select(SavedView)).all() == []


def test_posts_without_csrf_change_nothing(client, auth, login_as):
    login_as("viewer")
    _save(client, auth, "Kept", "")
    view = db.session.scalars(select(SavedView)).one()
    assert client.post("/users/views/save", data={"tab": "directory", "name": "New"}).status_code == 400
    assert client.post(f"/users/views/{view.id}/rename", data={"name": "Other"}).status_code == 400
    assert client.post(f"/users/views/{view.id}/delete").status_code == 400
    db.session.expire_all()
    assert [v.name for v in db.session.scalars(select(SavedView))] == ["Kept"]


def test_a_user_without_view_users_cannot_save(client, auth, make_user):
    db.session.add(SystemRole(name="nothing"))
    db.session.commit()
    user, password = make_user("nothing")
    auth.login(user.username, password)
    token = auth.csrf("/")
    response = client.post("/users/views/save", data={"csrf_token": token, "tab": "directory", "name": "x"})
    assert response.status_code == 403
    assert client.get("/users/views/").status_code == 403
    assert db.session.scalars(select(SavedView)).all() == []


def test_users_never_see_or_change_each_others_views(app, client, auth, login_as):
    login_as("viewer")
    _save(client, auth, "Alices view", "search=a")
    theirs = db.session.scalars(select(SavedView)).one()
    client.post("/logout", data={"csrf_token": auth.csrf("/")})
    login_as("admin")
    html = _page(client, "/users/directory/")
    assert "Alices view" not in html and "Alices view" not in _page(client, "/users/views/")
    token = auth.csrf("/users/views/")
    assert client.post(f"/users/views/{theirs.id}/rename", data={"csrf_token": token, "name": "x"}).status_code == 404
    assert client.post(f"/users/views/{theirs.id}/delete", data={"csrf_token": token}).status_code == 404
    db.session.expire_all()
    assert db.session.get(SavedView, theirs.id).name == "Alices view"
    # the link itself works for anyone who may see the lists: it is only a list URL
    assert read_table(_page(client, "/users/directory/?search=a")).headers[0] == "Username"


def test_rename_and_delete_from_the_manage_page(client, auth, login_as):
    user = login_as("viewer")
    _save(client, auth, "Old", "")
    view = db.session.scalars(select(SavedView)).one()
    token = auth.csrf("/users/views/")
    response = client.post(f"/users/views/{view.id}/rename", data={"csrf_token": token, "name": "New name"})
    assert response.status_code == 302 and response.headers["Location"] == "/users/views/"
    assert "New name" in _page(client, "/users/views/")
    back = "/users/directory/?search=x"
    response = client.post(f"/users/views/{view.id}/delete", data={"csrf_token": token, "url": back})
    assert response.headers["Location"] == back
    actions = db.session.scalars(select(AuditLog.action).where(AuditLog.object_type == "saved_views")).all()
    assert sorted(actions) == ["create", "delete", "rename"]
    assert all(
        a.user_id == user.id for a in db.session.scalars(select(AuditLog).where(AuditLog.object_type == "saved_views"))
    )
    assert db.session.scalars(select(SavedView)).all() == []


def test_names_are_escaped_and_stored_queries_cleaned_again_when_shown(client, auth, login_as):
    user = login_as("viewer")
    db.session.add(
        SavedView(user_id=user.id, name='<img src=x onerror="alert(1)">', tab="directory",
                  query="evil=%22%3E%3Cscript%3E&flt0_show_is=bogus&search=bob&cols=role")
    )  # fmt: skip
    db.session.commit()
    for url in ("/users/directory/", "/users/views/"):
        html = _page(client, url)
        assert '<img src=x onerror="alert(1)">' not in html and "&lt;img src=x" in html
        assert "/users/directory/?search=bob&amp;cols=username%2Crole" in html
        assert "evil" not in html and "bogus" not in html


def test_a_tab_opened_bare_opens_your_default_view_and_view_none_is_the_tab_without_it(client, auth, login_as, persons):
    login_as("viewer")
    token = auth.csrf("/users/directory/")
    form = {"csrf_token": token, "tab": "directory", "name": "Models", "query": "flt0_show_is=models", "default": "1"}
    assert client.post("/users/views/save", data=form).status_code == 302
    response = client.get("/users/directory/")
    assert response.status_code == 302 and response.headers["Location"] == "/users/directory/?flt0_show_is=models"
    assert client.get("/users/following/").status_code == 200  # other tabs: no default, no redirect
    soup = BeautifulSoup(_page(client, "/users/directory/?view=none"), "html.parser")
    assert sorted(read_table(str(soup)).usernames) == ["alice", "bob", "carol"]
    assert soup.select_one("[data-testid=without-view]")["href"] == "/users/directory/?view=none"
    assert soup.select_one(".columns-form")["data-bare"] == "view=none"
    assert soup.select_one("[data-testid=list-link]")["value"] == "http://localhost/users/directory/?view=none"
    # stop it: the bare tab is the tab again
    view = db.session.scalars(select(SavedView)).one()
    response = client.post(f"/users/views/{view.id}/default", data={"csrf_token": token, "on": "0"})
    assert response.status_code == 302
    assert client.get("/users/directory/").status_code == 200


def test_another_users_default_never_applies_and_cannot_be_toggled(client, auth, login_as, persons):
    login_as("viewer")
    _save(client, auth, "Mine", "search=bob")
    view = db.session.scalars(select(SavedView)).one()
    token = auth.csrf("/users/views/")
    assert client.post(f"/users/views/{view.id}/default", data={"csrf_token": token, "on": "1"}).status_code == 302
    assert client.get("/users/directory/").headers["Location"] == "/users/directory/?search=bob"
    client.post("/logout", data={"csrf_token": token})
    login_as("viewer")
    assert client.get("/users/directory/").status_code == 200
    token = auth.csrf("/users/views/")
    assert client.post(f"/users/views/{view.id}/default", data={"csrf_token": token, "on": "0"}).status_code == 404
    db.session.expire_all()
    assert db.session.get(SavedView, view.id).is_default
