"""Every create/update/delete through a SecuredModelView is audited field by field, in the same commit."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from mhc.admin.base import SecuredModelView
from mhc.auth import permissions as perms
from mhc.extensions import db
from mhc.models import AuditLog, Person


class PersonTestView(SecuredModelView):
    """A tiny test-only person editor."""

    permission = perms.VIEW_USERS
    edit_permission = perms.MANAGE_USERS
    allow_create = allow_edit = allow_delete = True
    form_columns = ["username", "num_followers", "is_excluded"]


@pytest.fixture
def app(app):
    app.extensions["mhc_admin"].add_view(PersonTestView(Person, db, endpoint="test_persons", name="Test persons"))
    return app


def _entries(action):
    return db.session.scalars(
        select(AuditLog).where(AuditLog.action == action, AuditLog.object_type == "persons")
    ).all()


def test_edit_of_a_person_is_audited_with_a_diff(app, client, auth, login_as):
    admin = login_as("admin")
    person = Person(username="alice", num_followers=10)
    db.session.add(person)
    db.session.commit()
    url = f"/test_persons/edit/?id={person.id}"
    response = client.post(url, data={"csrf_token": auth.csrf(url), "username": "alice2", "num_followers": "25"})
    assert response.status_code == 302
    [entry] = _entries("update")
    assert (entry.user_id, entry.username, entry.object_id) == (admin.id, admin.username, str(person.id))
    assert entry.diff == {"num_followers": [10, 25], "username": ["alice", "alice2"]}
    db.session.expire_all()
    assert db.session.get(Person, person.id).num_followers == 25


def test_unchanged_edit_writes_no_audit_row(app, client, auth, login_as):
    login_as("admin")
    person = Person(username="bob", num_followers=3, is_excluded=True)
    db.session.add(person)
    db.session.commit()
    url = f"/test_persons/edit/?id={person.id}"
    form = {"csrf_token": auth.csrf(url), "username": "bob", "num_followers": "3", "is_excluded": "y"}
    assert client.post(url, data=form).status_code == 302
    assert _entries("update") == []


def test_create_and_delete_are_audited(app, client, auth, login_as):
    login_as("admin")
    token = auth.csrf("/test_persons/new/")
    response = client.post("/test_persons/new/", data={"csrf_token": token, "username": "carol", "num_followers": "7"})
    assert response.status_code == 302
    person = db.session.scalars(select(Person).where(Person.username == "carol")).one()
    [created] = _entries("create")
    assert created.object_id == str(person.id)
    assert created.diff["username"] == [None, "carol"]
    assert created.diff["num_followers"] == [None, 7]
    response = client.post("/test_persons/delete/", data={"csrf_token": token, "id": str(person.id)})
    assert response.status_code == 302
    [deleted] = _entries("delete")
    assert deleted.object_id == str(person.id)
    assert deleted.diff["username"] == ["carol", None]
    assert db.session.scalars(select(Person).where(Person.username == "carol")).first() is None


def test_viewer_cannot_edit_and_nothing_is_audited(app, client, auth, login_as):
    login_as("viewer")
    person = Person(username="dan", num_followers=1)
    db.session.add(person)
    db.session.commit()
    url = f"/test_persons/edit/?id={person.id}"
    response = client.post(url, data={"csrf_token": auth.csrf("/"), "username": "hacked", "num_followers": "9"})
    assert response.status_code == 403
    db.session.expire_all()
    assert db.session.get(Person, person.id).username == "dan"
    assert _entries("update") == []


def test_the_audit_log_names_each_kind_of_object_once(app):
    from mhc.models import Person, SystemRole, SystemUser
    from mhc.services.audit import object_type

    assert [object_type(m()) for m in (SystemUser, SystemRole, Person)] == ["system_user", "system_role", "persons"]
