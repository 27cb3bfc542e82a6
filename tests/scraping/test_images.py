"""The one placeholder-image rule: what is never shown or stored as a person's photo."""

from __future__ import annotations

import pytest

from mhc.scraping.parsers.images import is_placeholder_image


@pytest.mark.parametrize(
    "url, placeholder",
    [
        (None, True),
        ("", True),
        ("https://roomimg.stream.highwebmedia.com/ri/no_image.jpg", True),
        ("https://thumb.live.mmcdn.com/noimage.png", True),
        ("https://x.test/static/placeholder.jpg", True),
        ("https://x.test/Default_Avatar.png", True),
        ("/ri/someone.jpg", True),  # relative: not a URL we can show or fetch
        ("javascript:alert(1)", True),
        ("ftp://x.test/someone.jpg", True),
        ("https://thumb.live.mmcdn.com/ri/someone.jpg", False),
        ("HTTP://thumb.live.mmcdn.com/ri/someone.jpg", False),
    ],
)
def test_is_placeholder_image(url, placeholder):
    assert is_placeholder_image(url) is placeholder
