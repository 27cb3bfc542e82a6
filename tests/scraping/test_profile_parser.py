"""The profile page parser on the two captured pages (exact values) and on crafted edge cases."""

from __future__ import annotations

from pathlib import Path

import pytest

from mhc.scraping.parsers.profile import CLI_KEYS, parse_profile_page

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "chaturbate"
OWNER = "hudson_cage"  # the account that captured both pages


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def online_html() -> str:
    return fixture("cb-followed-online.html")


@pytest.fixture(scope="module")
def offline_html() -> str:
    return fixture("cb-not-followed-offline.html")


GHOSTDADDY9 = {
    "username": "ghostdaddy9",
    "display_name": "Big Boy",
    "age": 27,
    "birth_date": "1998-05-28",
    "gender": "m",
    "location": "Tartarus",
    "languages": ["English"],
    "bio": (
        "6'4'', laidback country boy with a love for art, cars and new experiences. I’m easygoing, open-minded, "
        "and enjoy connecting with people from all walks of life. Please be respectful and do not demand without "
        "tips. please like, share and come hang out and have a good time :) I'm always learning, always growing. "
        "Subscribe to join me when I get online! join for more goodies ;) ----v\n"
        "https://onlyfans.com/ghostdaddy9_9"
    ),
    "tags": ["findom", "hung", "tall", "stud", "muscle"],
    "followers": 17222,
    "online": True,
    "following": True,
    "logged_in_as": "hudson_cage",
    "has_fan_club": True,
    "photo_sets": [{"id": 22778744, "title": "Just me!! :D", "kind": "photos", "locked": False, "price_tokens": None}],
    "social_links": [
        {"platform": "OnlyFans", "url": "https://onlyfans.com/ghostdaddy9_9", "price_tokens": None},
        {"platform": "Instagram", "url": None, "price_tokens": 1000},
        {"platform": "Snapchat", "url": None, "price_tokens": 1000},
    ],
}

XLFCFDQVLZIB = {
    "username": "xlfcfdqvlzib",
    "display_name": None,
    "age": None,
    "birth_date": None,
    "gender": "m",
    "location": "North Carolina, United States",
    "languages": [],
    "bio": None,
    "tags": [],
    "followers": 29,
    "online": False,
    "following": False,
    "logged_in_as": "hudson_cage",
    "has_fan_club": False,
    "photo_sets": [],
    "social_links": [],
}


def test_followed_online_page_exact(online_html):
    result = parse_profile_page(online_html, "ghostdaddy9", owner=OWNER)
    assert result.ok is True and result.reason is None
    assert result.cli_dict() == GHOSTDADDY9
    assert list(result.cli_dict()) == list(CLI_KEYS)
    assert result.gender_raw == "A Man"
    assert result.age_flagged is False
    assert result.interested_in == ["Women", "Men", "Couples", "Trans"]
    assert (result.body_type, result.smoke_drink, result.body_decorations) == (
        "muscular/ athletic",
        "Either",
        "Just a big ole dick",
    )
    assert result.wish_list_url == "https://a.co/cOm1lli"
    assert result.room_subject == (
        "Public Big Dick Cum show // #findom #hung #tall #stud #muscle #american #new [3321 tokens remaining]"
    )
    assert result.image_url == "https://thumb.live.mmcdn.com/ri/ghostdaddy9.jpg"


def test_not_followed_offline_page_exact(offline_html):
    result = parse_profile_page(offline_html, "xlfcfdqvlzib", owner=OWNER)
    assert result.ok is True
    assert result.cli_dict() == XLFCFDQVLZIB
    assert result.gender_raw == "A Man"
    assert result.room_subject == "Xlfcfdqvlzib's room"
    assert result.image_url is None  # og:image is the site logo, not the room's thumbnail
    # This page's dossier is its own broadcaster's, so it is trusted.
    assert result.dossier_trusted is True
    assert result.room_status == "offline"


def test_stale_dossier_of_another_broadcaster_is_ignored(online_html):
    """The online page embeds nuotatore90's dossier (age 99, following false) and noscript block."""
    assert "nuotatore90" in online_html
    result = parse_profile_page(online_html, "ghostdaddy9", owner=OWNER)
    assert result.dossier_trusted is False
    assert result.room_status is None
    assert (result.age, result.age_flagged) == (27, False)
    assert result.following is True
    # The noscript block says "Real Name: None", "Birth Date: April 14, 1901", "Location: Lombardia, Italy".
    assert (result.display_name, result.birth_date, result.location) == ("Big Boy", "1998-05-28", "Tartarus")


def test_dossier_owner_is_rejected_as_page_user(online_html):
    result = parse_profile_page(online_html, "nuotatore90", owner=OWNER)
    assert result.ok is False
    assert result.reason == "page is '/ghostdaddy9/', not the profile of 'nuotatore90'"
    assert result.followers is None and result.tags == []


def test_username_is_case_insensitive(online_html):
    assert parse_profile_page(online_html, "GhostDaddy9", owner="Hudson_Cage").cli_dict() == GHOSTDADDY9


@pytest.mark.parametrize("owner", [None, "someone_else"])
def test_follow_state_needs_login_as_the_owner(online_html, owner):
    result = parse_profile_page(online_html, "ghostdaddy9", owner=owner)
    assert result.logged_in_as == "hudson_cage"
    assert result.following is None


def test_logged_out_page_has_no_follow_state(offline_html):
    start = offline_html.index('<div id="user_information_header"')
    logged_out = offline_html.replace('data-testid="logout-link"', 'data-testid="login-link"')
    logged_out = logged_out[:start] + logged_out[start:].replace('data-testid="username"', "", 1)
    result = parse_profile_page(logged_out, "xlfcfdqvlzib", owner=OWNER)
    assert result.ok is True
    assert (result.logged_in_as, result.following) == (None, None)
    assert result.online is False  # the public part still parses


def page(username: str = "someone", rows: str = "", head: str = "", body: str = "") -> str:
    """A minimal profile page with the given bio rows (HTML)."""
    return (
        f'<html><head><title>{username}\'s Room</title><link rel="canonical" href="https://chaturbate.com/{username}/">'
        f"{head}</head><body>{body}"
        f'<div class="BioContents" data-testid="room-bio-tab-contents"><table><tbody>{rows}</tbody></table></div>'
        "</body></html>"
    )


def row(key: str, value: str) -> str:
    label = f'<span data-testid="bio-tab-{key}-label">x</span>'
    return f'<tr><td>{label}</td><td data-testid="bio-tab-{key}-value">{value}</td></tr>'


def test_none_strings_and_placeholder_image_are_null():
    html = page(
        rows=row("real-name", "None")
        + row("location", " None ")
        + row("language", "None")
        + row("birth-date", "None")
        + row("followers", "None"),
        head='<meta property="og:image" content="https://roomimg.stream.highwebmedia.com/ri/no_image.jpg">',
    )
    result = parse_profile_page(html, "someone")
    assert result.ok is True
    assert (result.display_name, result.location, result.birth_date, result.followers) == (None, None, None, None)
    assert result.languages == []
    assert result.image_url is None


@pytest.mark.parametrize("age, flagged", [("99", True), ("17", True), ("18", False), ("98", False), ("120", True)])
def test_implausible_ages_are_kept_but_flagged(age, flagged):
    result = parse_profile_page(page(rows=row("age", age)), "someone")
    assert (result.age, result.age_flagged) == (int(age), flagged)


@pytest.mark.parametrize(
    "raw, gender",
    [("A Man", "m"), ("A Woman", "f"), ("A Couple", "c"), ("A Trans", "t"), ("Trans", "t"), ("Something", None)],
)
def test_gender_mapping_keeps_raw(raw, gender):
    result = parse_profile_page(page(rows=row("i-am", raw)), "someone")
    assert (result.gender, result.gender_raw) == (gender, raw)


def test_languages_about_me_and_birth_date():
    about = '<div data-testid="bio-tab-about-me-value"><p>Line one<br>line two</p><p>  Second   para </p></div>'
    html = page(
        rows=row("language", "English, Français (French), ")
        + row("birth-date", "February 3, 2001")
        + f"<tr><td></td><td>{about}</td></tr>"
    )
    result = parse_profile_page(html, "someone")
    assert result.languages == ["English", "Français (French)"]
    assert result.birth_date == "2001-02-03"
    assert result.bio == "Line one\nline two\nSecond para"


def test_social_links_decoded_doubled_and_own_accounts_dropped():
    def link(href, title, badge=""):
        return f'<a data-testid="social-media-item" href="{href}" title="{title}">{badge}</a>'

    links = (
        link("/external_link/?url=https%3A%2F%2Fonlyfans.com%2Fhttps%3A%2F%2Fonlyfans.com%2Fname%2F", "OnlyFans - Free")
        + link("/external_link/?url=https%3A%2F%2Ftwitter.com%2Fchaturbate", "Twitter - Free")
        + link("/external_link/?url=https%3A%2F%2Fx.com%2Fcbupdatenews%2F", "X - Free")
        + link("/external_link/?url=https%3A%2F%2Fwww.instagram.com%2Fsomeone%2F", "Instagram - Free")
        + link(
            "/socials/social_media/someone/12/",
            "Snapchat - Lifetime",
            '<span data-testid="social-media-tokens-badge">250 TOKENS</span>',
        )
    )
    result = parse_profile_page(page(rows=row("social-media", links)), "someone")
    assert [(s.platform, s.url, s.price_tokens) for s in result.social_links] == [
        ("OnlyFans", "https://onlyfans.com/name", None),
        ("Instagram", "https://www.instagram.com/someone", None),
        ("Snapchat", None, 250),
    ]


def test_photo_sets_locked_skipped_and_video_kind():
    def item(set_id, title, extra=""):
        return (
            f'<a data-testid="photo-video-item" href="/photo_videos/photoset/detail/someone/{set_id}" title="{title}">'
            f'{extra}<div data-testid="title">{title}</div></a>'
        )

    lock = '<img data-testid="lock-icon" src="lock.svg"><span data-testid="token-badge">40 TOKENS</span>'
    items = item(1, "Free set") + item(2, "Paid set", lock) + item(3, "Clip", '<img src="https://x.test/video.svg">')
    videos = item(4, "In videos")
    result = parse_profile_page(page(rows=row("pictures", items) + row("videos", videos)), "someone")
    assert [(p.id, p.title, p.kind, p.locked, p.price_tokens) for p in result.photo_sets] == [
        (1, "Free set", "photos", False, None),
        (3, "Clip", "video", False, None),
        (4, "In videos", "video", False, None),
    ]


def dossier(data: str) -> str:
    escaped = data.replace('"', "\\u0022")
    return f'<script>window.initialRoomDossier = "{escaped}";</script>'


def test_own_dossier_fills_gaps_only_when_it_is_this_users():
    own = dossier('{"broadcaster_username": "someone", "room_status": "private", "performer_has_fanclub": true}')
    result = parse_profile_page(page(body=own), "someone")
    assert (result.dossier_trusted, result.room_status, result.online, result.has_fan_club) == (
        True,
        "private",
        True,
        True,
    )
    other = dossier(
        '{"broadcaster_username": "other", "room_status": "public", "performer_has_fanclub": true, "age": 99}'
    )
    result = parse_profile_page(page(body=other), "someone")
    assert (result.dossier_trusted, result.room_status, result.online, result.has_fan_club, result.age) == (
        False,
        None,
        None,
        None,
        None,
    )


def test_noscript_block_is_never_read():
    noscript = (
        '<noscript><div class="BioContents" data-testid="room-bio-tab-contents">'
        + row("age", "99")
        + "</div></noscript>"
    )
    html = page(rows=row("followers", "5")).replace("<body>", "<body>" + noscript)
    result = parse_profile_page(html, "someone")
    assert (result.followers, result.age) == (5, None)


@pytest.mark.parametrize(
    "html, reason",
    [
        (
            "<html><head><title>Just a moment...</title></head><body></body></html>",
            "Cloudflare challenge page (Just a moment), not a profile",
        ),
        ("<html><head><title>Log In</title></head><body></body></html>", "no canonical link: not a profile page"),
        (
            '<html><head><link rel="canonical" href="https://chaturbate.com/auth/login/"></head></html>',
            "page is '/auth/login/', not the profile of 'someone'",
        ),
        (
            '<html><head><link rel="canonical" href="https://chaturbate.com/someone/"></head><body></body></html>',
            "bio section missing: page not fully rendered",
        ),
    ],
)
def test_pages_that_are_not_the_profile_are_rejected(html, reason):
    result = parse_profile_page(html, "someone", owner="hudson")
    assert (result.ok, result.reason) == (False, reason)
