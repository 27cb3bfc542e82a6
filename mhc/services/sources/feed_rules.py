"""What a value from a feed must be before it is stored: the one home of the rules both feeds apply.

Clients decode types (a count is an int, a name is a string); these rules decide whether the value may
be stored. Text is normalised (NUL removed, lone surrogates replaced, cut to a length); a username, a
count or a nesting depth that breaks a rule raises Rejected, and the caller quarantines that one item
(see docs/reliability.md, "Feeds: poison never stops a feed").
"""

from __future__ import annotations

import json
import math
import re

from mhc.models import normalise_username

INT32_MAX = 2**31 - 1  # the range of the Integer columns counts and tokens are stored in
MAX_TEXT = 4096  # free text (chat, subjects, locations, URLs) longer than this is cut
MAX_RAW_CHARS = 65536  # an item whose JSON is longer than this is not stored, only quarantined (cut)
MAX_DEPTH = 32  # real events and rooms nest 3 levels; deeper is not a feed item
_NUL = re.compile("\x00")
_SURROGATE = re.compile("[\ud800-\udfff]")  # a lone half of a UTF-16 pair: no database can encode it


class Rejected(ValueError):
    """One item breaks a storage rule; `rule` names it (a short code), `reason` says it in words."""

    def __init__(self, rule: str, reason: str):
        super().__init__(reason)
        self.rule, self.reason = rule, reason


def short(value, limit: int = 60) -> str:
    """repr() of a value for a message, cut so a 10 KB poison value does not make a 10 KB message."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit]}… ({len(text)} characters)"


def clean_text(value: str | None, limit: int | None = MAX_TEXT) -> str | None:
    """The text without NUL characters and lone surrogates, cut to `limit` characters (None: not cut)."""
    if value is None:
        return None
    return _SURROGATE.sub("\ufffd", _NUL.sub("", value))[:limit]


def fits(value: str | None, limit: int, field: str) -> str | None:
    """A coded value (country, gender, …) cleaned; Rejected when it is longer than its column."""
    text = clean_text(value, limit=None)
    if text is not None and len(text) > limit:
        raise Rejected(field, f"{field} is {len(text)} characters long (at most {limit}): {short(text)}")
    return text


def username(value, field: str) -> str:
    """The platform username (the rule of normalise_username); Rejected naming the field otherwise."""
    try:
        if not isinstance(value, str):
            raise ValueError(value)
        return normalise_username(value)
    except ValueError:
        raise Rejected("username", f"{field} is not a username: {short(value)}") from None


def count(value: int | None, field: str, upper: int = INT32_MAX) -> int | None:
    """A count or token amount: None stays None; otherwise 0..upper, else Rejected."""
    if value is None:
        return None
    if not 0 <= value <= upper:
        raise Rejected(field, f"{field} is {short(value)}, outside 0..{upper}")
    return value


def clean_json(value, depth: int = 0):
    """A copy of decoded JSON with every string (keys too) cleaned and NaN/Infinity as null.

    Stored as JSONB on PostgreSQL, which refuses NUL and non-finite numbers. Rejected when nested
    deeper than MAX_DEPTH."""
    if depth > MAX_DEPTH:
        raise Rejected("too_deep", f"nested more than {MAX_DEPTH} levels deep")
    if isinstance(value, str):
        return clean_text(value, limit=None)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, list):
        return [clean_json(v, depth + 1) for v in value]
    if isinstance(value, dict):
        return {clean_text(str(k), limit=None): clean_json(v, depth + 1) for k, v in value.items()}
    return value


def raw_text(value) -> str:
    """The item as JSON text with every non-ASCII and control character escaped (NUL becomes \\u0000)."""
    try:
        return json.dumps(value, ensure_ascii=True, default=repr)
    except (ValueError, RecursionError):
        return json.dumps(repr(value)[:MAX_RAW_CHARS])


def check_size(text: str) -> None:
    """Rejected when the item's JSON text is larger than MAX_RAW_CHARS."""
    if len(text) > MAX_RAW_CHARS:
        raise Rejected("too_large", f"{len(text)} characters of JSON (at most {MAX_RAW_CHARS})")
