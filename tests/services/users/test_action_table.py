"""The one action table: every action is a batch action on each Users list with its label and permission,
and each button action shows on list rows and on the Profile page exactly for users holding its permission."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from bs4 import BeautifulSoup

from mhc.admin.users import actions
from mhc.auth import permissions as perms
from mhc.extensions import db

TABS = ["directory", "following", "followers", "unfollowed"]
BUTTONS = ["scrape_profile", "add_p1", "refresh_data"]
LABELS = {
    "scrape_profile": "Scrape Profile",
    "add_p1": "Add to P1",
    "refresh_data": "Refresh Data",
    "add_p2": "Add to P2",
    "exclude": "Exclude",
    "include": "Include",
}


def test_the_table_names_each_action_once_with_a_known_permission():
    assert {a.name: a.label for a in actions.ACTIONS} == LABELS
    assert [a.name for a in actions.ACTIONS if a.button] == BUTTONS
    assert actions.PERMISSIONS == {
        "scrape_profile": perms.SCRAPE_PROFILES,
        "add_p1": perms.MANAGE_PRIORITIES,
        "refresh_data": perms.SCRAPE_PROFILES,
        "add_p2": perms.MANAGE_PRIORITIES,
        "exclude": perms.MANAGE_USERS,
        "include": perms.MANAGE_USERS,
    }
    assert set(actions.PERMISSIONS.values()) <= set(perms.ALL_PERMISSIONS)


def _seen(html: str) -> dict:
    """Batch actions in the "With selected" menu, the items of the rows' menu (one per page, opened from each
    row), buttons on a Profile page."""
    soup = BeautifulSoup(html, "html.parser")
    menu = {a["data-model-action"]: a.get_text(strip=True) for a in soup.select("a.dropdown-item[data-model-action]")}
    row_menu = soup.select_one("#row-menu")
    profile = soup.select_one(".profile-actions")
    return {
        "menu": menu,
        "row": [b["data-action"] for b in row_menu.select("button[data-action]")] if row_menu else [],
        "profile": [b["data-action"] for b in profile.select("button[data-action]")] if profile else None,
    }


@pytest.mark.parametrize("tab", TABS)
def test_admin_sees_every_action_on_every_list(client, login_as, cast, tab):
    login_as("admin")
    seen = _seen(client.get(f"/users/{tab}/").get_data(as_text=True))
    assert seen["menu"] == LABELS
    assert seen["row"] == BUTTONS


def test_admin_sees_the_button_actions_on_the_profile_page(client, login_as, cast):
    login_as("admin")
    seen = _seen(client.get("/profile/alice").get_data(as_text=True))
    assert seen["profile"] == BUTTONS


def _grant(role: str, permission: str) -> None:
    db.session.execute(
        sa.text(
            "INSERT INTO system_role_permissions (role_id, permission_id) SELECT r.id, p.id "
            "FROM system_roles r, system_permissions p WHERE r.name = :r AND p.name = :p"
        ),
        {"r": role, "p": permission},
    )
    db.session.commit()


@pytest.mark.parametrize(
    "permission, menu, buttons",
    [
        (perms.MANAGE_PRIORITIES, ["add_p1", "add_p2"], ["add_p1"]),
        (perms.SCRAPE_PROFILES, ["refresh_data", "scrape_profile"], ["scrape_profile", "refresh_data"]),
        (perms.MANAGE_USERS, ["exclude", "include"], []),
    ],
)
def test_each_action_shows_only_with_its_permission(client, auth, login_as, cast, permission, menu, buttons):
    _grant("viewer", permission)
    login_as("viewer")
    listed = _seen(client.get("/users/directory/").get_data(as_text=True))
    assert sorted(listed["menu"]) == menu
    assert listed["row"] == buttons
    assert _seen(client.get("/profile/alice").get_data(as_text=True))["profile"] == buttons
    refused = next(a.name for a in actions.ACTIONS if a.permission != permission)
    form = {"action": refused, "rowid": str(cast["alice"].id), "csrf_token": auth.csrf("/users/directory/")}
    assert client.post("/users/directory/action/", data=form).status_code == 403


def test_viewer_sees_no_action(client, login_as, cast):
    login_as("viewer")
    listed = _seen(client.get("/users/directory/").get_data(as_text=True))
    assert listed == {"menu": {}, "row": [], "profile": None}
    assert _seen(client.get("/profile/alice").get_data(as_text=True))["profile"] == []
