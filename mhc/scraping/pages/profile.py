"""Page object for a profile / room page: navigate to `/<username>/`, wait for it, return its HTML.

Locators live here only; what the HTML means is the parser's business (parsers/profile.py)."""

from __future__ import annotations

from dataclasses import dataclass

from mhc.scraping.parsers.profile import SEL_BIO

CHALLENGE_TITLE = "just a moment"  # Cloudflare's interstitial
READY_SELECTOR = SEL_BIO  # rendered by the page's scripts; absent on a half-loaded page
NETWORK_IDLE_MS = 5000  # live rooms stream video and never go fully idle: bounded wait


class ProfileFetchError(RuntimeError):
    """The page could not be loaded as a profile (navigation error, challenge, never rendered)."""


@dataclass
class ProfilePage:
    """Navigates one Playwright page to profiles on `base_url`."""

    page: object
    base_url: str
    challenge_wait_s: float = 15.0
    render_timeout_ms: int = 15000

    def url_for(self, username: str) -> str:
        """The profile URL of a username."""
        return f"{self.base_url.rstrip('/')}/{username}/"

    def fetch(self, username: str) -> str:
        """Open the profile, survive one Cloudflare challenge, wait until rendered; return the HTML."""
        url = self.url_for(username)
        response = self.page.goto(url, wait_until="load")
        if self._challenged():
            self.page.wait_for_timeout(self.challenge_wait_s * 1000)
            if self._challenged():
                raise ProfileFetchError(f"Cloudflare challenge (Just a moment) did not clear for {url}")
        elif response is not None and response.status >= 400:
            return self.page.content()  # e.g. 404 for an unknown user: nothing will render; the parser says why
        self._settle()
        return self.page.content()

    def _challenged(self) -> bool:
        return CHALLENGE_TITLE in (self.page.title() or "").lower()

    def _settle(self) -> None:
        from playwright.sync_api import TimeoutError as PlaywrightTimeout

        try:
            self.page.wait_for_load_state("networkidle", timeout=NETWORK_IDLE_MS)
        except PlaywrightTimeout:
            pass  # expected on live rooms; the ready selector below is what counts
        try:
            self.page.wait_for_selector(READY_SELECTOR, state="attached", timeout=self.render_timeout_ms)
        except PlaywrightTimeout:
            # A 404, a login redirect or another site page has no bio: the parser says which.
            pass
