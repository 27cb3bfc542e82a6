"""Priority changes are audited per person (bulk or single), and the Profile page links to that history."""

from __future__ import annotations

from bs4 import BeautifulSoup
from sqlalchemy import select

from mhc.extensions import db
from mhc.models import AuditLog
from mhc.services.users import priorities
from tests.services.users.test_actions import post_action


def _priority_rows() -> dict[str, dict]:
    rows = db.session.scalars(select(AuditLog).where(AuditLog.action == "set_priority"))
    return {r.object_label: {"by": r.username, "changes": r.diff, "id": r.object_id} for r in rows}


def test_bulk_add_to_p1_writes_one_row_per_person(client, auth, login_as, cast):
    login_as("admin")
    priorities.set_priority(db.session, [cast["bob"].id], 2)
    response = post_action(client, auth, "directory", "add_p1", [cast["alice"].id, cast["bob"].id])
    assert response.status_code == 302
    db.session.expire_all()
    rows = _priority_rows()
    admin = rows["alice"]["by"]
    assert admin.startswith("admin")
    assert rows["alice"] == {"by": admin, "changes": {"priority": [None, "P1"]}, "id": str(cast["alice"].id)}
    assert rows["bob"]["by"] == admin
    assert rows["bob"]["changes"] == {"priority": ["P2", "P1"]}


def test_profile_page_links_to_the_persons_history(client, login_as, cast):
    priorities.set_priority(db.session, [cast["alice"].id], 1)
    login_as("admin")
    page = BeautifulSoup(client.get("/profile/alice").get_data(as_text=True), "html.parser")
    link = page.select_one("[data-testid=history]")["href"]
    history = BeautifulSoup(client.get(link).get_data(as_text=True), "html.parser").get_text(" ", strip=True)
    assert "alice" in history and "P1" in history


def test_no_history_link_without_the_audit_log_permission(client, login_as, cast):
    login_as("subscriber")
    page = BeautifulSoup(client.get("/profile/alice").get_data(as_text=True), "html.parser")
    assert page.title.get_text().startswith("alice")
    assert page.select_one("[data-testid=history]") is None
