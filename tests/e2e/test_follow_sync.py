"""follow_sync against the fake Chaturbate in Debian Chromium: every abort case changes nothing and says
why; a complete list is applied; the mass-removal guard holds; a real (embedded) worker runs it end to end."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from mhc.extensions import db
from mhc.jobs.follow_jobs import HeldRunError, confirm_held_run, enqueue_follow_sync, run_follow_sync_here
from mhc.models import FollowEvent, FollowPending, HeldFollowList, JobRun, Person, Profile, utcnow
from mhc.models.owner import OwnerStatsSample
from mhc.services import job_artifacts, secrets
from mhc.services.follows.follow_ledger import apply_follow_list
from mhc.services.follows.sync import StalePreview
from tests.waiting import wait_for_run

pytestmark = pytest.mark.e2e

T0 = datetime(2026, 1, 1, tzinfo=UTC)
FOLLOWING = ["alice", "bob", "carol", "dave", "erin", "frank"]


@pytest.fixture
def app_config(fake_cb_config):
    return fake_cb_config


@pytest.fixture
def seeded(app):
    """The owner follows alice, bob and zed; viewer_1 and old_fan follow the owner; cookies imported."""
    secrets.store_cookies(db.session, "sessionid=fake-session; csrftoken=fake-csrf")
    apply_follow_list(db.session, "following", ["alice", "bob", "zed"], T0, "manual_import")
    apply_follow_list(db.session, "follower", ["viewer_1", "old_fan"], T0, "manual_import")


def snapshot() -> tuple:
    """Follow state and history, exactly."""
    db.session.expire_all()
    profiles = db.session.execute(
        select(
            Person.username,
            Profile.following,
            Profile.following_since,
            Profile.unfollowed_at,
            Profile.following_checked_at,
            Profile.follower,
            Profile.follower_since,
            Profile.unfollower_at,
            Profile.follower_checked_at,
        )
        .join(Profile)
        .order_by(Person.username)
    ).all()
    events = db.session.execute(select(FollowEvent.__table__).order_by(FollowEvent.id)).all()
    persons = db.session.scalars(select(Person.username).order_by(Person.username)).all()
    return [tuple(r) for r in profiles], [tuple(e) for e in events], list(persons)


def pending() -> list[tuple]:
    """Pending persons exactly: (username, direction, first missed at, run id)."""
    db.session.expire_all()
    stmt = (
        select(Person.username, FollowPending.direction, FollowPending.first_missed_at, FollowPending.job_run_id)
        .join(Person, Person.id == FollowPending.person_id)
        .order_by(Person.username)
    )
    return [tuple(r) for r in db.session.execute(stmt)]


def marked(direction: str) -> list[str]:
    db.session.expire_all()
    column = Profile.following if direction == "following" else Profile.follower
    return db.session.scalars(select(Person.username).join(Profile).where(column).order_by(Person.username)).all()


ABORTS = [
    ("logged_out", {"follow_faults": {"online:1": "login"}}, "redirected to the login page"),
    ("home_redirect", {"follow_faults": {"offline:1": "home"}}, "redirected to the home page"),
    ("wrong_account", {"follow_logged_in_as": "someone_else"}, "logged in as 'someone_else', not as the owner"),
    ("cloudflare", {"follow_faults": {"online:2": "cloudflare"}}, "Cloudflare challenge (Just a moment) did not clear"),
    ("fails_mid_list", {"follow_faults": {"online:2": "error"}}, "online page 2 answered HTTP 500"),
    ("empty_mid_list", {"follow_faults": {"online:2": "empty"}}, "online page 2 of 2 came back empty"),
    ("truncated", {"follow_hidden": ["carol", "dave", "erin"]}, "found 3 but expected 6 (tolerance 2)"),
    ("empty_list", {"follow_online": [], "follow_offline": [], "follow_total": 6}, "found 0 but expected 6"),
]


@pytest.mark.parametrize(("name", "scenario", "reason"), ABORTS, ids=[a[0] for a in ABORTS])
def test_abort_changes_nothing_and_says_why(seeded, fake_cb, name, scenario, reason):
    fake_cb.state.update(scenario)
    before = snapshot()
    run = run_follow_sync_here("following")
    assert run.status == "failed"
    assert "FollowSyncAborted" in run.error and reason in run.error, run.error
    assert snapshot() == before
    assert {a.kind for a in job_artifacts.listed(db.session, run.id)} == {"html", "screenshot"}


def test_no_cookies_aborts(app, fake_cb):
    run = run_follow_sync_here("following")
    assert run.status == "failed"
    assert "no Chaturbate session cookies imported" in run.error
    assert fake_cb.requests == []


def test_followers_short_of_stats_count_aborts(seeded, fake_cb):
    db.session.add(OwnerStatsSample(observed_at=T0, username="hudson", num_followers=9))
    db.session.commit()
    before = snapshot()
    run = run_follow_sync_here("followers")
    assert run.status == "failed"
    assert "found 5 but expected 9 (tolerance 2): the list is partial; expected count from Stats API" in run.error
    assert snapshot() == before


def test_following_sync_applies_complete_list(seeded, fake_cb):
    lines = []
    run = run_follow_sync_here("following", echo=lines.append)
    assert run.status == "finished", run.error
    assert marked("following") == FOLLOWING
    keys = ("added", "removed", "unchanged", "pages", "reads", "second_read", "found", "expected", "tolerance")
    assert {k: run.counts[k] for k in keys} == {
        "added": 4,
        "removed": 1,
        "unchanged": 2,
        "pages": 6,
        "reads": 2,  # zed is missing: a second read must miss him too
        "second_read": "1 marked person(s) missing from the read",
        "found": 6,
        "expected": 6,
        "tolerance": 2,
    }
    assert [p for p in fake_cb.requests if "followed-cams" in p] == [
        "/followed-cams/?page=1",
        "/followed-cams/?page=2",
        "/followed-cams/offline/?page=1",
    ] * 2
    assert lines[-1] == "second read: offline: page 1 of 1; 6 page(s) read, 6 person(s) found"
    db.session.expire_all()
    zed = db.session.scalar(select(Profile).join(Person).where(Person.username == "zed"))
    assert (zed.following, zed.unfollowed_at.isoformat()) == (False, run.counts["observed_at"])
    sources = db.session.scalars(select(FollowEvent.source).where(FollowEvent.job_run_id == run.id)).all()
    assert sorted(sources) == ["list_scrape"] * 5


def test_followers_without_yardstick_says_so(seeded, fake_cb):
    run = run_follow_sync_here("followers")
    assert run.status == "finished", run.error
    assert run.counts["expected"] is None
    assert run.counts["expected_from"] == "nothing: no count known, so missing persons wait as pending"
    assert (run.counts["removed"], run.counts["pending"]) == (0, 1)
    assert marked("follower") == ["old_fan", "viewer_1", "viewer_2", "viewer_3", "viewer_4", "viewer_5"]
    assert pending() == [("old_fan", "follower", datetime.fromisoformat(run.counts["observed_at"]), run.id)]


def test_mass_removal_is_held_until_confirmed(app, fake_cb):
    secrets.store_cookies(db.session, "sessionid=fake-session")
    many = [f"old_{i}" for i in range(20)]
    apply_follow_list(db.session, "following", FOLLOWING + many, T0, "manual_import")
    before = snapshot()
    run = run_follow_sync_here("following")
    assert run.status == "held", run.error
    assert (run.counts["held"], run.counts["removed"], run.counts["current"]) == (True, 20, 26)
    assert snapshot() == before
    held = db.session.get(HeldFollowList, run.id)
    assert (held.source, held.direction, held.run_id, len(held.usernames)) == ("list_scrape", "following", run.id, 6)
    with pytest.raises(StalePreview, match="the confirmation does not match this list"):
        confirm_held_run(run.id, "not the fingerprint")
    assert snapshot() == before
    confirm_held_run(run.id, held.fingerprint)
    assert marked("following") == FOLLOWING
    db.session.expire_all()
    run = db.session.get(JobRun, run.id)
    assert (run.status, run.counts["removed"], run.counts["held"]) == ("finished", 20, False)
    with pytest.raises(HeldRunError, match="only a held follow_sync run can be confirmed"):
        confirm_held_run(run.id, held.fingerprint)


def test_a_held_sync_is_refused_once_a_newer_list_was_applied(app, fake_cb):
    """The list was read before the newer import: confirming it would undo that import's view of the list."""
    secrets.store_cookies(db.session, "sessionid=fake-session")
    apply_follow_list(db.session, "following", FOLLOWING + [f"old_{i}" for i in range(20)], T0, "manual_import")
    run = run_follow_sync_here("following")
    assert run.status == "held", run.error
    fingerprint = db.session.get(HeldFollowList, run.id).fingerprint
    apply_follow_list(
        db.session, "following", FOLLOWING + ["old_0"], utcnow(), "manual_import", confirm_mass_removal=True
    )
    before = snapshot()
    with pytest.raises(StalePreview, match="the following list changed since this preview"):
        confirm_held_run(run.id, fingerprint)
    assert snapshot() == before
    db.session.expire_all()
    assert db.session.get(JobRun, run.id).status == "held"


def test_worker_runs_the_sync(seeded, fake_cb):
    run = wait_for_run(enqueue_follow_sync("followers").id, lambda r: r.status not in ("queued", "running"), 90)
    assert run.status == "finished", run.error
    assert (run.counts["added"], run.counts["removed"], run.counts["unchanged"], run.counts["pending"]) == (4, 0, 1, 1)
    assert run.progress == 100
    assert marked("follower") == ["old_fan", "viewer_1", "viewer_2", "viewer_3", "viewer_4", "viewer_5"]


FANS = [f"fan_{i:02d}" for i in range(30)]


def seed_fans(names: list[str], yardstick: int | None) -> None:
    """Cookies, `names` as the owner's followers, and (optionally) a Stats API follower count."""
    secrets.store_cookies(db.session, "sessionid=fake-session")
    apply_follow_list(db.session, "follower", names, T0, "manual_import")
    if yardstick is not None:
        db.session.add(OwnerStatsSample(observed_at=T0, username="hudson", num_followers=yardstick))
        db.session.commit()


def unfollowed() -> list[tuple]:
    """(username, unfollower_at) of every former follower."""
    db.session.expire_all()
    stmt = select(Person.username, Profile.unfollower_at).join(Profile).where(Profile.follower.is_(False))
    return [tuple(r) for r in db.session.execute(stmt.order_by(Person.username))]


def test_a_follower_leaving_mid_read_unfollows_nobody_else(app, fake_cb):
    """fan_00 leaves after page 3 of 6: the list shifts by one and the first read skips fan_15 (29 of 30 is
    within the tolerance). fan_15 is missing, so the list is read again: fan_15 is there, fan_00 is not. A
    name seen by either read is present: nobody is unfollowed; the next sync, missing fan_00 twice, removes
    only fan_00, at that sync's time."""
    seed_fans(FANS, yardstick=30)
    fake_cb.state.update(follow_followers=list(FANS), follow_page_size=5)
    fake_cb.state["follow_changes"] = {"followers:3": {"remove": ["fan_00"]}}
    run = run_follow_sync_here("followers")
    assert run.status == "finished", run.error
    assert (run.counts["reads"], run.counts["removed"], run.counts["found"]) == (2, 0, 30)
    assert run.counts["second_read"] == "1 marked person(s) missing from the read"
    assert fake_cb.requests.count("/accounts/followers/?page=4") == 2
    assert marked("follower") == FANS
    assert unfollowed() == [] and pending() == []

    run = run_follow_sync_here("followers")
    assert (run.status, run.counts["removed"], run.counts["reads"]) == ("finished", 1, 2), run.error
    assert marked("follower") == FANS[1:]
    assert unfollowed() == [("fan_00", datetime.fromisoformat(run.counts["observed_at"]))]


def test_a_list_that_moves_is_read_again(app, fake_cb):
    """A new follower arrives after page 2: page 3 repeats the name that ended page 2, the read is marked as
    moved and read again; the newcomer is added, nobody is removed."""
    seed_fans(FANS[:12], yardstick=12)
    fake_cb.state.update(follow_followers=FANS[:12], follow_page_size=4)
    fake_cb.state["follow_changes"] = {"followers:2": {"add": ["newbie"]}}
    run = run_follow_sync_here("followers")
    assert run.status == "finished", run.error
    assert run.counts["second_read"] == "the list moved during the read (followers: fan_07 on pages 2 and 3)"
    assert (run.counts["reads"], run.counts["added"], run.counts["removed"]) == (2, 1, 0)
    assert marked("follower") == sorted(FANS[:12] + ["newbie"])


def test_a_list_that_moves_during_both_reads_changes_nothing(app, fake_cb):
    seed_fans(FANS[:12], yardstick=12)
    fake_cb.state.update(follow_followers=FANS[:12], follow_page_size=4)
    fake_cb.state["follow_changes"] = {
        "followers:2": {"add": ["newbie"]},
        "followers:2#2": {"add": ["another"], "remove": ["fan_11"]},
    }
    before = snapshot()
    run = run_follow_sync_here("followers")
    assert run.status == "failed"
    assert "the list moved during both reads (followers: fan_06 on pages 2 and 3): nothing was changed" in run.error
    assert snapshot() == before


def test_missing_without_any_count_waits_as_pending(app, fake_cb):
    """No Stats API sample, no owner profile: three followers missing from both reads become pending, not
    unfollowed. One comes back (cleared); the other two, still missing in a read FOLLOW_PENDING_MINUTES
    later, are unfollowed at the time of the first read that missed them."""
    fans = FANS[:10]
    seed_fans(fans, yardstick=None)
    fake_cb.state.update(follow_followers=list(fans), follow_page_size=4, follow_hidden=["fan_02", "fan_05", "fan_07"])
    first = run_follow_sync_here("followers")
    assert first.status == "finished", first.error
    assert (first.counts["removed"], first.counts["pending"], first.counts["reads"]) == (0, 3, 2)
    missed_at, first_id = datetime.fromisoformat(first.counts["observed_at"]), first.id
    assert marked("follower") == fans
    assert pending() == [(n, "follower", missed_at, first_id) for n in ("fan_02", "fan_05", "fan_07")]

    fake_cb.state["follow_hidden"] = ["fan_02", "fan_07"]  # fan_05 is listed again
    second = run_follow_sync_here("followers")  # sooner than FOLLOW_PENDING_MINUTES (10): nobody leaves
    assert (second.counts["removed"], second.counts["pending"], second.counts["pending_cleared"]) == (0, 2, 1)
    assert marked("follower") == fans
    assert pending() == [(n, "follower", missed_at, first_id) for n in ("fan_02", "fan_07")]

    app.config["FOLLOW_PENDING_MINUTES"] = 0  # the next read is "late enough"
    third = run_follow_sync_here("followers")
    assert (third.status, third.counts["removed"], third.counts["pending"]) == ("finished", 2, 0), third.error
    assert marked("follower") == [n for n in fans if n not in ("fan_02", "fan_07")]
    assert unfollowed() == [("fan_02", missed_at), ("fan_07", missed_at)]
    assert pending() == []
    events = db.session.scalars(select(FollowEvent.observed_at).where(FollowEvent.action == "unfollow")).all()
    assert events == [missed_at, missed_at]


def test_following_without_a_header_count_waits_as_pending(seeded, fake_cb):
    fake_cb.state["follow_no_count"] = True
    run = run_follow_sync_here("following")
    assert run.status == "finished", run.error
    assert (run.counts["expected"], run.counts["removed"], run.counts["pending"]) == (None, 0, 1)
    assert marked("following") == sorted(FOLLOWING + ["zed"])
    assert [p[:2] for p in pending()] == [("zed", "following")]


def test_cli_sync_reports_pending(seeded, fake_cb, runner):
    result = runner.invoke(args=["follows", "sync", "followers"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == "added 4, removed 0, unchanged 1, pending 1"
