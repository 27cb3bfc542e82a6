"""Which image URLs are a person's photo: the one rule, pure, for parsers and services alike.

It lives beside the parsers because they import nothing from the app, and every other layer may import a
parser module; what the placeholder thumbnails look like is in docs/domain.md#placeholder-images."""

from __future__ import annotations

# Chaturbate's branded "offline" and generic images carry one of these in their URL.
PLACEHOLDER_MARKERS = ("no_image", "noimage", "placeholder", "default_avatar")


def is_placeholder_image(url: str | None) -> bool:
    """True unless `url` can be a person's photo: missing or empty, not http(s), or a branded placeholder."""
    if not url:
        return True
    lowered = url.lower()
    if not lowered.startswith(("http://", "https://")):
        return True
    return any(marker in lowered for marker in PLACEHOLDER_MARKERS)
