"""The browser's user agent names the launched Chromium's own version, as desktop Chrome does."""

from __future__ import annotations

import re

import pytest

from config import Config
from mhc.scraping.browser import BrowserSettings, browser_page, user_agent_for


def test_user_agent_is_built_from_the_version():
    agent = user_agent_for("156.0.8078.114")
    assert agent == (
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36"
    )
    with pytest.raises(ValueError, match="not a Chromium version"):
        user_agent_for("HeadlessChrome")


def test_pages_send_the_real_chromium_version(fake_cb):
    settings = BrowserSettings(chromium_path=Config.CHROMIUM_PATH, base_url=fake_cb.base_url)
    with browser_page(settings) as page:
        version = page.context.browser.version
        page.goto(f"{fake_cb.base_url}/ri/alpha_one.jpg")
        in_page = page.evaluate("navigator.userAgent")
    sent = [ua for _, path, ua in fake_cb.request_log if path == "/ri/alpha_one.jpg"]
    assert sent == [user_agent_for(version)]
    assert in_page == sent[0]
    assert "Headless" not in sent[0]
    assert re.search(r" Chrome/(\d+)\.0\.0\.0 ", sent[0]).group(1) == version.split(".")[0]
