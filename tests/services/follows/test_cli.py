"""`flask follows import` and `flask follows insights`."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from mhc.extensions import db
from mhc.models import FollowEvent, HeldFollowList, Person, Profile
from tests.fake_chaturbate import follow_pages


def page(kind: str, names: list[str], number: int = 1, last: int = 1, **state) -> str:
    return follow_pages.render_list_page({**follow_pages.defaults(), **state}, kind, names, number, last)


def followers() -> list[str]:
    db.session.expire_all()
    return db.session.scalars(
        select(Person.username).join(Profile).where(Profile.follower).order_by(Person.username)
    ).all()


def following() -> list[str]:
    db.session.expire_all()
    return db.session.scalars(
        select(Person.username).join(Profile).where(Profile.following).order_by(Person.username)
    ).all()


def test_import_text_files_then_idempotent(runner, tmp_path):
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_text("Viewer_1\nviewer_2  # a comment\n\n")
    b.write_text("viewer_3\nviewer_1\n")
    args = ["follows", "import", "followers", str(a), str(b), "--as-of", "2026-01-01T00:00:00Z"]
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    assert result.output == "added 3, removed 0, unchanged 0\n"
    assert followers() == ["viewer_1", "viewer_2", "viewer_3"]
    result = runner.invoke(args=args)
    assert result.output == "added 0, removed 0, unchanged 3\n"
    assert db.session.scalar(select(db.func.count()).select_from(FollowEvent)) == 3


def test_import_saved_followed_pages(runner, tmp_path):
    files = []
    for number, names in ((1, ["alice", "bob", "carol"]), (2, ["dave"])):
        path = tmp_path / f"online{number}.html"
        path.write_text(page("online", names, number, 2, follow_total=5))
        files.append(str(path))
    offline = tmp_path / "offline.html"
    offline.write_text(page("offline", ["erin"], follow_total=5))
    result = runner.invoke(args=["follows", "import", "following", *files, str(offline)])
    assert result.exit_code == 0, result.output
    assert result.output == "added 5, removed 0, unchanged 0\n"
    assert following() == ["alice", "bob", "carol", "dave", "erin"]


def test_import_partial_pages_rejected(runner, tmp_path):
    one = tmp_path / "followers1.html"
    one.write_text(page("followers", ["viewer_1", "viewer_2"], 1, 3))
    result = runner.invoke(args=["follows", "import", "followers", str(one)])
    assert result.exit_code == 1
    assert "followers page(s) 2, 3 of 3 missing" in result.output
    short = tmp_path / "online.html"
    short.write_text(page("online", ["alice"], follow_total=40))
    result = runner.invoke(args=["follows", "import", "following", str(short)])
    assert result.exit_code == 1
    assert "found 1 but expected 40 (tolerance 2): the list is partial" in result.output
    wrong = tmp_path / "wrong.html"
    wrong.write_text(page("online", ["alice"], follow_logged_in_as="other_guy", follow_total=1))
    result = runner.invoke(args=["follows", "import", "following", str(wrong)])
    assert "logged in as 'other_guy', not as the owner 'hudson'" in result.output
    assert followers() == [] and following() == []


def test_import_mass_removal_needs_flag(runner, tmp_path):
    everyone = tmp_path / "all.txt"
    everyone.write_text("\n".join(f"fan_{i}" for i in range(40)))
    assert runner.invoke(args=["follows", "import", "followers", str(everyone), "--as-of", "2026-01-01"]).exit_code == 0
    few = tmp_path / "few.txt"
    few.write_text("\n".join(f"fan_{i}" for i in range(10)))
    result = runner.invoke(args=["follows", "import", "followers", str(few), "--as-of", "2026-01-02"])
    assert result.exit_code == 3
    assert "Held, nothing applied: would mark 30 of 40 as unfollowed" in result.output
    assert len(followers()) == 40
    args = ["follows", "import", "followers", str(few), "--as-of", "2026-01-02", "--confirm-mass-removal"]
    result = runner.invoke(args=args)
    assert result.output == "added 0, removed 30, unchanged 10\n"
    assert len(followers()) == 10


def test_insights_json(runner, tmp_path):
    everyone = tmp_path / "all.txt"
    everyone.write_text("a1\na2\na3\na4\n")
    runner.invoke(args=["follows", "import", "followers", str(everyone), "--as-of", "2026-01-01T00:00:00+00:00"])
    three = tmp_path / "three.txt"
    three.write_text("a1\na2\na3\n")
    runner.invoke(args=["follows", "import", "followers", str(three), "--as-of", "2026-01-11T00:00:00+00:00"])
    result = runner.invoke(
        args=["follows", "insights", "--as-of", "2026-01-12T00:00:00+00:00", "--window", "7", "--json"]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {
        "unfollows_7d": 1,
        "unfollows_30d": 1,
        "avg_follow_days": 10.0,
        "unfollow_rate_pct": 25.0,
        "window_days": 7,
    }


def test_import_empty_file_needs_confirmation(runner, tmp_path):
    fans = tmp_path / "fans.txt"
    fans.write_text("\n".join(f"fan_{i}" for i in range(5)))
    assert runner.invoke(args=["follows", "import", "followers", str(fans), "--as-of", "2026-01-01"]).exit_code == 0
    empty = tmp_path / "empty.txt"
    empty.write_text("  \n\t\n\n")
    args = ["follows", "import", "followers", str(empty), "--as-of", "2026-01-02"]
    result = runner.invoke(args=args)
    assert result.exit_code == 3
    assert result.output == (
        "Held, nothing applied: the list is empty: would mark 5 of 5 as unfollowed; confirm to apply an empty "
        "list (use --confirm-mass-removal)\n"
    )
    assert len(followers()) == 5
    result = runner.invoke(args=[*args, "--confirm-mass-removal"])
    assert (result.exit_code, result.output) == (0, "added 0, removed 5, unchanged 0\n")
    assert followers() == []


USAGE = {
    "import": (
        "Usage: mhc follows import [OPTIONS] {following|followers} FILES...\nTry 'mhc follows import --help' for help."
    ),
    "sync": "Usage: mhc follows sync [OPTIONS] {following|followers}\nTry 'mhc follows sync --help' for help.",
}


@pytest.mark.parametrize("command", ["import", "sync"])
@pytest.mark.parametrize("value", ["bogus", "follower", "Followers"])
def test_a_bad_direction_is_refused_with_clicks_message(runner, tmp_path, command, value):
    """The stored spelling "follower" is not a CLI spelling: the same message as before Direction existed."""
    names = tmp_path / "names.txt"
    names.write_text("fan_1\n")
    args = ["follows", command, value] + ([str(names)] if command == "import" else [])
    result = runner.invoke(args=args)
    assert result.exit_code == 2
    assert result.output == (
        f"{USAGE[command]}\n\nError: Invalid value for '{{following|followers}}': "
        f"'{value}' is not one of 'following', 'followers'.\n"
    )
    assert followers() == [] and db.session.scalar(select(db.func.count()).select_from(HeldFollowList)) == 0


def test_an_import_is_kept_as_a_confirmed_held_list(runner, tmp_path):
    """The CLI's import is recorded like a confirmed preview; one the guard holds changes and keeps nothing."""
    everyone = tmp_path / "all.txt"
    everyone.write_text("\n".join(f"fan_{i}" for i in range(12)))
    assert runner.invoke(args=["follows", "import", "followers", str(everyone), "--as-of", "2026-01-01"]).exit_code == 0
    few = tmp_path / "few.txt"
    few.write_text("fan_0\n")
    assert runner.invoke(args=["follows", "import", "followers", str(few), "--as-of", "2026-01-02"]).exit_code == 3
    rows = db.session.scalars(select(HeldFollowList)).all()
    assert [(r.source, r.direction, len(r.usernames), r.run_id, r.applied["added"]) for r in rows] == [
        ("manual_import", "follower", 12, None, 12)
    ]
    assert rows[0].confirmed_at is not None and len(rows[0].fingerprint) == 64
    assert len(followers()) == 12
