"""Parse a Chaturbate profile / room page (`/<username>/`) into a ProfileParseResult.

Pure: HTML in, dataclass out; imports nothing from the app. What each selector means and which
parts of the page lie (the stale dossier and `<noscript>` block) is in docs/domain.md#profile-pages and
docs/domain.md#parts-of-the-page-that-lie.

Over 400 lines on purpose: one page kind's selectors, fallbacks and field rules read best side by side, and
every function here is a small pure step of the same parse."""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from datetime import date
from urllib.parse import parse_qs, unquote, urlsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode

from mhc.scraping.parsers.images import is_placeholder_image

# The keys `flask profiles parse` prints, in order: a public output (docs/architecture.md#public-interfaces).
CLI_KEYS = (
    "username",
    "display_name",
    "age",
    "birth_date",
    "gender",
    "location",
    "languages",
    "bio",
    "tags",
    "followers",
    "online",
    "following",
    "logged_in_as",
    "has_fan_club",
    "photo_sets",
    "social_links",
)

SEL_CANONICAL = 'link[rel="canonical"]'
SEL_BIO = 'div.BioContents[data-testid="room-bio-tab-contents"]'
SEL_HEADER_USERNAME = '#user_information_header span.user_information_header_username[data-testid="username"]'
SEL_LOGOUT = 'a[data-testid="logout-link"][href="/auth/logout/"]'
SEL_SUBJECT = 'span.RoomSubjectSpan[data-testid="room-subject-span"]'
SEL_OFFLINE_CONTAINER = 'div.offlineContentContainer[data-testid="offline-content-container"]'
SEL_OVERLAY_TEXT = '[data-testid="video-overlay-text"]'
SEL_FOLLOW = 'div.followButton[data-testid="follow-button"]'
SEL_UNFOLLOW = 'div.unfollowButton[data-testid="unfollow-button"]'
SEL_FANCLUB = 'div.fanclubButton[data-testid="fanclub-button"]'
SEL_OG_IMAGE = 'meta[property="og:image"]'
SEL_PHOTO_ITEM = 'a[data-testid="photo-video-item"]'
SEL_SOCIAL_ITEM = 'a[data-testid="social-media-item"]'

DOSSIER_RE = re.compile(r'window\.initialRoomDossier\s*=\s*"((?:[^"\\]|\\.)*)"', re.S)
PHOTOSET_RE = re.compile(r"/photo_videos/photoset/detail/[^/]+/(\d+)")
MONTHS = {
    m: i
    for i, m in enumerate(
        "january february march april may june july august september october november december".split(), 1
    )
}
# Chaturbate's own social accounts show up among a broadcaster's links; they are not the broadcaster's.
CHATURBATE_ACCOUNTS = {"chaturbate", "cbupdatenews"}
NONE_STRINGS = {"", "none", "null"}


@dataclass(frozen=True)
class PhotoSet:
    """One unlocked photo or video set listed on the profile."""

    id: int
    title: str | None
    kind: str  # "photos" | "video"
    locked: bool
    price_tokens: int | None


@dataclass(frozen=True)
class SocialLink:
    """A social-media link; paid links have no visible target, only a price."""

    platform: str
    url: str | None
    price_tokens: int | None


@dataclass
class ProfileParseResult:
    """What one profile page says; `ok` is False (with `reason`) when it is not NAME's profile."""

    ok: bool
    username: str
    reason: str | None = None
    display_name: str | None = None
    age: int | None = None
    age_flagged: bool = False
    birth_date: str | None = None
    gender: str | None = None
    gender_raw: str | None = None
    interested_in: list[str] = field(default_factory=list)
    location: str | None = None
    languages: list[str] = field(default_factory=list)
    body_type: str | None = None
    smoke_drink: str | None = None
    body_decorations: str | None = None
    bio: str | None = None
    wish_list_url: str | None = None
    room_subject: str | None = None
    tags: list[str] = field(default_factory=list)
    followers: int | None = None
    online: bool | None = None
    room_status: str | None = None
    following: bool | None = None
    logged_in_as: str | None = None
    has_fan_club: bool | None = None
    image_url: str | None = None
    photo_sets: list[PhotoSet] = field(default_factory=list)
    social_links: list[SocialLink] = field(default_factory=list)
    dossier_trusted: bool = False

    def to_dict(self) -> dict:
        """Every field as JSON-ready data."""
        return asdict(self)

    def cli_dict(self) -> dict:
        """Exactly the keys `flask profiles parse` prints."""
        data = self.to_dict()
        return {key: data[key] for key in CLI_KEYS}


def parse_profile_page(html: str, username: str, owner: str | None = None) -> ProfileParseResult:
    """Parse USERNAME's profile page; the follow state is read only when logged in as OWNER."""
    username = (username or "").strip().lower()
    tree = LexborHTMLParser(html or "")
    for node in tree.css("noscript"):  # stale, prints "None", may describe another broadcaster
        node.decompose()
    reason = _identity_problem(tree, username)
    if reason:
        return ProfileParseResult(ok=False, username=username, reason=reason)
    bio = tree.css_first(SEL_BIO)
    if bio is None:
        return ProfileParseResult(ok=False, username=username, reason="bio section missing: page not fully rendered")
    dossier = _dossier(tree)
    # After in-app navigation the dossier can be another broadcaster's: only this user's is evidence.
    trusted = bool(dossier) and str(dossier.get("broadcaster_username", "")).lower() == username
    result = ProfileParseResult(ok=True, username=username, dossier_trusted=trusted)
    _read_bio(bio, result)
    _read_room(tree, dossier if trusted else {}, result)
    result.logged_in_as = _logged_in_as(tree)
    if owner and result.logged_in_as == owner.strip().lower():
        result.following = _following(tree)
    return result


# --- identity and login ---------------------------------------------------------------------


def _identity_problem(tree: LexborHTMLParser, username: str) -> str | None:
    title = tree.css_first("title")
    if title is not None and "just a moment" in title.text().lower():
        return "Cloudflare challenge page (Just a moment), not a profile"
    link = tree.css_first(SEL_CANONICAL)
    href = (link.attributes.get("href") or "").strip() if link is not None else ""
    if not href:
        return "no canonical link: not a profile page"
    parts = urlsplit(href)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query:
        return f"canonical link {href!r} is not a profile URL"
    if parts.path.lower() != f"/{username}/":
        return f"page is {parts.path!r}, not the profile of {username!r}"
    return None


def _logged_in_as(tree: LexborHTMLParser) -> str | None:
    name = tree.css_first(SEL_HEADER_USERNAME)
    if name is None or tree.css_first(SEL_LOGOUT) is None:
        return None
    text = _clean(name.text())
    return text.lower() if text else None


def _following(tree: LexborHTMLParser) -> bool | None:
    follow = _display(tree.css_first(SEL_FOLLOW))
    unfollow = _display(tree.css_first(SEL_UNFOLLOW))
    if unfollow == "visible" and follow == "hidden":
        return True
    if follow == "visible" and unfollow == "hidden":
        return False
    return None


# --- embedded dossier -----------------------------------------------------------------------


def _dossier(tree: LexborHTMLParser) -> dict:
    for script in tree.css("script"):
        text = script.text()
        if "initialRoomDossier" not in text:
            continue
        match = DOSSIER_RE.search(text)
        if not match:
            continue
        try:
            data = json.loads(json.loads('"' + _js_to_json_escapes(match.group(1)) + '"'))
        except ValueError:
            return {}
        return data if isinstance(data, dict) else {}
    return {}


def _js_to_json_escapes(body: str) -> str:
    """JS string escapes JSON lacks (\\xNN, \\') rewritten so json.loads can decode the literal."""

    def fix(match: re.Match) -> str:
        esc = match.group(1)
        if esc.startswith("x"):
            return "\\u00" + esc[1:]
        if esc == "'":
            return "'"
        return "\\" + esc

    return re.sub(r"\\(x[0-9a-fA-F]{2}|.)", fix, body, flags=re.S)


# --- bio table ------------------------------------------------------------------------------


def _read_bio(bio: LexborNode, result: ProfileParseResult) -> None:
    def value(key: str) -> str | None:
        node = bio.css_first(f'[data-testid="bio-tab-{key}-value"]')
        return _clean(node.text()) if node is not None else None

    result.display_name = value("real-name")
    result.followers = _int(value("followers"))
    result.birth_date = _iso_date(value("birth-date"))
    result.age = _int(value("age"))
    result.gender_raw = value("i-am")
    result.gender = _gender(result.gender_raw)
    result.interested_in = _split_list(value("interested-in"))
    result.location = value("location")
    result.languages = _split_list(value("language"))
    result.body_type = value("body-type")
    result.smoke_drink = value("smoke-drink")
    result.body_decorations = value("body-decorations")
    about = bio.css_first('[data-testid="bio-tab-about-me-value"]')
    result.bio = _paragraphs(about) if about is not None else None
    wish = bio.css_first('[data-testid="bio-tab-wish-list-value"] a[href]')
    result.wish_list_url = _link_target(wish.attributes.get("href")) if wish is not None else None
    result.photo_sets = _photo_sets(bio)
    result.social_links = _social_links(bio)


def _paragraphs(node: LexborNode) -> str | None:
    blocks = node.css("p") or [node]
    texts = [_text_with_breaks(p) for p in blocks]
    return _clean("\n".join(t for t in texts if t))


def _text_with_breaks(node: LexborNode) -> str:
    parts = []
    for child in node.traverse(include_text=True):
        if child.tag == "br":
            parts.append("\n")
        elif child.tag == "-text":
            parts.append(child.text_content or "")
    lines = [" ".join(line.split()) for line in "".join(parts).split("\n")]
    return "\n".join(lines).strip()


def _photo_sets(bio: LexborNode) -> list[PhotoSet]:
    sets = []
    for item in bio.css(SEL_PHOTO_ITEM):
        match = PHOTOSET_RE.search(item.attributes.get("href") or "")
        if not match or item.css_first('[data-testid="lock-icon"]') is not None:
            continue  # locked sets are skipped: their contents are not visible
        title_node = item.css_first('[data-testid="title"]')
        title = _clean(title_node.text()) if title_node is not None else _clean(item.attributes.get("title"))
        badge = item.css_first('[data-testid="token-badge"]')
        sets.append(
            PhotoSet(
                id=int(match.group(1)),
                title=title,
                kind="video" if _is_video(item) else "photos",
                locked=False,
                price_tokens=_int(badge.text()) if badge is not None else None,
            )
        )
    return sets


def _is_video(item: LexborNode) -> bool:
    if any((img.attributes.get("src") or "").split("?")[0].endswith("video.svg") for img in item.css("img")):
        return True
    node = item.parent
    while node is not None:
        if node.attributes.get("data-testid") == "bio-tab-videos-value":
            return True
        node = node.parent
    return False


def _social_links(bio: LexborNode) -> list[SocialLink]:
    links = []
    for item in bio.css(SEL_SOCIAL_ITEM):
        platform = _platform(item)
        href = (item.attributes.get("href") or "").strip()
        badge = item.css_first('[data-testid="social-media-tokens-badge"]')
        price = _int(badge.text()) if badge is not None else None
        url = None if href.startswith("/socials/") else _link_target(href)
        if url and _is_chaturbate_account(url):
            continue
        if platform and (url or price is not None):
            links.append(SocialLink(platform=platform, url=url, price_tokens=price))
    return links


def _platform(item: LexborNode) -> str | None:
    title = item.attributes.get("title")
    if not title:
        node = item.css_first('[data-testid="social-media-title"]')
        title = node.text() if node is not None else ""
    name = _clean(title.split(" - ")[0]) if title else None
    if name:
        return name
    icon = item.css_first('img[data-testid="social-media-preview"]')
    src = (icon.attributes.get("src") or "") if icon is not None else ""
    match = re.search(r"/socials/([^/.]+)\.svg", src)
    return match.group(1) if match else None


def _link_target(href: str | None) -> str | None:
    """The real target of a link: `/external_link/?url=` decoded, doubled targets and trailing slashes fixed."""
    href = (href or "").strip()
    if not href:
        return None
    parts = urlsplit(href)
    if parts.path.rstrip("/") == "/external_link":
        href = (parse_qs(parts.query).get("url") or [""])[0]
    href = unquote(href).strip() if "%" in href else href
    # "https://onlyfans.com/https://onlyfans.com/name": keep the last full URL.
    starts = [m.start() for m in re.finditer(r"https?://", href)]
    if starts:
        href = href[starts[-1] :]
    if not href.lower().startswith(("http://", "https://")):
        return None
    return href.rstrip("/") if urlsplit(href).path not in ("", "/") else href


def _is_chaturbate_account(url: str) -> bool:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if host == "chaturbate.com" or host.endswith(".chaturbate.com"):
        return True
    first = parts.path.strip("/").split("/")[0].lstrip("@").lower()
    return first in CHATURBATE_ACCOUNTS


# --- room state -----------------------------------------------------------------------------


def _read_room(tree: LexborHTMLParser, dossier: dict, result: ProfileParseResult) -> None:
    """Subject, tags, online, fan club and thumbnail; the (trusted) dossier only fills gaps."""
    result.room_subject, result.tags = _subject(tree)
    result.room_status = _clean(dossier.get("room_status"))
    result.online = _online(tree, result.room_status)
    result.has_fan_club = _fan_club(tree, dossier)
    result.image_url = _image(tree, result.username)
    if result.age is None and isinstance(dossier.get("age"), int):
        result.age = dossier["age"]
    result.age_flagged = result.age is not None and not 18 <= result.age < 99


def _subject(tree: LexborHTMLParser) -> tuple[str | None, list[str]]:
    spans = tree.css(SEL_SUBJECT)
    if not spans:
        return None, []
    subject = _clean(" ".join(spans[0].text().split()))
    tags: list[str] = []
    for span in spans:
        for link in span.css('a[href^="/tag/"]'):
            tag = link.attributes.get("href", "")[len("/tag/") :].strip("/").lower()
            tag = unquote(tag)
            if tag and tag not in tags:
                tags.append(tag)
    return subject, tags


def _online(tree: LexborHTMLParser, room_status: str | None) -> bool | None:
    container = _display(tree.css_first(SEL_OFFLINE_CONTAINER))
    if container == "hidden":
        return True
    if container == "visible":
        return False
    overlay = tree.css_first(SEL_OVERLAY_TEXT)
    if overlay is not None and _display(overlay) == "visible" and "currently offline" in overlay.text().lower():
        return False
    if room_status:
        return room_status != "offline"
    return None


def _fan_club(tree: LexborHTMLParser, dossier: dict) -> bool | None:
    shown = _display(tree.css_first(SEL_FANCLUB))
    if shown in ("visible", "hidden"):
        return shown == "visible"
    value = dossier.get("performer_has_fanclub")
    return value if isinstance(value, bool) else None


def _image(tree: LexborHTMLParser, username: str) -> str | None:
    meta = tree.css_first(SEL_OG_IMAGE)
    url = (meta.attributes.get("content") or "").strip() if meta is not None else ""
    if is_placeholder_image(url):
        return None
    parts = urlsplit(url)
    # A room thumbnail is named after the room (`/ri/<username>.jpg`); anything else is a site logo.
    if parts.path.rsplit("/", 1)[-1].split(".")[0].lower() != username:
        return None
    return f"{parts.scheme}://{parts.netloc}{parts.path}"


# --- small helpers --------------------------------------------------------------------------


def _display(node: LexborNode | None) -> str | None:
    """ "visible" / "hidden" from the node's inline `display`, None when absent or unset."""
    if node is None:
        return None
    match = re.search(r"(?:^|;)\s*display\s*:\s*([a-z-]+)", node.attributes.get("style") or "", re.I)
    if not match:
        return None
    return "hidden" if match.group(1).lower() == "none" else "visible"


def _clean(value) -> str | None:
    """Trimmed text, or None for empty and the literal "None" the site prints for unset values."""
    if value is None:
        return None
    text = str(value).strip()
    return None if text.lower() in NONE_STRINGS else text


def _int(value: str | None) -> int | None:
    digits = re.sub(r"[,\s]", "", value or "")
    match = re.match(r"\d+", digits)
    return int(match.group(0)) if match else None


def _iso_date(value: str | None) -> str | None:
    match = re.fullmatch(r"([A-Za-z]+)\.?\s+(\d{1,2}),?\s+(\d{4})", value or "")
    if not match or match.group(1).lower() not in MONTHS:
        return None
    try:
        return date(int(match.group(3)), MONTHS[match.group(1).lower()], int(match.group(2))).isoformat()
    except ValueError:
        return None


def _gender(raw: str | None) -> str | None:
    words = set(re.findall(r"[a-z]+", (raw or "").lower()))
    if words & {"trans", "transgender", "transsexual"}:
        return "t"
    if words & {"couple", "couples"}:
        return "c"
    if words & {"woman", "female"}:
        return "f"
    if words & {"man", "male"}:
        return "m"
    return None


def _split_list(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if _clean(part)]
