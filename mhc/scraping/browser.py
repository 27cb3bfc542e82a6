"""Launch Debian Chromium through Playwright with the owner's cookies (never logged)."""

from __future__ import annotations

import contextlib
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass

CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
# The user agent a desktop Chrome of the launched browser's major version sends. Headless Chromium would say
# "HeadlessChrome"; a hard-coded version would go stale with each Chromium upgrade (docs/production.md,
# "Outbound HTTP"). Chrome itself reports only its major version ("reduced" user agent): so do we.
USER_AGENT_TEMPLATE = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{} Safari/537.36"


def user_agent_for(browser_version: str) -> str:
    """The desktop Chrome user agent for a browser version such as "131.0.6778.85"."""
    major = browser_version.strip().split(".")[0]
    if not major.isdigit():
        raise ValueError(f"not a Chromium version: {browser_version!r}")
    return USER_AGENT_TEMPLATE.format(f"{major}.0.0.0")


@dataclass(frozen=True)
class BrowserSettings:
    """What a browser session needs, taken from app config by the caller."""

    chromium_path: str
    base_url: str
    nav_timeout_ms: int = 30000
    page_delay: tuple[float, float] = (3.0, 5.0)


def pause(delay: tuple[float, float]) -> None:
    """Sleep a random time within the range (pacing between page loads)."""
    low, high = delay
    if high > 0:
        time.sleep(random.uniform(low, high))


@contextlib.contextmanager
def browser_page(settings: BrowserSettings, cookies: list[dict] | None = None) -> Iterator:
    """Yield a Playwright page in a fresh headless Chromium context, closed afterwards."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=settings.chromium_path, headless=True, args=CHROMIUM_FLAGS)
        try:
            context = browser.new_context(
                user_agent=user_agent_for(browser.version), viewport={"width": 1366, "height": 900}
            )
            if cookies:
                context.add_cookies(_cookies_for(settings.base_url, cookies))
            page = context.new_page()
            page.set_default_navigation_timeout(settings.nav_timeout_ms)
            page.set_default_timeout(settings.nav_timeout_ms)
            yield page
        finally:
            browser.close()


def _cookies_for(base_url: str, cookies: list[dict]) -> list[dict]:
    """Point imported chaturbate.com cookies at the configured base URL (the fake server in tests)."""
    from urllib.parse import urlsplit

    parts = urlsplit(base_url)
    real_site = parts.hostname and parts.hostname.endswith("chaturbate.com")
    out = []
    for c in cookies:
        item = {"name": c["name"], "value": c["value"]}
        if real_site:
            item["domain"] = c.get("domain") or ".chaturbate.com"
            item["path"] = c.get("path", "/")
            item["secure"] = bool(c.get("secure", True))
        else:  # Playwright takes either url or domain+path, not both
            item["url"] = f"{parts.scheme}://{parts.netloc}/"
        item["httpOnly"] = bool(c.get("httpOnly", c["name"] == "sessionid"))
        item["sameSite"] = c.get("sameSite", "Lax") if c.get("sameSite") in ("Lax", "Strict", "None") else "Lax"
        out.append(item)
    return out
