"""Cells of the Users lists, and their CSV values. Every scraped string goes through markupsafe.escape.

List formatters read URL prefixes from the page's `users` context (built once per page, not per row);
row_cells renders a whole row in one call (f-strings, no per-cell template blocks: the list's weight and
render time are mostly its rows).
"""

from __future__ import annotations

from datetime import UTC

from flask import url_for
from markupsafe import Markup, escape

from mhc.models import Person
from mhc.services.users.exclusion import EXCLUDED_MEANING
from mhc.services.users.priority_states import PriorityState, priority_state
from mhc.services.users.timeline import days_followed

NONE = "—"  # an empty fan-value cell
ISO_SECONDS = "%Y-%m-%dT%H:%M:%SZ"
EXCLUDED_TITLE = escape(EXCLUDED_MEANING)


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


def priority_markup(person_id: str, state: PriorityState) -> Markup:
    """The Priority cell: P1/P2 badge and a short label (the full sentence in its title)."""
    blocked = " status-blocked" if state.blocked else ""
    return Markup(  # noqa: S704 (texts escaped; the rest are our constants, numbers and a UUID)
        f'<span class="priority-cell" data-person-id="{person_id}" data-status="{state.status}" '
        f'title="{escape(state.title)}"><span class="badge badge-p{state.level}">P{state.level}</span> '
        f'<span class="lookup-status status-{state.status}{blocked}">{escape(state.label)}</span></span>'
    )


def _page(context) -> dict:
    return context.get("users") or {}


def _username(view, context, person, name):
    prefix = _page(context).get("profile_prefix") or url_for("profile.index")
    name = escape(person.username)
    out = f'<a class="username" href="{prefix}{name}">{name}</a>'
    if person.is_excluded:
        out += f' <span class="badge badge-secondary" title="{EXCLUDED_TITLE}">excluded</span>'
    return Markup(out)  # noqa: S704 (built from escaped text)


def _image(view, context, person, name):
    url = thumbnail_url(person, _page(context).get("thumb_prefix"))
    if url is None:
        return ""  # users.css draws the grey "no photo yet" box in an empty image cell
    return Markup(f'<img class="thumb" loading="lazy" src="{escape(url)}" alt="">')  # noqa: S704 (escaped)


def _role(view, context, person, name):
    return person.role.title()


def _tags(view, context, person, name):
    """Tags as one wrapping line of chips (at most 8)."""
    tags = _tag_list(person)[:8]
    if not tags:
        return ""
    return Markup('<ul class="tags">' + "".join(f"<li>{escape(t)}</li>" for t in tags) + "</ul>")  # noqa: S704 (escaped)


def _tag_list(person: Person) -> list:
    tags = person.profile.tags if person.profile else None
    return tags if isinstance(tags, list) else []


def _lookup(person: Person):
    lookups = person.priority_lookup or []
    return lookups[0] if lookups else None


def _priority(view, context, person, name):
    lookup = _lookup(person)
    if lookup is None:
        return ""
    off = _page(context).get("schedules_off", {})
    state = priority_state(lookup.priority, lookup.status, lookup.failure_reason, off)
    return priority_markup(str(person.id), state)


def _number(view, context, person, name):
    value = getattr(person, name)
    return "" if value is None else f"{value:,}"


def _tokens(view, context, person, name):
    """A fan-value count: thousands separators, "—" when nothing (docs/domain.md#fan-value)."""
    return f"{getattr(person, name):,}" if getattr(person, name) else NONE


def _day(view, context, person, name):
    """A fan-value time as its day (the exact time in the title), "—" when none."""
    return day_tag(getattr(person, name))


def day_tag(value) -> Markup | str:
    """A UTC timestamp shown as its day ("2026-11-25"); static/users.js shows the browser's local day and puts
    the exact UTC time in the title."""
    if value is None:
        return NONE
    value = value.astimezone(UTC)
    return Markup(f'<time datetime="{value.strftime(ISO_SECONDS)}">{value.strftime("%Y-%m-%d")}</time>')  # noqa: S704


def minute_tag(value) -> Markup | str:
    """A UTC timestamp to the minute ("2026-11-25 19:06"), one line, in a <time> whose text is the UTC value
    (no datetime attribute: 50 rows of it are 2 KB); static/users.js shows it in the browser's local time with
    the UTC time in the title."""
    if value is None:
        return ""
    return Markup(f"<time>{value.astimezone(UTC).strftime('%Y-%m-%d %H:%M')}</time>")  # noqa: S704 (digits only)


def _last_seen(view, context, person, name):
    return minute_tag(person.last_seen_at)


def _profile_date(view, context, person, name):
    return minute_tag(getattr(person.profile, name) if person.profile else None)


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


def row_cells(view, page: dict, person: Person, columns) -> Markup:
    """One list row's cells: the selection box, a cell per (column, label) of `columns` (the page's list_columns)
    and the actions cell (the Profile link; users.js adds the row menu's button). Cells carry no classes:
    users.js copies each column's class and label from its header (a 50-row page stays light)."""
    context = {"users": page}
    out = []
    if page.get("has_actions"):
        out.append(f'<td><input type="checkbox" class="action-checkbox" value="{person.id}"></td>')
    for column, _label in columns:
        formatter = view.column_formatters.get(column)  # the view's own (Unfollowed adds Periods)
        value = formatter(view, context, person, column) if formatter else getattr(person, column, None)
        out.append(f"<td>{'' if value is None else escape(value)}</td>")
    href = f"{page['profile_prefix']}{escape(person.username)}"
    out.append(f'<td class="col-actions"><a href="{href}">Profile</a></td>')
    return Markup("".join(out))  # noqa: S704 (every value went through escape() or is Markup already)


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
