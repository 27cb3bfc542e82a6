"""HTTP clients of the rehearsal: each connects from its own loopback address, so the proxy sees a distinct peer.

Connecting to 127.0.0.2 does not make the connection come from 127.0.0.2: Linux picks 127.0.0.1 as the
source for the whole 127.0.0.0/8 route. A client therefore binds its source address before connecting, as
a machine with that address would; the proxy reads it as the real peer address.
"""

from __future__ import annotations

import re
from pathlib import Path

import requests
from requests.adapters import HTTPAdapter

CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
TIMEOUT = 30


class _FromAddress(HTTPAdapter):
    """Open every connection from one local address."""

    def __init__(self, source_ip: str):
        self.source_ip = source_ip
        super().__init__()

    def init_poolmanager(self, *args, **kwargs):
        kwargs["source_address"] = (self.source_ip, 0)
        super().init_poolmanager(*args, **kwargs)


class Client(requests.Session):
    """A requests session from `source_ip` to the proxy, verifying its certificate against the throwaway CA."""

    def __init__(self, base_url: str, source_ip: str, ca: Path):
        super().__init__()
        self.base_url, self.source_ip = base_url, source_ip
        self.verify = str(ca)
        self.mount("https://", _FromAddress(source_ip))

    def request(self, method, url, *args, **kwargs):
        """Paths are relative to the proxy; redirects are not followed unless asked."""
        kwargs.setdefault("timeout", TIMEOUT)
        kwargs.setdefault("verify", self.verify)  # else REQUESTS_CA_BUNDLE, when set, would replace it
        kwargs.setdefault("allow_redirects", False)
        url = self.base_url + url if url.startswith("/") else url
        if method.upper() == "POST":  # as a browser does; over HTTPS the CSRF check wants a same-site Referer
            kwargs["headers"] = {"Referer": url, **(kwargs.get("headers") or {})}
        return super().request(method, url, *args, **kwargs)

    def csrf(self, path: str) -> str:
        """The CSRF token of the form on `path`."""
        page = self.get(path)
        match = CSRF_RE.search(page.text)
        assert match, f"no csrf_token on {path} ({page.status_code})"
        return match.group(1)

    def log_in(self, login: str, password: str) -> requests.Response:
        """Submit the real login form once; returns the answer (302 on success, 200 or 429 otherwise)."""
        token = self.csrf("/login")
        return self.post("/login", data={"login": login, "password": password, "csrf_token": token})

    def copy(self) -> Client:
        """Another connection pool from the same address, carrying the same cookies."""
        other = Client(self.base_url, self.source_ip, Path(self.verify))
        other.cookies.update(self.cookies)
        return other
