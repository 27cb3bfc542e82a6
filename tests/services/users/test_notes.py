"""Staff notes (mhc/services/users/notes.py): rules, audit rows, who may write, and escaping."""

from __future__ import annotations

from bs4 import BeautifulSoup

from mhc.extensions import db
from mhc.models import AuditLog
from mhc.models.notes import NOTE_MAX, StaffNote
from mhc.services.users import notes
from tests.factories import make_person

SCRIPT = "<script>alert(1)</script>"


def _audit_rows(person):
    stmt = db.select(AuditLog.action, AuditLog.object_id, AuditLog.object_label, AuditLog.diff, AuditLog.username)
    return [tuple(r) for r in db.session.execute(stmt.where(AuditLog.object_type == "persons").order_by(AuditLog.id))]


def test_add_edit_delete_each_write_an_audit_row_on_the_person(app, make_user):
    ann = make_person("ann")
    boss, _ = make_user("admin", "boss")
    added = notes.add_note(db.session, ann.id, "  pays in private shows \r\n", actor_id=boss.id)
    assert added.ok and added.note.body == "pays in private shows" and added.note.author_name == "boss"
    note_id = added.note.id
    assert notes.edit_note(db.session, note_id, "pays well", actor_id=boss.id).ok
    assert notes.edit_note(db.session, note_id, "pays well", actor_id=boss.id).message == "Nothing changed."
    assert db.session.get(StaffNote, note_id).updated_at is not None
    assert notes.delete_note(db.session, note_id, actor_id=boss.id).ok
    assert notes.notes_of(db.session, ann.id) == []
    pid = str(ann.id)
    assert _audit_rows(ann) == [
        ("note_added", pid, "ann", {"note": [None, "pays in private shows"]}, "boss"),
        ("note_edited", pid, "ann", {"note": ["pays in private shows", "pays well"]}, "boss"),
        ("note_deleted", pid, "ann", {"note": ["pays well", None]}, "boss"),
    ]


def test_empty_too_long_and_missing_are_refused_without_writing(app):
    ann = make_person("ann")
    assert notes.add_note(db.session, ann.id, "   ", actor_id=None).message == "The note is empty."
    assert not notes.add_note(db.session, ann.id, "x" * (NOTE_MAX + 1), actor_id=None).ok
    assert notes.edit_note(db.session, 999, "x", actor_id=None).message == "That note no longer exists."
    assert notes.delete_note(db.session, 999, actor_id=None).message == "That note no longer exists."
    assert db.session.scalar(db.select(db.func.count()).select_from(StaffNote)) == 0
    assert _audit_rows(ann) == []


def test_notes_are_newest_first(app):
    ann = make_person("ann")
    for body in ("first", "second"):
        notes.add_note(db.session, ann.id, body, actor_id=None)
    assert [n.body for n in notes.notes_of(db.session, ann.id)] == ["second", "first"]


def _post(client, auth, path, **data):
    return client.post(path, data={"csrf_token": auth.csrf("/profile/"), **data})


def test_an_admin_adds_a_note_that_shows_as_text(client, auth, app):
    make_person("ann")
    auth.as_role("admin")
    response = _post(client, auth, "/profile/ann/notes", body=f"careful {SCRIPT}")
    assert response.status_code == 302 and response.headers["Location"].endswith("/profile/ann#staff-notes")
    html = client.get("/profile/ann").get_data(as_text=True)
    assert "<script>alert(1)" not in html
    soup = BeautifulSoup(html, "html.parser")
    note = soup.select_one("[data-testid=staff-note]")
    assert note.select_one(".note-body").get_text() == f"careful {SCRIPT}"
    assert auth.user.username in note.get_text()
    assert note.select_one("time[data-local]")["datetime"]
    note_id = note["data-note-id"]
    assert _post(client, auth, f"/profile/notes/{note_id}/edit", body="calm", username="ann").status_code == 302
    soup = BeautifulSoup(client.get("/profile/ann").get_data(as_text=True), "html.parser")
    assert soup.select_one("[data-testid=staff-note] .note-body").get_text() == "calm"
    assert "edited" in soup.select_one("[data-testid=staff-note]").get_text()
    assert _post(client, auth, f"/profile/notes/{note_id}/delete", username="ann").status_code == 302
    soup = BeautifulSoup(client.get("/profile/ann").get_data(as_text=True), "html.parser")
    assert soup.select("[data-testid=staff-note]") == [] and soup.select_one("[data-testid=no-notes]")


def test_subscribers_read_notes_but_cannot_write(client, auth, app):
    ann = make_person("ann")
    notes.add_note(db.session, ann.id, "read me", actor_id=None)
    auth.as_role("subscriber")
    soup = BeautifulSoup(client.get("/profile/ann").get_data(as_text=True), "html.parser")
    assert soup.select_one("[data-testid=staff-note] .note-body").get_text() == "read me"
    assert "the system" in soup.select_one("[data-testid=staff-note]").get_text()
    assert soup.select("#staff-notes form") == []
    assert _post(client, auth, "/profile/ann/notes", body="mine").status_code == 403
    note_id = notes.notes_of(db.session, ann.id)[0].id
    assert _post(client, auth, f"/profile/notes/{note_id}/delete", username="ann").status_code == 403
    assert [n.body for n in notes.notes_of(db.session, ann.id)] == ["read me"]


def test_a_post_without_csrf_is_refused(client, auth, app):
    make_person("ann")
    auth.as_role("admin")
    response = client.post("/profile/ann/notes", data={"body": "no token"})
    assert response.status_code == 400
    assert db.session.scalar(db.select(db.func.count()).select_from(StaffNote)) == 0
