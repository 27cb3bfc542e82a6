"""Admin → Follow lists: cookies, manual import with preview and guard, sync start, progress, held runs."""

from __future__ import annotations

import io
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import select

from mhc.extensions import db
from mhc.jobs.follow_jobs import FOLLOW_SYNC, lock_key
from mhc.models import HeldFollowList, JobRun, Person, Profile, StoredSecret, utcnow
from mhc.services import secrets
from mhc.services.follows import sync
from mhc.services.follows.direction import Direction
from mhc.services.follows.follow_ledger import FollowObservation, apply_follow_list, apply_observations

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


def confirm_form(page: str) -> dict:
    """The fields of the Apply / Confirm form a preview page renders, as a browser would send them."""
    form = BeautifulSoup(page, "html.parser").select_one("form[action$='/import/apply']")
    return {i["name"]: i.get("value", "") for i in form.select("input[type=hidden]")}


def preview(client, token: str, pasted: str, direction: str = "followers") -> str:
    data = {"csrf_token": token, "direction": direction, "usernames": pasted}
    return client.post("/follow-lists/import/preview", data=data).get_data(as_text=True)


def apply_page(client, form: dict) -> str:
    return client.post("/follow-lists/import/apply", data=form, follow_redirects=True).get_data(as_text=True)


def test_manual_import_preview_then_apply_with_guard(client, login_as, auth):
    apply_follow_list(db.session, "follower", [f"fan_{i}" for i in range(30)], T0, "manual_import")
    admin = login_as("admin")
    token = auth.csrf("/follow-lists/")
    pasted = "\n".join(f"fan_{i}" for i in range(12)) + "\nnew_fan\n"
    page = preview(client, token, pasted)
    assert 'data-testid="added">1<' in page and 'data-testid="removed">18<' in page
    assert "would mark 18 of 30 as unfollowed" in page
    form = confirm_form(page)
    assert sorted(form) == ["csrf_token", "fingerprint", "held_id"]  # the list itself stays on the server
    assert "fan_11" not in str(form) and "new_fan" not in str(form)
    held = db.session.get(HeldFollowList, uuid.UUID(form["held_id"]))
    assert (held.source, held.direction, held.created_by_id, held.run_id) == (
        "manual_import",
        "follower",
        admin.id,
        None,
    )
    assert held.usernames == [f"fan_{i}" for i in range(12)] + ["new_fan"]
    assert "Not applied: would mark 18 of 30" in apply_page(client, form)
    assert len(followers()) == 30
    page = apply_page(client, {**form, "confirm_mass_removal": "1"})
    assert "Applied: added 1, removed 18, unchanged 12." in page
    assert len(followers()) == 13
    db.session.expire_all()
    held = db.session.get(HeldFollowList, uuid.UUID(form["held_id"]))
    assert (held.confirmed_by_id, held.applied["added"], held.applied["removed"]) == (admin.id, 1, 18)


def test_sync_refuses_a_second_run_and_reports_progress(client, login_as, auth):
    login_as("admin")
    secrets.store_cookies(db.session, "sessionid=fake-session")
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
    secrets.store_cookies(db.session, "sessionid=fake-session")
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
    hold_for(run, ["fan_1", "fan_2"])
    admin = login_as("admin")
    form = held_run_form(client, run)
    page = client.post(f"/follow-lists/runs/{run.id}/confirm", data=form, follow_redirects=True)
    assert "Applied: added 0, removed 18, unchanged 2." in page.get_data(as_text=True)
    assert followers() == ["fan_1", "fan_2"]
    db.session.expire_all()
    assert db.session.get(JobRun, run.id).status == "finished"
    held = db.session.get(HeldFollowList, run.id)
    assert (held.confirmed_by_id, held.applied["removed"], held.applied["unchanged"]) == (admin.id, 18, 2)
    again = client.post(f"/follow-lists/runs/{run.id}/confirm", data=form, follow_redirects=True)
    text = again.get_data(as_text=True)
    assert "only a held follow_sync run can be confirmed" in text
    said = BeautifulSoup(text, "html.parser").get_text()  # the time is a <time> element (local in the browser)
    assert f"held list confirmed by {admin.username} at {held.confirmed_at:%Y-%m-%d %H:%M} UTC" in said


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
    form = confirm_form(text)
    page = apply_page(client, form)
    assert "Not applied: the list is empty" in page
    assert followers() == fans
    page = apply_page(client, {**form, "confirm_mass_removal": "1"})
    assert "Applied: added 0, removed 5, unchanged 0." in page
    assert followers() == []


def hold_for(run: JobRun, names: list[str], at=datetime(2026, 1, 5, tzinfo=UTC)) -> sync.Held:
    """What a sync does when the guard holds its list."""
    return sync.hold(
        db.session,
        Direction.FOLLOWER,
        names,
        at,
        source="list_scrape",
        actor_id=None,
        max_age=sync.HELD_MAX_AGE,
        run_id=run.id,
    )


def held_run_form(client, run: JobRun) -> dict:
    """The Confirm form of a held run, on the page the Follow lists page links it to (after its names)."""
    index = BeautifulSoup(client.get("/follow-lists/").get_data(as_text=True), "html.parser")
    link = index.select_one(f"tr[data-run-id='{run.id}'] a[data-testid=review-held]")["href"]
    soup = BeautifulSoup(client.get(link).get_data(as_text=True), "html.parser")
    form = soup.select_one(f"form[action='/follow-lists/runs/{run.id}/confirm']")
    return {i["name"]: i.get("value", "") for i in form.select("input[type=hidden]")}


def held_fans_run() -> JobRun:
    apply_follow_list(db.session, "follower", [f"fan_{i}" for i in range(20)], T0, "manual_import")
    run = JobRun(id=uuid.uuid4(), kind=FOLLOW_SYNC, status="held", args={"direction": "follower"}, counts={})
    db.session.add(run)
    db.session.commit()
    hold_for(run, ["fan_1", "fan_2"])
    return run


def fan_event(name: str, action: str, at: datetime) -> None:
    apply_observations(db.session, [FollowObservation(name, "follower", action, at, "events_api", f"ev-{name}")])


@pytest.fixture
def previewed(client, login_as, auth):
    """Ten followers marked; a preview of a list that drops two of them (not applied yet)."""
    apply_follow_list(db.session, "follower", [f"fan_{i}" for i in range(10)], T0, "manual_import")
    login_as("admin")
    token = auth.csrf("/follow-lists/")
    page = preview(client, token, "\n".join(f"fan_{i}" for i in range(8)))
    assert 'data-testid="removed">2<' in page
    return confirm_form(page)


# Each way a preview can go stale between the page and the click, and what the operator is told.
STALE = [
    ("ledger_changed", "the followers list changed since this preview; nothing changed: preview it again"),
    ("tampered", "the confirmation does not match this list; nothing changed: preview or sync it again"),
    ("no_fingerprint", "the confirmation does not match this list; nothing changed: preview or sync it again"),
    ("unknown_id", "this list is no longer available; nothing changed: preview or sync it again"),
    ("expired", "this preview expired at 2026-01-01 00:00 UTC; nothing changed"),
]


@pytest.mark.parametrize(("how", "message"), STALE, ids=[s[0] for s in STALE])
def test_a_stale_preview_is_refused_and_changes_nothing(client, previewed, how, message):
    form = dict(previewed)
    if how == "ledger_changed":  # an event arrives between the preview and the click
        fan_event("late_fan", "follow", datetime(2026, 1, 3, tzinfo=UTC))
    elif how == "tampered":
        form["fingerprint"] = "0" * 64
    elif how == "no_fingerprint":
        del form["fingerprint"]
    elif how == "unknown_id":
        form["held_id"] = str(uuid.uuid4())
    else:
        db.session.get(HeldFollowList, uuid.UUID(form["held_id"])).expires_at = T0
        db.session.commit()
    before = followers()
    page = apply_page(client, form)
    assert f"Not imported: {message}" in page
    assert followers() == before
    held = db.session.get(HeldFollowList, uuid.UUID(previewed["held_id"]))
    assert (held.confirmed_at, held.applied) == (None, None)


def test_a_preview_is_applied_once(client, previewed):
    assert "Applied: added 0, removed 2, unchanged 8." in apply_page(client, previewed)
    db.session.expire_all()
    held = db.session.get(HeldFollowList, uuid.UUID(previewed["held_id"]))
    page = apply_page(client, previewed)
    assert f"Not imported: this list was already applied at {held.confirmed_at:%Y-%m-%d %H:%M} UTC" in page
    assert followers() == [f"fan_{i}" for i in range(8)]
    assert held.applied["removed"] == 2


def test_expired_previews_are_forgotten_by_the_next_preview(client, auth, previewed):
    old = uuid.UUID(previewed["held_id"])
    db.session.get(HeldFollowList, old).expires_at = T0
    db.session.commit()
    newer = confirm_form(preview(client, auth.csrf("/follow-lists/"), "fan_0"))
    db.session.expire_all()
    ids = db.session.scalars(select(HeldFollowList.id)).all()
    assert ids == [uuid.UUID(newer["held_id"])]


def test_a_preview_the_guard_held_can_still_be_confirmed(client, login_as, auth):
    """Apply without the box ticked changes nothing and keeps the preview usable."""
    apply_follow_list(db.session, "follower", [f"fan_{i}" for i in range(10)], T0, "manual_import")
    login_as("admin")
    form = confirm_form(preview(client, auth.csrf("/follow-lists/"), "fan_0\nfan_1"))
    assert "Not applied: would mark 8 of 10 as unfollowed (half or more of them)" in apply_page(client, form)
    assert db.session.get(HeldFollowList, uuid.UUID(form["held_id"])).confirmed_at is None
    assert "Applied: added 0, removed 8, unchanged 2." in apply_page(client, {**form, "confirm_mass_removal": "1"})


@pytest.mark.parametrize("how", ["ledger_changed", "tampered", "expired"])
def test_a_stale_held_run_is_refused_and_stays_held(client, login_as, how):
    run = held_fans_run()
    login_as("admin")
    form = held_run_form(client, run)
    if how == "ledger_changed":  # a fan unfollows (Events API) after the sync held its list
        fan_event("fan_7", "unfollow", datetime(2026, 1, 6, tzinfo=UTC))
        message = "the followers list changed since this preview; nothing changed: preview it again"
    elif how == "tampered":
        form["fingerprint"] = form["fingerprint"][::-1]
        message = "the confirmation does not match this list; nothing changed: preview or sync it again"
    else:
        db.session.get(HeldFollowList, run.id).expires_at = T0
        db.session.commit()
        message = "this preview expired at 2026-01-01 00:00 UTC; nothing changed"
    before = followers()
    page = client.post(f"/follow-lists/runs/{run.id}/confirm", data=form, follow_redirects=True)
    assert f"Not applied: {message}" in page.get_data(as_text=True)
    assert followers() == before
    db.session.expire_all()
    assert db.session.get(JobRun, run.id).status == "held"
    assert db.session.get(HeldFollowList, run.id).confirmed_at is None


@pytest.mark.parametrize("endpoint", ["/follow-lists/import/preview", "/follow-lists/sync"])
@pytest.mark.parametrize("value", ["bogus", "", "Followers", "followers "])
def test_a_bad_direction_is_refused_at_the_form(client, login_as, auth, endpoint, value):
    login_as("admin")
    data = {"csrf_token": auth.csrf("/follow-lists/"), "direction": value, "usernames": "fan_1"}
    response = client.post(endpoint, data=data)
    assert response.status_code == 400
    assert "direction must be following or followers" in response.get_data(as_text=True)
    assert db.session.scalar(select(db.func.count()).select_from(HeldFollowList)) == 0
    assert db.session.scalar(select(db.func.count()).select_from(JobRun)) == 0


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
    table = page[page.index('data-testid="pending">') :]
    table = table[: table.index("</table>")]
    assert table.count("<tr>") == 3
    for name in ("fan_4", "fan_5"):
        assert f'<a href="/profile/{name}" data-person-link>{name}</a></td>\n          <td>followers</td>' in table
    assert "2026-01-02 09:30 UTC" in table
    assert 'added 0, removed 0, unchanged 4, <span data-testid="run-pending">pending 2</span>' in page
    assert "read twice: 2 marked person(s) missing" in page


def test_no_pending_persons(client, login_as):
    login_as("admin")
    assert '<p data-testid="pending">Nobody is pending.</p>' in client.get("/follow-lists/").get_data(as_text=True)
