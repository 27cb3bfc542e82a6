"""Staff notes on platform users: dated notes with their author, shown on the Profile header.

Who may write is the caller's check (manage_users, docs/operator.md#staff-notes); this module keeps the
rules: a note is plain text (the page escapes it), 1 to NOTE_MAX characters once trimmed; anyone who may
write may edit or delete any note (the audit log says who did). Every add, edit and delete writes an audit
row on the person (so the person's History lists it) in the same transaction; each function commits once.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from mhc.models import Person, SystemUser, utcnow
from mhc.models.notes import NOTE_MAX, StaffNote
from mhc.services import audit

OBJECT_TYPE = "persons"  # the audit rows are about the person the note is on


@dataclass(frozen=True)
class NoteResult:
    """What happened: `ok` with the note, or not with the reason in words."""

    ok: bool
    message: str
    note: StaffNote | None = None


def notes_of(session: Session, person_id: uuid.UUID) -> list[StaffNote]:
    """The person's notes, newest first."""
    stmt = (
        select(StaffNote)
        .where(StaffNote.person_id == person_id)
        .order_by(StaffNote.created_at.desc(), StaffNote.id.desc())
    )
    return list(session.scalars(stmt))


def clean(body: str | None) -> tuple[str | None, str | None]:
    """(the text to store, None) or (None, why it cannot be stored)."""
    text = (body or "").replace("\r\n", "\n").strip()
    if not text:
        return None, "The note is empty."
    if len(text) > NOTE_MAX:
        return None, f"A note holds at most {NOTE_MAX:,} characters; this one has {len(text):,}."
    return text, None


def add_note(
    session: Session, person_id: uuid.UUID, body: str | None, *, actor_id: uuid.UUID | None, remote_addr=None
) -> NoteResult:
    """Add a note on a person, written by `actor_id` now."""
    person = session.get(Person, person_id)
    if person is None:
        return NoteResult(False, "That person no longer exists.")
    text, problem = clean(body)
    if problem:
        return NoteResult(False, problem)
    actor = session.get(SystemUser, actor_id) if actor_id is not None else None
    note = StaffNote(
        person_id=person.id,
        body=text,
        author_id=actor_id,
        author_name=actor.username if actor else None,
        created_at=utcnow(),
    )
    session.add(note)
    _audit(session, person, "note_added", {"note": [None, text]}, actor_id, remote_addr)
    session.commit()
    return NoteResult(True, "Note added.", note)


def edit_note(
    session: Session, note_id: int, body: str | None, *, actor_id: uuid.UUID | None, remote_addr=None
) -> NoteResult:
    """Replace a note's text (its author and date stay; the edit time is kept)."""
    note = session.get(StaffNote, note_id)
    if note is None:
        return NoteResult(False, "That note no longer exists.")
    text, problem = clean(body)
    if problem:
        return NoteResult(False, problem, note)
    if text == note.body:
        return NoteResult(True, "Nothing changed.", note)
    old, note.body, note.updated_at = note.body, text, utcnow()
    _audit(session, session.get(Person, note.person_id), "note_edited", {"note": [old, text]}, actor_id, remote_addr)
    session.commit()
    return NoteResult(True, "Note saved.", note)


def delete_note(session: Session, note_id: int, *, actor_id: uuid.UUID | None, remote_addr=None) -> NoteResult:
    """Delete a note (its text stays in the audit row)."""
    note = session.get(StaffNote, note_id)
    if note is None:
        return NoteResult(False, "That note no longer exists.")
    person = session.get(Person, note.person_id)
    _audit(session, person, "note_deleted", {"note": [note.body, None]}, actor_id, remote_addr)
    session.delete(note)
    session.commit()
    return NoteResult(True, "Note deleted.")


def _audit(session: Session, person: Person, action: str, changes: dict, actor_id, remote_addr) -> None:
    audit.record(
        session,
        action=action,
        object_type=OBJECT_TYPE,
        object_id=person.id,
        object_label=person.username,
        actor_id=actor_id,
        changes=changes,
        remote_addr=remote_addr,
    )
