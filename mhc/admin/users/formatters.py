"""Cells of the Users lists, and their CSV values. Every scraped string is escaped by Markup.format.

List formatters read URL prefixes from the page's `users` context (built once per page, not per row).
"""

from __future__ import annotations

from datetime import UTC

from flask import url_for
from markupsafe import Markup

from mhc.admin.base import time_tag
from mhc.models import Person
from mhc.services.users.exclusion import EXCLUDED_MEANING
from mhc.services.users.timeline import days_followed

NONE = "—"  # an empty fan-value cell
STATUS_LABELS = {"queued": "Queued", "processing": "Processing", "complete": "Complete", "failed": "Failed"}


def thumbnail_url(person: Person, prefix: str | None = None) -> str | None:
    """The panel's own copy of the room thumbnail (the digest in the URL lets browsers cache it for good),
    or None: the CDN's URL is never shown, since offline it serves a branded placeholder (docs/domain.md,
    "Placeholder images")."""
    if not person.thumbnail_sha256:
        return None
    prefix = prefix or thumbnail_prefix()
    return f"{prefix}{person.id}?v={person.thumbnail_sha256[:16]}"


def thumbnail_prefix() -> str:
    """The URL every stored thumbnail's path starts with (the person id follows)."""
    return url_for("users_directory.index_view") + "thumb/"


def priority_markup(person_id: str, level: int, status: str, reason: str | None) -> Markup:
    """The Priority cell: P1/P2 badge and lookup status (failed shows its reason)."""
    label = STATUS_LABELS.get(status, status)
    reason_html = Markup(' <span class="lookup-reason small text-muted">{}</span>').format(reason) if reason else ""
    return Markup(
        '<span class="priority-cell" data-person-id="{}" data-status="{}">'
        '<span class="badge badge-p{}">P{}</span> <span class="lookup-status status-{}">{}</span>{}</span>'
    ).format(person_id, status, level, level, status, label, reason_html)


def _page(context) -> dict:
    return context.get("users") or {}


def _username(view, context, person, name):
    prefix = _page(context).get("profile_prefix") or url_for("profile.index")
    out = Markup('<a href="{}{}" class="username">{}</a>').format(prefix, person.username, person.username)
    if person.is_excluded:
        out += Markup(' <span class="badge badge-secondary" title="{}">excluded</span>').format(EXCLUDED_MEANING)
    return out


def _image(view, context, person, name):
    url = thumbnail_url(person, _page(context).get("thumb_prefix"))
    if url is None:
        return Markup('<span class="thumb thumb-empty" title="No photo taken yet"></span>')
    return Markup('<img class="thumb" loading="lazy" decoding="async" src="{}" alt="">').format(url)


def _role(view, context, person, name):
    return Markup('<span class="role role-{}">{}</span>').format(person.role.lower(), person.role.title())


def _tags(view, context, person, name):
    tags = _tag_list(person)
    return Markup(" ").join(Markup('<span class="badge badge-light tag">{}</span>').format(t) for t in tags[:8])


def _tag_list(person: Person) -> list:
    tags = person.profile.tags if person.profile else None
    return tags if isinstance(tags, list) else []


def _lookup(person: Person):
    lookups = person.priority_lookup or []
    return lookups[0] if lookups else None


def _priority(view, context, person, name):
    lookup = _lookup(person)
    if lookup is None:
        return Markup('<span class="priority-cell" data-person-id="{}"></span>').format(person.id)
    return priority_markup(str(person.id), lookup.priority, lookup.status, lookup.failure_reason)


def _number(view, context, person, name):
    value = getattr(person, name)
    return "" if value is None else f"{value:,}"


def _tokens(view, context, person, name):
    """A fan-value count: thousands separators, "—" when nothing (docs/domain.md#fan-value)."""
    return f"{getattr(person, name):,}" if getattr(person, name) else NONE


def _day(view, context, person, name):
    """A fan-value time as its UTC day (the exact time in the title), "—" when none."""
    return day_tag(getattr(person, name))


def day_tag(value) -> Markup | str:
    """A UTC timestamp shown as its day ("2026-11-25"), the minute in the title and the ISO value in <time>."""
    if value is None:
        return NONE
    value = value.astimezone(UTC)
    return Markup('<time datetime="{}" title="{} UTC">{}</time>').format(
        value.isoformat(), value.strftime("%Y-%m-%d %H:%M"), value.strftime("%Y-%m-%d")
    )


def _last_seen(view, context, person, name):
    return time_tag(person.last_seen_at)


def _profile_date(view, context, person, name):
    return time_tag(getattr(person.profile, name) if person.profile else None)


def _days_followed(view, context, person, name):
    days = days_followed(person.profile)
    return "" if days is None else str(days)


LIST_FORMATTERS = {
    "username": _username,
    "image": _image,
    "role": _role,
    "tags": _tags,
    "priority": _priority,
    "num_followers": _number,
    "rank": _number,
    "interactions_count": _number,
    "snapshots_count": _number,
    "last_seen_at": _last_seen,
    "tipped_tokens": _tokens,
    "tips_count": _tokens,
    "last_tip_at": _day,
    "first_seen_in_room_at": _day,
    "following_since": _profile_date,
    "follower_since": _profile_date,
    "unfollower_at": _profile_date,
    "days_followed": _days_followed,
}


def export_value(view, context, person, name):
    """A column's plain value for the CSV export (ISO timestamps, no markup)."""
    profile = person.profile
    if name == "image":
        value = person.image_url
    elif name == "tags":
        value = ", ".join(_tag_list(person))
    elif name == "priority":
        lookup = _lookup(person)
        value = f"P{lookup.priority} {lookup.status}" if lookup else None
    elif name in ("following_since", "follower_since", "unfollower_at"):
        value = getattr(profile, name) if profile else None
    elif name == "days_followed":
        value = days_followed(profile)
    else:
        value = getattr(person, name)
    return "" if value is None else (value.isoformat() if hasattr(value, "isoformat") else value)
