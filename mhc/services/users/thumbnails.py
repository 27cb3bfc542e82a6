"""Room thumbnails, downloaded while the room is online (docs/domain.md#placeholder-images).

A room has one thumbnail URL. While the room is online it serves the live picture; once offline it serves
a branded placeholder (about 5,045 bytes). So the picture is taken when an Affiliate API cycle sees the
room, stored here, and the panel serves its stored copy: it never hot-links the URL, which would show the
placeholder as if it were a photo. Downloaded bytes are untrusted: the type comes from the bytes
themselves (JPEG, PNG, GIF or WebP), never from the server's header, and anything else is dropped.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from mhc.clients.images import HostNotAllowed
from mhc.models import PLATFORM, Person, Thumbnail
from mhc.scraping.parsers.images import is_placeholder_image

PLACEHOLDER_BYTES = 5045  # the branded "offline" image; a little slack for re-encodings
PLACEHOLDER_SLACK = 64
MIN_BYTES = 512
MAX_BYTES = 1_000_000
MAGIC = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)


# (url) -> (HTTP status, body); raises OSError-like exceptions on network failure.
Fetch = Callable[[str], tuple[int, bytes]]


@dataclass
class ThumbnailRun:
    """What one round of downloads did."""

    stored: int = 0
    placeholders: int = 0
    rejected: int = 0
    failed: int = 0
    skipped_for_time: int = 0

    def as_counts(self) -> dict:
        return {f"thumbnails_{k}": v for k, v in asdict(self).items()}


def image_type(content: bytes) -> str | None:
    """The image type the bytes themselves say, or None when they are not an image we serve."""
    for magic, content_type in MAGIC:
        if content.startswith(magic):
            return content_type
    if content[:4] == b"RIFF" and content[8:12] == b"WEBP":
        return "image/webp"
    return None


def is_placeholder_content(content: bytes) -> bool:
    """The branded offline image is recognised by its size (docs/domain.md#placeholder-images)."""
    return abs(len(content) - PLACEHOLDER_BYTES) <= PLACEHOLDER_SLACK


def due(session: Session, usernames: Iterable[str], now: datetime, max_age: timedelta, limit: int) -> list:
    """(person id, image URL) of these persons whose thumbnail is missing or older than `max_age`, missing
    first then oldest, at most `limit`. Persons without a usable URL are left out."""
    names = sorted(set(usernames))
    if not names or limit <= 0:
        return []
    p, t = Person, Thumbnail
    out = []
    for i in range(0, len(names), 5000):  # bind-parameter limits
        stmt = (
            select(p.id, p.image_url, t.fetched_at)
            .outerjoin(t, t.person_id == p.id)
            .where(p.platform == PLATFORM, p.username.in_(names[i : i + 5000]), p.image_url.is_not(None))
            .where(or_(t.fetched_at.is_(None), t.fetched_at < now - max_age))
        )
        out += [row for row in session.execute(stmt) if not is_placeholder_image(row.image_url)]
    out.sort(key=lambda row: (row.fetched_at is not None, row.fetched_at or now))
    return [(row.id, row.image_url) for row in out[:limit]]


def download(
    session: Session, targets: list, fetch: Fetch, now: datetime, budget_seconds: float = 60.0
) -> ThumbnailRun:
    """Download each (person id, URL) and store the real images, in one transaction at the end. A
    placeholder, a non-image, an HTTP error or a network failure stores nothing for that person (an older
    real thumbnail stays). Stops starting new downloads after `budget_seconds`."""
    run, started = ThumbnailRun(), time.monotonic()
    for person_id, url in targets:
        if time.monotonic() - started > budget_seconds:
            run.skipped_for_time += 1
            continue
        try:
            status, content = fetch(url)
        except HostNotAllowed:
            run.rejected += 1
            continue
        except Exception:  # noqa: BLE001 - any network failure: this picture waits for the next cycle
            run.failed += 1
            continue
        if status != 200:
            run.failed += 1
        elif is_placeholder_content(content):
            run.placeholders += 1
        elif not (MIN_BYTES <= len(content) <= MAX_BYTES) or image_type(content) is None:
            run.rejected += 1
        else:
            store(session, person_id, url, content, now)
            run.stored += 1
    session.commit()
    return run


def store(session: Session, person_id, url: str, content: bytes, now: datetime) -> str:
    """Keep this image as the person's thumbnail (replacing an older one); returns its SHA-256."""
    digest = hashlib.sha256(content).hexdigest()
    thumb = session.get(Thumbnail, person_id) or Thumbnail(person_id=person_id)
    thumb.content, thumb.content_type, thumb.sha256 = content, image_type(content), digest
    thumb.source_url, thumb.fetched_at = url, now
    session.add(thumb)
    session.execute(update(Person).where(Person.id == person_id).values(thumbnail_sha256=digest))
    return digest


def get(session: Session, person_id) -> Thumbnail | None:
    """The stored thumbnail, for serving."""
    return session.get(Thumbnail, person_id)
