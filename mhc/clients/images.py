"""Download one image over HTTP: status and at most `max_bytes` + 1 bytes, from allowed hosts only.

The URLs come from the Affiliate API feed (untrusted), so the host must end with one of the configured
suffixes (Chaturbate's image CDNs) and redirects are not followed: a feed cannot point the worker at an
address inside our network.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import requests

from mhc.clients.http import HttpSettings, make_session


class HostNotAllowed(ValueError):
    """The URL's host is not one of the image hosts we fetch from."""


def host_allowed(url: str, suffixes: tuple[str, ...]) -> bool:
    """True when the URL is http(s) and its host is a suffix or ends with one (".mmcdn.com")."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("http", "https") or not host:
        return False
    return any(host == s.lstrip(".") or (s.startswith(".") and host.endswith(s)) for s in suffixes)


def image_fetcher(suffixes: tuple[str, ...], timeout: float, max_bytes: int, http: requests.Session | None = None):
    """A fetch(url) -> (status, body) for services.thumbnails.download; `http` retries 5xx/429 (clients.http)."""
    http = http or make_session(HttpSettings())

    def fetch(url: str) -> tuple[int, bytes]:
        if not host_allowed(url, suffixes):
            raise HostNotAllowed(url)
        with http.get(url, timeout=timeout, stream=True, allow_redirects=False) as response:
            return response.status_code, response.raw.read(max_bytes + 1, decode_content=True)

    return fetch
