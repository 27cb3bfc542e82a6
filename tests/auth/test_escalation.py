"""Viewers and subscribers cannot change anything by POSTing; admins cannot POST without a CSRF token."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from mhc.admin.base import SecuredModelView
from mhc.auth import permissions as perms
from mhc.extensions import db
from mhc.models import Person
from tests.auth.permission_table import LOGIN_ONLY, PERMISSION_TABLE, PUBLIC
from tests.auth.test_permission_matrix import build_url


def snapshot() -> dict:
    """Every row of every table, in a stable order."""
    db.session.expire_all()
    out = {}
    with db.engine.connect() as conn:
        for table in db.metadata.sorted_tables:
            rows = conn.execute(sa.select(table)).all()
            out[table.name] = sorted(repr(tuple(r)) for r in rows)
    return out


def model_view_posts(app) -> list[tuple[str, str, dict, str | None]]:
    """(label, url, form, needed permission) for each create/edit/delete/action of every SecuredModelView."""
    posts = []
    for view in app.extensions["mhc_admin"]._views:
        if not isinstance(view, SecuredModelView):
            continue
        row = db.session.scalars(sa.select(view.model).limit(1)).first()
        row_id = view.get_pk_value(row) if row is not None else "1"
        base = f"{view.url}"
        posts.append((f"{view.endpoint} create", f"{base}/new/", {}, view.edit_permission))
        posts.append((f"{view.endpoint} edit", f"{base}/edit/?id={row_id}", {}, view.edit_permission))
        posts.append((f"{view.endpoint} delete", f"{base}/delete/", {"id": row_id}, view.edit_permission))
        for name, _text in view._actions:
            needed = view.action_permissions.get(name) or (view.edit_permission if name == "delete" else None)
            posts.append(
                (f"{view.endpoint} action {name}", f"{base}/action/", {"action": name, "rowid": row_id}, needed)
            )
    return posts


def table_posts(app) -> list[tuple[str, str, dict, str | None]]:
    """(label, url, form, needed permission) for every POST the permission table declares."""
    rules = {rule.endpoint: rule for rule in app.url_map.iter_rules() if "POST" in rule.methods}
    posts = []
    for endpoint, entry in PERMISSION_TABLE.items():
        if "POST" in entry and endpoint in rules:
            url = build_url(app, rules[endpoint], "POST", entry)
            posts.append((endpoint, url, dict(entry.get("_form", {})), entry["POST"]))
    return posts


@pytest.fixture
def seeded(app, make_user):
    """An admin, and a person, so edit/delete/actions have real rows to aim at."""
    make_user("admin", username="root")
    db.session.add(Person(username="alice", num_followers=10))
    db.session.commit()


@pytest.mark.parametrize("role", ["viewer", "subscriber"])
def test_forbidden_posts_are_refused_and_change_nothing(app, client, auth, seeded, role):
    auth.as_role(role)
    token = auth.csrf("/")
    granted = set(perms.DEFAULT_GRANTS[role])
    posts = [p for p in model_view_posts(app) + table_posts(app) if p[3] not in granted | {PUBLIC, LOGIN_ONLY}]
    assert len(posts) >= 10
    before = snapshot()
    wrong = []
    for label, url, form, _needed in posts:
        response = client.post(url, data={**form, "csrf_token": token})
        if response.status_code != 403:
            wrong.append(f"{label}: {response.status_code}")
    assert wrong == []
    assert snapshot() == before


def test_admin_posts_without_csrf_token_are_refused(app, client, auth, seeded):
    auth.as_role("admin")
    posts = [p for p in model_view_posts(app) + table_posts(app) if p[0] != "auth.logout"]
    before = snapshot()
    wrong = []
    for label, url, form, _needed in posts:
        response = client.post(url, data=form)
        if response.status_code != 400:
            wrong.append(f"{label}: {response.status_code}")
    assert wrong == []
    assert snapshot() == before
    assert client.post("/logout").status_code == 400
    assert client.get("/").status_code == 200  # still logged in
