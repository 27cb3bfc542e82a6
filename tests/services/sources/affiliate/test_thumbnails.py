"""Room thumbnails: taken while the room is online, only real images kept, served by the panel itself."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest
import requests

from mhc.clients.images import HostNotAllowed, host_allowed, image_fetcher
from mhc.extensions import db
from mhc.models import Person, Thumbnail
from mhc.services.users import thumbnails
from tests.factories import make_person
from tests.fake_chaturbate.affiliate import PLACEHOLDER, photo_png

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
PHOTO = photo_png("a")
WEBP = b"RIFF" + b"\x00" * 4 + b"WEBP" + b"\x00" * 1000


@pytest.mark.parametrize(
    ("content", "kind"),
    [
        (PHOTO, "image/png"),
        (b"\xff\xd8\xff\xe0" + b"\x00" * 1000, "image/jpeg"),
        (b"GIF89a" + b"\x00" * 1000, "image/gif"),
        (WEBP, "image/webp"),
        (b"<html><script>alert(1)</script></html>", None),
        (b"", None),
    ],
)
def test_the_type_comes_from_the_bytes(content, kind):
    assert thumbnails.image_type(content) == kind


def test_the_branded_placeholder_is_known_by_its_size():
    assert thumbnails.is_placeholder_content(PLACEHOLDER)
    assert thumbnails.is_placeholder_content(PLACEHOLDER + b"\x00" * 40)
    assert not thumbnails.is_placeholder_content(PHOTO)


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://thumb.live.mmcdn.com/ri/alice.jpg", True),
        ("https://roomimg.stream.highwebmedia.com/ri/alice.jpg", True),
        ("https://mmcdn.com/x.jpg", True),
        ("https://mmcdn.com.attacker.example/x.jpg", False),
        ("https://evilmmcdn.com/x.jpg", False),
        ("http://127.0.0.1:6379/", False),
        ("file:///etc/passwd", False),
        ("javascript:alert(1)", False),
    ],
)
def test_only_the_image_cdns_are_fetched(url, ok):
    assert host_allowed(url, (".mmcdn.com", ".highwebmedia.com")) is ok


def test_download_keeps_real_images_only(app):
    people = {name: make_person(name, image_url=f"https://thumb.live.mmcdn.com/ri/{name}.jpg") for name in "abcdefg"}
    thumbnails.store(
        db.session, people["b"].id, "https://thumb.live.mmcdn.com/ri/b.jpg", PHOTO, NOW - timedelta(days=3)
    )
    db.session.commit()
    old_sha = hashlib.sha256(PHOTO).hexdigest()
    answers = {
        "a": (200, PHOTO),  # stored
        "b": (200, PLACEHOLDER),  # offline placeholder: the older real picture stays
        "c": (200, b"<html>" + b"x" * 2000),  # not an image
        "d": (404, b""),
        "e": OSError("connection reset"),
        "f": HostNotAllowed("x"),
        "g": (200, b"\xff\xd8\xff" + b"\x00" * 600),  # a small JPEG, still over MIN_BYTES: kept
    }

    def fetch(url):
        answer = answers[url.rsplit("/", 1)[1][0]]
        if isinstance(answer, Exception):
            raise answer
        return answer

    targets = [(people[n].id, f"https://thumb.live.mmcdn.com/ri/{n}.jpg") for n in "abcdefg"]
    run = thumbnails.download(db.session, targets, fetch, NOW)
    assert run.as_counts() == {
        "thumbnails_stored": 2,
        "thumbnails_placeholders": 1,
        "thumbnails_rejected": 2,
        "thumbnails_failed": 2,
        "thumbnails_skipped_for_time": 0,
    }
    db.session.expire_all()
    stored = {db.session.get(Person, t.person_id).username: t for t in db.session.query(Thumbnail)}
    assert sorted(stored) == ["a", "b", "g"]
    assert (stored["a"].content, stored["a"].content_type, stored["a"].fetched_at) == (PHOTO, "image/png", NOW)
    assert (stored["b"].sha256, stored["b"].fetched_at) == (old_sha, NOW - timedelta(days=3))
    assert db.session.get(Person, people["a"].id).thumbnail_sha256 == hashlib.sha256(PHOTO).hexdigest()
    assert db.session.get(Person, people["c"].id).thumbnail_sha256 is None


def test_download_stops_starting_after_its_time_budget(app):
    person = make_person("slowpoke", image_url="https://thumb.live.mmcdn.com/ri/slowpoke.jpg")
    run = thumbnails.download(db.session, [(person.id, person.image_url)], lambda url: (200, PHOTO), NOW, -1)
    assert (run.stored, run.skipped_for_time) == (0, 1)


def test_due_missing_first_then_oldest_never_fresh_or_placeholder_urls(app):
    url = "https://thumb.live.mmcdn.com/ri/{}.jpg"
    for name in ("fresh", "old", "older", "missing", "no_url", "placeholder_url"):
        make_person(name, image_url=None if name == "no_url" else url.format(name))
    db.session.get(Person, _id("placeholder_url")).image_url = "https://thumb.live.mmcdn.com/noimage.png"
    for name, age in (("fresh", 1), ("old", 30), ("older", 50)):
        thumbnails.store(db.session, _id(name), url.format(name), PHOTO, NOW - timedelta(hours=age))
    db.session.commit()
    names = ["fresh", "old", "older", "missing", "no_url", "placeholder_url", "unknown_person"]
    got = thumbnails.due(db.session, names, NOW, timedelta(hours=24), limit=10)
    assert [db.session.get(Person, pid).username for pid, _ in got] == ["missing", "older", "old"]
    assert len(thumbnails.due(db.session, names, NOW, timedelta(hours=24), limit=2)) == 2


def _id(username):
    return db.session.query(Person.id).filter_by(username=username).scalar()


def test_fetcher_reads_the_fake_cdn_and_refuses_other_hosts(app, fake_cb):
    fetch = image_fetcher(("127.0.0.1",), timeout=5, max_bytes=thumbnails.MAX_BYTES)
    status, body = fetch(f"{fake_cb.base_url}/ri/alice.jpg")
    assert (status, thumbnails.image_type(body)) == (200, "image/png")
    fake_cb.state["thumbnails"] = {"gone": "missing"}
    assert fetch(f"{fake_cb.base_url}/ri/gone.jpg")[0] == 404
    with pytest.raises(HostNotAllowed):
        image_fetcher((".mmcdn.com",), 5, 100)(f"{fake_cb.base_url}/ri/alice.jpg")
    with pytest.raises(requests.ConnectionError):
        fetch("http://127.0.0.1:9/ri/nobody.jpg")


def test_the_panel_serves_stored_thumbnails_and_never_the_cdn_url(app, client, login_as):
    with_photo = make_person("with_photo", image_url="https://thumb.live.mmcdn.com/ri/with_photo.jpg")
    make_person("cdn_only", image_url="https://thumb.live.mmcdn.com/ri/cdn_only.jpg")
    digest = thumbnails.store(db.session, with_photo.id, with_photo.image_url, PHOTO, NOW)
    db.session.commit()
    assert client.get(f"/users/directory/thumb/{with_photo.id}").status_code == 302  # login first
    login_as("viewer")
    response = client.get(f"/users/directory/thumb/{with_photo.id}?v={digest[:16]}")
    assert (response.status_code, response.data, response.headers["Content-Type"]) == (200, PHOTO, "image/png")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert client.get(f"/users/directory/thumb/{with_photo.id}", headers={"If-None-Match": digest}).status_code == 304
    assert client.get("/users/directory/thumb/not-a-uuid").status_code == 404
    page = client.get("/users/directory/").get_data(as_text=True)
    assert f'src="/users/directory/thumb/{with_photo.id}?v={digest[:16]}"' in page
    assert "mmcdn.com" not in page
    profile = client.get("/profile/with_photo").get_data(as_text=True)
    assert f'class="profile-photo" src="/users/directory/thumb/{with_photo.id}?v={digest[:16]}"' in profile


def test_a_cycle_takes_real_pictures_and_skips_placeholders(app, fake_cb):
    from tests.fake_chaturbate.affiliate import make_room
    from tests.jobs.helpers import run_job

    fake_cb.state["affiliate_rooms"] = [make_room("live_one"), make_room("blank_one"), make_room("broken_one")]
    fake_cb.state["thumbnails"] = {"blank_one": "placeholder", "broken_one": "html"}
    run = run_job("affiliate_poll")
    assert run.status == "finished", run.error
    assert (
        run.counts["thumbnails_stored"],
        run.counts["thumbnails_placeholders"],
        run.counts["thumbnails_rejected"],
    ) == (
        1,
        1,
        1,
    )
    assert [db.session.get(Person, t.person_id).username for t in db.session.query(Thumbnail)] == ["live_one"]
