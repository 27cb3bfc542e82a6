"""Admin → Follow lists: cookies, manual import with preview and guard, sync start, progress, held runs."""

from __future__ import annotations

import io
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from mhc.extensions import db
from mhc.jobs.follow_jobs import FOLLOW_SYNC, lock_key
from mhc.models import HeldFollowList, JobRun, Person, Profile, StoredSecret, utcnow
from mhc.services.follows import held_lists
from mhc.services.follows.follow_ledger import apply_follow_list

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def followers() -> list[str]:
    db.session.expire_all()
    return db.session.scalars(
        select(Person.username).join(Profile).where(Profile.follower).order_by(Person.username)
    ).all()


def test_cookie_import_never_shows_the_value(client, login_as, auth):
    login_as("admin")
    token = auth.csrf("/follow-lists/")
    response = client.post(
        "/follow-lists/cookies", data={"csrf_token": token, "cookies": "sessionid=s3cr3t-v4lue; csrftoken=abc"}
    )
    assert response.status_code == 302
    page = client.get("/follow-lists/").get_data(as_text=True)
    assert "s3cr3t-v4lue" not in page
    assert "Saved 2 cookies" in page
    assert db.session.get(StoredSecret, "chaturbate_cookies") is not None
    assert f"set {utcnow():%Y-%m-%d}" in page


def test_manual_import_preview_then_apply_with_guard(client, login_as, auth):
    apply_follow_list(db.session, "follower", [f"fan_{i}" for i in range(30)], T0, "manual_import")
    login_as("admin")
    token = auth.csrf("/follow-lists/")
    pasted = "\n".join(f"fan_{i}" for i in range(12)) + "\nnew_fan\n"
    page = client.post(
        "/follow-lists/import/preview", data={"csrf_token": token, "direction": "followers", "usernames": pasted}
    ).get_data(as_text=True)
    assert 'data-testid="added">1<' in page and 'data-testid="removed">18<' in page
    assert "would mark 18 of 30 as unfollowed" in page
    form = {
        "csrf_token": token,
        "direction": "follower",
        "usernames": pasted,
        "observed_at": "2026-01-02T00:00:00+00:00",
    }
    assert "Not applied" in client.post("/follow-lists/import/apply", data=form, follow_redirects=True).get_data(
        as_text=True
    )
    assert len(followers()) == 30
    page = client.post(
        "/follow-lists/import/apply", data={**form, "confirm_mass_removal": "1"}, follow_redirects=True
    ).get_data(as_text=True)
    assert "Applied: added 1, removed 18, unchanged 12." in page
    assert len(followers()) == 13


def test_sync_refuses_a_second_run_and_reports_progress(client, login_as, auth):
    login_as("admin")
    running = JobRun(id=uuid.uuid4(), kind=FOLLOW_SYNC, status="running", lock_key=lock_key("follower"), args={})
    running.progress_text = "followers: page 2 of 9; 2 page(s) read, 180 person(s) found"
    db.session.add(running)
    db.session.commit()
    token = auth.csrf("/follow-lists/")
    response = client.post(
        "/follow-lists/sync",
        data={"csrf_token": token, "direction": "followers"},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 409
    assert response.json["run_id"] == str(running.id)
    assert "already running" in response.json["error"]
    progress = client.get(f"/follow-lists/runs/{running.id}.json").json
    assert progress["status"] == "running"
    assert progress["text"] == "followers: page 2 of 9; 2 page(s) read, 180 person(s) found"
    assert client.post("/follow-lists/sync", data={"csrf_token": token, "direction": "x"}).status_code == 400


def test_sync_starts_a_run(client, login_as, auth):
    login_as("admin")
    token = auth.csrf("/follow-lists/")
    response = client.post(
        "/follow-lists/sync",
        data={"csrf_token": token, "direction": "following"},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 200
    run = db.session.get(JobRun, uuid.UUID(response.json["run_id"]))
    assert (run.kind, run.args, run.lock_key) == (FOLLOW_SYNC, {"direction": "following"}, "follow_sync:following")


def test_confirm_held_run(client, login_as, auth, app):
    apply_follow_list(db.session, "follower", [f"fan_{i}" for i in range(20)], T0, "manual_import")
    run = JobRun(
        id=uuid.uuid4(), kind=FOLLOW_SYNC, status="held", args={"direction": "follower"}, counts={"held": True}
    )
    db.session.add(run)
    db.session.commit()
    held_lists.keep(db.session, run.id, "follower", ["fan_1", "fan_2"], datetime(2026, 1, 5, tzinfo=UTC), None)
    admin = login_as("admin")
    token = auth.csrf("/follow-lists/")
    page = client.post(f"/follow-lists/runs/{run.id}/confirm", data={"csrf_token": token}, follow_redirects=True)
    assert "Applied: added 0, removed 18, unchanged 2." in page.get_data(as_text=True)
    assert followers() == ["fan_1", "fan_2"]
    db.session.expire_all()
    assert db.session.get(JobRun, run.id).status == "finished"
    held = db.session.get(HeldFollowList, run.id)
    assert (held.confirmed_by_id, held.applied["removed"], held.applied["unchanged"]) == (admin.id, 18, 2)
    again = client.post(f"/follow-lists/runs/{run.id}/confirm", data={"csrf_token": token}, follow_redirects=True)
    text = again.get_data(as_text=True)
    assert "only a held follow_sync run can be confirmed" in text
    assert f"held list confirmed by {admin.username} at {held.confirmed_at:%Y-%m-%d %H:%M} UTC" in text


def test_an_empty_upload_previews_as_empty_and_needs_confirmation(client, login_as, auth):
    """A whitespace-only file is an empty list: the preview says so and Apply needs the confirmation box."""
    fans = [f"fan_{i}" for i in range(5)]
    apply_follow_list(db.session, "follower", fans, T0, "manual_import")
    login_as("admin")
    token = auth.csrf("/follow-lists/")
    upload = {"csrf_token": token, "direction": "followers", "files": (io.BytesIO(b"  \n\t\n \n"), "empty.txt")}
    page = client.post("/follow-lists/import/preview", data=upload, content_type="multipart/form-data")
    text = page.get_data(as_text=True)
    assert 'data-testid="removed">5<' in text
    assert "the list is empty: would mark 5 of 5 as unfollowed; confirm to apply an empty list" in text
    assert "Yes, apply an empty list and mark 5 persons as unfollowed" in text
    form = {"csrf_token": token, "direction": "follower", "usernames": "", "observed_at": "2026-01-02T00:00:00+00:00"}
    page = client.post("/follow-lists/import/apply", data=form, follow_redirects=True).get_data(as_text=True)
    assert "Not applied: the list is empty" in page
    assert followers() == fans
    page = client.post(
        "/follow-lists/import/apply", data={**form, "confirm_mass_removal": "1"}, follow_redirects=True
    ).get_data(as_text=True)
    assert "Applied: added 0, removed 5, unchanged 0." in page
    assert followers() == []


def test_pending_persons_are_listed_with_profile_links(client, login_as, app):
    apply_follow_list(db.session, "follower", [f"fan_{i}" for i in range(6)], T0, "manual_import")
    later = datetime(2026, 1, 2, 9, 30, tzinfo=UTC)
    apply_follow_list(
        db.session,
        "follower",
        ["fan_0", "fan_1", "fan_2", "fan_3"],
        later,
        "list_scrape",
        pending_after=timedelta(minutes=10),
    )
    run = JobRun(
        id=uuid.uuid4(),
        kind=FOLLOW_SYNC,
        status="finished",
        args={"direction": "follower"},
        counts={"added": 0, "removed": 0, "unchanged": 4, "pending": 2, "second_read": "2 marked person(s) missing"},
    )
    db.session.add(run)
    db.session.commit()
    login_as("admin")
    page = client.get("/follow-lists/").get_data(as_text=True)
    table = page[page.index('<table class="table table-sm" data-testid="pending">') :]
    table = table[: table.index("</table>")]
    assert table.count("<tr>") == 3
    for name in ("fan_4", "fan_5"):
        assert f'<a href="/profile/{name}">{name}</a></td>\n          <td>followers</td>' in table
    assert "2026-01-02 09:30 UTC" in table
    assert 'added 0, removed 0, unchanged 4, <span data-testid="run-pending">pending 2</span>' in page
    assert "read twice: 2 marked person(s) missing" in page


def test_no_pending_persons(client, login_as):
    login_as("admin")
    assert '<p data-testid="pending">Nobody is pending.</p>' in client.get("/follow-lists/").get_data(as_text=True)
