"""Server-side secrets: Chaturbate session cookies, Events API token and cursor, encrypted at rest.

Every value goes through `put` (encrypted under the first key of MHC_SECRETS_KEY) and `get` (decrypted);
no other code reads or writes the `stored_secrets` value column. A value no configured key opens raises
crypto.SecretsUndecryptable with one line for the operator."""

from __future__ import annotations

import json
import re
from collections import Counter

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from mhc.logs import remember_secret
from mhc.models import StoredSecret, utcnow
from mhc.services import audit, crypto
from mhc.services.crypto import SecretsUndecryptable

__all__ = ["SecretsUndecryptable"]  # re-exported: callers catch it from here

COOKIES = "chaturbate_cookies"
EVENTS_TOKEN = "events_api_token"  # noqa: S105 (a key name, not a secret)
EVENTS_NEXT_URL = "events_api_next_url"


class CookieFormatError(ValueError):
    """Pasted cookies are in neither accepted form, or break the cookie rules (see validate_cookies)."""


# Cookie rules (RFC 6265): a name is a token (visible ASCII except separators); a value is visible ASCII
# except space, '"', ',', ';' and '\', optionally wrapped in double quotes. Browsers keep at most about
# 4 KB per cookie, so a larger paste is not a copy of real cookies.
COOKIE_NAME_RE = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
COOKIE_OCTETS = r"[\x21\x23-\x2B\x2D-\x3A\x3C-\x5B\x5D-\x7E]*"
COOKIE_VALUE_RE = re.compile(rf'^(?:{COOKIE_OCTETS}|"{COOKIE_OCTETS}")$')
MAX_COOKIE_BYTES = 4096  # name + value of one cookie
MAX_COOKIES = 100
MAX_COOKIE_INPUT = 256 * 1024  # the whole paste (a browser extension's JSON export carries extra fields)
REQUIRED_COOKIES = ("sessionid",)  # the login itself; csrftoken is usually there but not needed to read pages
SAME_SITE = {"lax": "Lax", "strict": "Strict", "none": "None", "no_restriction": "None", "unspecified": "Lax"}


def parse_cookies(raw: str) -> list[dict]:
    """Accept a JSON array of cookie objects or a `Cookie:` header (`a=1; b=2`); return valid cookie dicts."""
    if len(raw or "") > MAX_COOKIE_INPUT:
        raise CookieFormatError(f"the pasted text is {len(raw):,} characters; real cookies fit in {MAX_COOKIE_INPUT:,}")
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
        except RecursionError:
            raise CookieFormatError("not a list of cookie objects (nested too deeply)") from None
        if not isinstance(items, list):
            raise CookieFormatError("not a list of cookie objects")
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
    return validate_cookies(cookies)


def validate_cookies(cookies: list[dict]) -> list[dict]:
    """Check every cookie against the cookie rules and the panel's limits; raise CookieFormatError naming
    the first problem (by position and name only: values are never repeated)."""
    if len(cookies) > MAX_COOKIES:
        raise CookieFormatError(f"{len(cookies)} cookies; at most {MAX_COOKIES} are accepted")
    for number, c in enumerate(cookies, start=1):
        _check_cookie(number, c)
    names = {c["name"] for c in cookies}
    missing = [name for name in REQUIRED_COOKIES if name not in names]
    if missing:
        raise CookieFormatError(f"the {', '.join(missing)} cookie is missing (it is the login itself)")
    return cookies


def _check_cookie(number: int, c: dict) -> None:
    name, value = c.get("name"), c.get("value")
    if not isinstance(name, str) or len(name) > 256 or not COOKIE_NAME_RE.match(name):
        raise CookieFormatError(f"cookie {number} has a name that is not a cookie name")
    if not isinstance(value, str) or not COOKIE_VALUE_RE.match(value):
        raise CookieFormatError(f"cookie {name!r} has a value with characters a cookie cannot hold")
    if len(name) + len(value) > MAX_COOKIE_BYTES:
        raise CookieFormatError(f"cookie {name!r} is longer than {MAX_COOKIE_BYTES} bytes")
    domain, path = c.get("domain"), c.get("path")
    if not isinstance(domain, str) or not re.fullmatch(r"\.?[a-z0-9.-]{1,253}", domain.lower()):
        raise CookieFormatError(f"cookie {name!r} has a domain that is not a host name")
    if not isinstance(path, str) or not path.startswith("/") or len(path) > 1024 or not COOKIE_VALUE_RE.match(path):
        raise CookieFormatError(f"cookie {name!r} has a path that is not a URL path")
    if not isinstance(c.get("secure"), bool) or not isinstance(c.get("httpOnly"), bool):
        raise CookieFormatError(f"cookie {name!r}: secure and httpOnly must be true or false")
    same_site = SAME_SITE.get(str(c.get("sameSite")).lower())
    if same_site is None:
        raise CookieFormatError(f"cookie {name!r} has a sameSite that is not Lax, Strict or None")
    c["sameSite"] = same_site


def put(session: Session, name: str, value: str) -> None:
    """Encrypt and store or replace a secret (the caller commits)."""
    row = session.get(StoredSecret, name)
    if row is None:
        session.add(StoredSecret(name=name, value=crypto.encrypt(value), updated_at=utcnow()))
    else:
        row.value, row.updated_at = crypto.encrypt(value), utcnow()


def get(session: Session, name: str) -> str | None:
    """The stored value decrypted, or None; SecretsUndecryptable when no configured key opens it."""
    row = session.get(StoredSecret, name)
    value = crypto.reveal(row.value) if row else None
    remember_secret(value)  # from now on this process masks it in every log line
    return value


def delete(session: Session, name: str) -> None:
    """Forget a secret (the caller commits)."""
    row = session.get(StoredSecret, name)
    if row is not None:
        session.delete(row)


def store_cookies(session: Session, raw: str, *, actor_id=None) -> int:
    """Parse and store the owner's Chaturbate cookies, audited by count only; commit; return how many."""
    cookies = parse_cookies(raw)
    put(session, COOKIES, json.dumps(cookies))
    changes = {"count": [None, len(cookies)]}
    audit.record(
        session, action="secret_set", object_type="stored_secret", object_id=COOKIES, actor_id=actor_id, changes=changes
    )
    session.commit()
    return len(cookies)


def load_cookies(session: Session) -> list[dict]:
    """The stored cookies (empty when none were imported)."""
    raw = get(session, COOKIES)
    cookies = json.loads(raw) if raw else []
    for cookie in cookies:
        remember_secret(cookie.get("value"))
    return cookies


def describe(session: Session, name: str) -> str:
    """A safe description of a secret for the panel: never its value; says so when it cannot be decrypted."""
    row = session.get(StoredSecret, name)
    if row is None:
        return "not set"
    when = f"set {row.updated_at:%Y-%m-%d %H:%M} UTC"
    try:
        crypto.reveal(row.value)
    except SecretsUndecryptable as exc:
        return f"{when}, but {exc}"
    return when


def rotate(session: Session) -> int:
    """Re-encrypt every stored secret (legacy plain rows too) under the first key; commit; return the count.

    updated_at is kept: it tells when the owner pasted the value, not when it was re-encrypted."""
    rows = session.execute(select(StoredSecret.name, StoredSecret.value).order_by(StoredSecret.name)).all()
    rotated = {name: crypto.rotate(value) for name, value in rows}  # all or nothing: one bad row stops the rest
    for name, value in rotated.items():
        session.execute(
            update(StoredSecret)
            .where(StoredSecret.name == name)
            .values(value=value, updated_at=StoredSecret.updated_at)  # named, so onupdate does not bump it
            .execution_options(synchronize_session=False)
        )
    session.commit()
    return len(rotated)


def key_status(session: Session) -> dict[str, int]:
    """How many stored secrets each key opens ("key 1" = first), "plain" and "undecryptable"; no values."""
    counts: Counter = Counter()
    for value in session.scalars(select(StoredSecret.value)):
        if not crypto.is_encrypted(value):
            counts["plain"] += 1
            continue
        index = crypto.key_index(value)
        counts["undecryptable" if index is None else f"key {index + 1}"] += 1
    return dict(counts)
