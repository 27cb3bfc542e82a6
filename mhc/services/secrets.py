"""Server-side secrets: Chaturbate session cookies, Events API token and cursor."""

from __future__ import annotations

import json

from sqlalchemy.orm import Session

from mhc.models import StoredSecret, utcnow

COOKIES = "chaturbate_cookies"
EVENTS_TOKEN = "events_api_token"  # noqa: S105 (a key name, not a secret)
EVENTS_NEXT_URL = "events_api_next_url"


class CookieFormatError(ValueError):
    """Pasted cookies are in neither accepted form."""


def parse_cookies(raw: str) -> list[dict]:
    """Accept a JSON array of cookie objects or a `Cookie:` header (`a=1; b=2`); return cookie dicts."""
    text = (raw or "").strip()
    if text.lower().startswith("cookie:"):
        text = text[len("cookie:") :].strip()
    if not text:
        raise CookieFormatError("no cookies given")
    if text.startswith("["):
        try:
            items = json.loads(text)
        except json.JSONDecodeError as exc:
            raise CookieFormatError(f"not valid JSON: {exc.msg}") from None
        cookies = [
            {k: c[k] for k in ("name", "value", "domain", "path", "secure", "httpOnly", "sameSite") if k in c}
            for c in items
            if isinstance(c, dict) and c.get("name") and "value" in c
        ]
    else:
        cookies = []
        for part in text.split(";"):
            name, sep, value = part.strip().partition("=")
            if sep and name:
                cookies.append({"name": name.strip(), "value": value.strip()})
    if not cookies:
        raise CookieFormatError("no cookies found")
    for c in cookies:
        c.setdefault("domain", ".chaturbate.com")
        c.setdefault("path", "/")
        c.setdefault("secure", True)
        c.setdefault("httpOnly", c["name"] == "sessionid")
        c.setdefault("sameSite", "Lax")
    return cookies


def put(session: Session, name: str, value: str) -> None:
    """Store or replace a secret (the caller commits)."""
    row = session.get(StoredSecret, name)
    if row is None:
        session.add(StoredSecret(name=name, value=value, updated_at=utcnow()))
    else:
        row.value, row.updated_at = value, utcnow()


def get(session: Session, name: str) -> str | None:
    """The stored value, or None."""
    row = session.get(StoredSecret, name)
    return row.value if row else None


def delete(session: Session, name: str) -> None:
    """Forget a secret (the caller commits)."""
    row = session.get(StoredSecret, name)
    if row is not None:
        session.delete(row)


def store_cookies(session: Session, raw: str) -> int:
    """Parse and store the owner's Chaturbate cookies; commit; return how many were stored."""
    cookies = parse_cookies(raw)
    put(session, COOKIES, json.dumps(cookies))
    session.commit()
    return len(cookies)


def load_cookies(session: Session) -> list[dict]:
    """The stored cookies (empty when none were imported)."""
    raw = get(session, COOKIES)
    return json.loads(raw) if raw else []


def describe(session: Session, name: str) -> str:
    """A safe description of a secret for the panel: never its value."""
    row = session.get(StoredSecret, name)
    return f"set {row.updated_at:%Y-%m-%d %H:%M} UTC" if row else "not set"
