"""The Admin section: system users, the grants grid, the audit log, and the last-admin rules."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from mhc.auth import permissions as perms
from mhc.extensions import db
from mhc.models import AuditLog, SystemUser
from mhc.services.access import accounts


def _audits(action=None, object_type=None) -> list[AuditLog]:
    query = select(AuditLog).order_by(AuditLog.id)
    if action:
        query = query.where(AuditLog.action == action)
    if object_type:
        query = query.where(AuditLog.object_type == object_type)
    return db.session.scalars(query).all()


def _user(username) -> SystemUser:
    db.session.expire_all()
    return db.session.scalars(select(SystemUser).where(SystemUser.username == username)).one()


def test_admin_creates_a_system_user(app, client, auth, login_as):
    admin = login_as("admin")
    token = auth.csrf("/system_users/new/")
    role_id = str(db.session.scalars(select(SystemUser.role_id).where(SystemUser.id == admin.id)).one())
    viewer_role = _role_id("viewer")
    response = client.post(
        "/system_users/new/",
        data={
            "csrf_token": token,
            "username": "nora",
            "email": "Nora@Example.test",
            "role": viewer_role,
            "is_active": "y",
            "new_password": "s3cret-enough",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    nora = _user("nora")
    assert (nora.email, nora.role.name, nora.is_active) == ("nora@example.test", "viewer", True)
    assert nora.password_hash.startswith("$argon2id$")
    entry = _audits("create", "system_user")[-1]
    assert entry.user_id == admin.id
    assert entry.diff == {"username": [None, "nora"], "email": [None, "nora@example.test"], "role": [None, "viewer"]}
    assert role_id  # the admin's own role is untouched


def _role_id(name) -> str:
    from mhc.models import SystemRole

    return str(db.session.scalars(select(SystemRole.id).where(SystemRole.name == name)).one())


def test_edit_page_never_shows_the_hash_and_password_is_write_only(app, client, auth, login_as, make_user):
    login_as("admin")
    user, _ = make_user("viewer", username="walt")
    page = client.get(f"/system_users/edit/?id={user.id}").get_data(as_text=True)
    assert user.password_hash not in page
    assert "argon2" not in page
    assert 'name="new_password"' in page
    assert 'name="new_password" type="password" value=""' in page or 'value=""' in page
    listing = client.get("/system_users/").get_data(as_text=True)
    assert "argon2" not in listing


def test_admin_edits_role_and_resets_password_with_redacted_audit(app, client, auth, login_as, make_user):
    admin = login_as("admin")
    user, old_password = make_user("viewer", username="walt")
    token = auth.csrf(f"/system_users/edit/?id={user.id}")
    response = client.post(
        f"/system_users/edit/?id={user.id}",
        data={
            "csrf_token": token,
            "username": "walt",
            "email": "walt@example.test",
            "role": _role_id("subscriber"),
            "is_active": "y",
            "new_password": "brand-new-pass",
        },
    )
    assert response.status_code == 302
    walt = _user("walt")
    assert walt.role.name == "subscriber"
    assert accounts.verify_password(walt.password_hash, "brand-new-pass")
    entry = _audits("update", "system_user")[-1]
    assert entry.user_id == admin.id
    assert entry.diff == {"password_hash": ["[redacted]", "[redacted]"], "role": ["viewer", "subscriber"]}
    assert old_password not in str(entry.diff)


def test_editing_without_new_password_keeps_it(app, make_user):
    make_user("admin")
    user, password = make_user("viewer", username="kim")
    accounts.update_user(db.session, user.id, email="kim2@example.test", new_password=None)
    kim = _user("kim")
    assert kim.email == "kim2@example.test"
    assert accounts.verify_password(kim.password_hash, password)


def test_deactivate_action(app, client, auth, login_as, make_user):
    admin = login_as("admin")
    user, _ = make_user("viewer", username="dora")
    token = auth.csrf("/system_users/")
    response = client.post(
        "/system_users/action/", data={"csrf_token": token, "action": "deactivate", "rowid": str(user.id)}
    )
    assert response.status_code == 302
    assert _user("dora").is_active is False
    entry = _audits("deactivate")[-1]
    assert (entry.user_id, entry.object_id, entry.diff) == (admin.id, str(user.id), {"is_active": [True, False]})


# --- last-admin rules -------------------------------------------------------------------------


def test_last_active_admin_cannot_be_deactivated(app, make_user):
    admin, _ = make_user("admin", username="only")
    with pytest.raises(accounts.AccountError, match="no active admin"):
        accounts.deactivate(db.session, [admin.id])
    assert _user("only").is_active is True


def test_last_active_admin_cannot_be_demoted(app, make_user):
    make_user("admin", username="only")
    with pytest.raises(accounts.AccountError, match="no active admin"):
        accounts.set_role(db.session, "only", "viewer")
    assert _user("only").role.name == "admin"


def test_admin_cannot_remove_own_admin_rights_even_with_another_admin(app, make_user):
    me, _ = make_user("admin", username="mel")
    make_user("admin", username="other")
    with pytest.raises(accounts.AccountError, match="your own admin rights"):
        accounts.update_user(db.session, me.id, actor_id=me.id, role_name="viewer")
    with pytest.raises(accounts.AccountError, match="your own admin rights"):
        accounts.deactivate(db.session, [me.id], actor_id=me.id)
    assert (_user("mel").role.name, _user("mel").is_active) == ("admin", True)
    other = _user("other")
    accounts.update_user(db.session, other.id, actor_id=_user("mel").id, role_name="viewer")  # demoting another is fine
    assert _user("other").role.name == "viewer"


def test_inactive_admins_do_not_count(app, make_user):
    first, _ = make_user("admin", username="first")
    second, _ = make_user("admin", username="second")
    accounts.deactivate(db.session, [second.id])
    with pytest.raises(accounts.AccountError):
        accounts.set_role(db.session, "first", "subscriber")


def test_last_admin_refusal_is_shown_in_the_panel(app, client, auth, login_as):
    admin = login_as("admin")
    token = auth.csrf("/system_users/")
    response = client.post(
        "/system_users/action/",
        data={"csrf_token": token, "action": "deactivate", "rowid": str(admin.id)},
        follow_redirects=True,
    )
    assert "Refused: this would leave no active admin" in response.get_data(as_text=True)
    assert _user(admin.username).is_active is True


# --- roles x permissions grid -------------------------------------------------------------------


def _grid_form(token, grants: dict[str, set[str]]) -> dict:
    return {
        "csrf_token": token,
        "grid": "1",
        "role": sorted(grants),
        "grant": [f"{role}:{name}" for role, names in grants.items() for name in sorted(names)],
    }


def test_grid_shows_current_grants(app, client, login_as):
    login_as("admin")
    page = client.get("/system_roles/").get_data(as_text=True)
    assert 'value="viewer:view_users"\n              aria-label="viewer view_users" checked' in page
    assert 'value="viewer:view_stats"\n              aria-label="viewer view_stats" >' in page


def test_grid_change_is_saved_and_audited(app, client, auth, login_as):
    admin = login_as("admin")
    wanted = {role: set(names) for role, names in perms.DEFAULT_GRANTS.items()}
    wanted["viewer"] = {perms.VIEW_USERS, perms.VIEW_STATS}
    response = client.post("/system_roles/", data=_grid_form(auth.csrf("/system_roles/"), wanted))
    assert response.status_code == 302
    db.session.expire_all()
    assert accounts.grants(db.session)["viewer"] == {"view_users", "view_stats"}
    assert accounts.grants(db.session)["admin"] == set(perms.ALL_PERMISSIONS)
    entries = _audits("set_grants")
    assert len(entries) == 1
    assert (entries[0].user_id, entries[0].object_type) == (admin.id, "system_role")
    assert entries[0].diff == {"permissions": [["view_users"], ["view_stats", "view_users"]]}


def test_grid_cannot_strip_admins_of_their_rights(app, client, auth, login_as):
    login_as("admin")
    wanted = {role: set(names) for role, names in perms.DEFAULT_GRANTS.items()}
    wanted["admin"] = wanted["admin"] - {perms.MANAGE_SYSTEM_USERS}
    response = client.post(
        "/system_roles/", data=_grid_form(auth.csrf("/system_roles/"), wanted), follow_redirects=True
    )
    assert "Refused" in response.get_data(as_text=True)
    db.session.expire_all()
    assert perms.MANAGE_SYSTEM_USERS in accounts.grants(db.session)["admin"]
    assert _audits("set_grants") == []


def test_grid_post_without_grid_marker_changes_nothing(app, client, auth, login_as):
    login_as("admin")
    response = client.post("/system_roles/", data={"csrf_token": auth.csrf("/system_roles/")}, follow_redirects=True)
    assert "nothing changed" in response.get_data(as_text=True)
    db.session.expire_all()
    assert accounts.grants(db.session) == {r: set(n) for r, n in perms.DEFAULT_GRANTS.items()}


def test_grant_takes_effect_on_next_request(app, client, login_as, make_user):
    make_user("admin")
    login_as("viewer")
    assert client.get("/audit_log/").status_code == 403
    wanted = {"viewer": {perms.VIEW_USERS, perms.VIEW_AUDIT_LOG}}
    accounts.set_grants(db.session, wanted)
    from flask import g

    g.pop("_login_user", None)  # the test shares `g` with the client's requests
    assert client.get("/audit_log/").status_code == 200


# --- audit log list ----------------------------------------------------------------------------


def test_audit_log_lists_and_filters(app, client, login_as, make_user):
    login_as("admin")
    make_user("viewer", username="zed")
    page = client.get("/audit_log/").get_data(as_text=True)
    assert "zed" in page
    assert "login" in page
    view = app.extensions["mhc_admin"]._views
    audit_view = next(v for v in view if v.endpoint == "audit_log")
    names = [f.name for f in audit_view._filters]
    assert names.count("When (UTC)") == 3
    action_filter = next(i for i, f in enumerate(audit_view._filters) if f.name == "Action")
    filtered = client.get(f"/audit_log/?flt0_{action_filter}=create")
    assert filtered.status_code == 200
    body = filtered.get_data(as_text=True)
    assert "zed@example.test" in body
    assert ">login<" not in body


def test_list_times_are_shown_in_utc_to_the_second(app, client, login_as):
    """Datetime columns are sent as "2026-11-25 19:06:42" UTC, with the exact ISO value kept in the <time> tag."""
    login_as("admin")
    entry = db.session.scalars(select(AuditLog).order_by(AuditLog.at.desc())).first()
    shown = entry.at.strftime("%Y-%m-%d %H:%M:%S")
    for url in ("/audit_log/", "/system_users/"):
        page = client.get(url).get_data(as_text=True)
        assert str(entry.at) not in page  # the old "2026-11-25 19:06:42.320393+00:00"
    page = client.get("/audit_log/?show=signins").get_data(as_text=True)  # the newest row is the login
    # data-local: panel.js shows it in the browser's local time, the UTC time staying in the title.
    assert f'<time datetime="{entry.at.isoformat()}" title="{shown} UTC" data-local data-seconds>{shown}</time>' in page


def test_audit_log_is_read_only_even_for_admins(app, client, auth, login_as):
    login_as("admin")
    assert client.get("/audit_log/new/").status_code == 403
    assert client.post("/audit_log/delete/", data={"csrf_token": auth.csrf("/"), "id": "1"}).status_code == 403
