"""Admin → Follow lists: a preview and a held sync's page name the persons, paged and searched by GET."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from bs4 import BeautifulSoup
from sqlalchemy import select

from mhc.extensions import db
from mhc.jobs.follow_jobs import FOLLOW_SYNC
from mhc.models import AuditLog, FollowPending, HeldFollowList, JobRun
from mhc.services.follows.follow_ledger import FollowObservation, apply_follow_list, apply_observations
from tests.services.follows.test_admin import confirm_form, followers, hold_for, preview

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def group(page: str, name: str) -> list[tuple[str, str | None]]:
    """(username, profile link or None) of one group's names on the page."""
    box = BeautifulSoup(page, "html.parser").select_one(f"[data-testid=group-{name}]")
    if box is None:
        return []
    return [(li.get_text(strip=True), (li.a or {}).get("href")) for li in box.select("[data-testid=name]")]


def state() -> tuple:
    """Everything a GET of the page must leave alone."""
    db.session.expire_all()
    held = db.session.scalars(select(HeldFollowList.id, HeldFollowList.confirmed_at)).all()
    pending = db.session.scalar(select(db.func.count()).select_from(FollowPending))
    audit = db.session.scalar(select(db.func.count()).select_from(AuditLog))
    return followers(), held, pending, audit


def test_preview_names_each_group_with_profile_links(client, login_as, auth):
    apply_follow_list(db.session, "follower", [f"fan_{i:03d}" for i in range(120)], T0, "manual_import")
    login_as("admin")
    page = preview(client, auth.csrf("/follow-lists/"), "fan_000\nfan_001\nnew_fan")
    assert group(page, "added") == [("new_fan", None)]  # no person yet: no link
    assert group(page, "created") == [("new_fan", None)]
    removed = group(page, "removed")
    assert removed[:2] == [("fan_002", "/profile/fan_002"), ("fan_003", "/profile/fan_003")]
    assert len(removed) == 50
    assert group(page, "pending") == []
    assert "Marked as unfollowed: 118 persons" in page
    assert "Become followers: 1 person" in page
    form = confirm_form(page)
    assert sorted(form) == ["csrf_token", "fingerprint", "held_id"]

    before = state()
    url = f"/follow-lists/held/{form['held_id']}"
    page3 = client.get(f"{url}?group=removed&page=3").get_data(as_text=True)
    assert [n for n, _ in group(page3, "removed")] == [f"fan_{i:03d}" for i in range(102, 120)]
    assert "101–118 of 118" in page3
    assert group(page3, "added") == [("new_fan", None)]  # the other groups show their first page
    found = client.get(f"{url}?q=FAN_11").get_data(as_text=True)
    assert [n for n, _ in group(found, "removed")] == [f"fan_{i}" for i in range(110, 120)]
    assert "10 matching" in found and group(found, "added") == []
    for odd in ("?page=-1", "?page=x", "?page=99999999999", "?page=%C2%B2", "?group=nope", "?q=%25"):
        assert client.get(url + odd).status_code == 200, odd
    hostile = client.get(url + "?q=%3Cscript%3Ex").get_data(as_text=True)
    assert "<script>x" not in hostile and 'value="&lt;script&gt;x"' in hostile
    assert state() == before  # paging and searching changed nothing
    assert confirm_form(page3) == form  # the same list, the same confirmation
    assert "Applied: added 1, removed 118, unchanged 2." in client.post(
        "/follow-lists/import/apply", data={**form, "confirm_mass_removal": "1"}, follow_redirects=True
    ).get_data(as_text=True)
    assert followers() == ["fan_000", "fan_001", "new_fan"]
    gone = client.get(url, follow_redirects=True).get_data(as_text=True)
    assert "That list is no longer waiting" in gone


def test_a_held_sync_shows_who_before_its_confirmation(client, login_as):
    apply_follow_list(db.session, "follower", [f"fan_{i}" for i in range(20)], T0, "manual_import")
    run = JobRun(id=uuid.uuid4(), kind=FOLLOW_SYNC, status="held", args={"direction": "follower"}, counts={})
    db.session.add(run)
    db.session.commit()
    hold_for(run, ["fan_1", "fan_2"])
    login_as("admin")
    index = BeautifulSoup(client.get("/follow-lists/").get_data(as_text=True), "html.parser")
    assert index.select_one(f"tr[data-run-id='{run.id}'] form") is None  # no blind confirm on the list page
    link = index.select_one(f"tr[data-run-id='{run.id}'] a[data-testid=review-held]")["href"]
    page = client.get(link).get_data(as_text=True)
    shown = [n for n, _ in group(page, "removed")]
    assert shown == sorted(f"fan_{i}" for i in range(20) if i not in (1, 2))
    assert "Confirm and apply: mark 18 persons as unfollowed" in page
    soup = BeautifulSoup(page, "html.parser")
    form = soup.select_one(f"form[action='/follow-lists/runs/{run.id}/confirm']")
    data = {i["name"]: i.get("value", "") for i in form.select("input[type=hidden]")}
    before = set(followers())
    result = client.post(f"/follow-lists/runs/{run.id}/confirm", data=data, follow_redirects=True)
    assert "Applied: added 0, removed 18, unchanged 2." in result.get_data(as_text=True)
    assert sorted(before - set(followers())) == shown


def test_a_stale_held_list_says_why_and_offers_no_confirmation(client, login_as):
    apply_follow_list(db.session, "follower", [f"fan_{i}" for i in range(20)], T0, "manual_import")
    run = JobRun(id=uuid.uuid4(), kind=FOLLOW_SYNC, status="held", args={"direction": "follower"}, counts={})
    db.session.add(run)
    db.session.commit()
    hold_for(run, ["fan_1", "fan_2"])
    late = FollowObservation("fan_7", "follower", "unfollow", datetime(2026, 1, 6, tzinfo=UTC), "events_api", "ev-7")
    apply_observations(db.session, [late])
    login_as("admin")
    page = client.get(f"/follow-lists/held/{run.id}").get_data(as_text=True)
    assert "This list can no longer be applied: the followers list changed since this preview" in page
    assert "confirm-held" not in page
    assert client.get(f"/follow-lists/held/{uuid.uuid4()}").status_code == 302
    assert client.get("/follow-lists/held/not-a-uuid").status_code == 404
