"""Each hostile input found on the panel answers a page or a clear 4xx, and stores nothing it should not."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from config import Config, ConfigError
from mhc.extensions import db
from mhc.input_guard import bounded_int, shorten
from mhc.models import Interaction, Person, PriorityLookup, StoredSecret
from mhc.services import secrets
from mhc.services.follows.follow_ledger import apply_follow_list
from tests.factories import make_interaction, make_person

T0 = datetime(2026, 1, 1, tzinfo=UTC)
TEN_KB_NAME = "a" * 10240
MAX_COOKIE = 4093  # Werkzeug's (and browsers') limit for one Set-Cookie


def _text(response) -> str:
    return response.get_data(as_text=True)


def _error_sentence(response) -> str:
    """The one sentence an error page says (inside the panel's layout for a logged-in user)."""
    match = re.search(r'data-testid="error-message">([^<]*)<', _text(response))
    assert match, _text(response)[:500]
    return match.group(1)


# --- the shared parsers ---


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("12", 12), (" -3 ", -3), ("+7", 7), ("9223372036854775807", 2**63 - 1), ("9223372036854775808", None)]
    + [("99999999999999999999", None), ("1e3", None), ("0x1f", None), ("２", None), ("", None), (None, None)],
)
def test_bounded_int(raw, expected):
    assert bounded_int(raw) == expected


def test_bounded_int_range_and_shorten():
    assert bounded_int("2147483648", -(2**31), 2**31 - 1) is None
    assert bounded_int("2147483647", -(2**31), 2**31 - 1) == 2**31 - 1
    assert shorten("x" * 500) == "x" * 199 + "…" and shorten("short") == "short"


# --- filters, pages, dates, ids ---


@pytest.mark.parametrize("tab", ["directory", "following", "followers"])
def test_tag_filter_works_on_every_tab(client, login_as, tab):
    make_person("tagged_one", profile={"tags": ["feet", "latina"], "following": True, "follower": True})
    make_person("untagged_one", profile={"tags": ["asian"], "following": True, "follower": True})
    login_as("admin")
    response = client.get(f"/users/{tab}/?flt0_tag_is=feet")
    assert response.status_code == 200
    assert ">tagged_one<" in _text(response) and ">untagged_one<" not in _text(response)
    response = client.get(f"/users/{tab}/?flt0_tag_is=%3Ax%20'%25_")  # unknown, SQL-ish tag: nobody
    assert response.status_code == 200
    assert ">tagged_one<" not in _text(response)


@pytest.mark.parametrize("page", ["-1", "99999999999999999999", "-99999999999999999999", "1e9", "x"])
@pytest.mark.parametrize("path", ["/users/directory/", "/users/following/", "/audit_log/", "/system_users/"])
def test_out_of_range_pages_show_a_page(client, login_as, path, page):
    make_person("paged_one", profile={"following": True})
    login_as("admin")
    response = client.get(f"{path}?page={page}")
    assert response.status_code == 200
    if path.startswith("/users/"):
        assert ">paged_one<" in _text(response), "a page number that cannot be one shows the first page"


def test_search_with_colons_and_wildcards(client, login_as):
    make_person("colon_fan", profile={})
    login_as("admin")
    for term in (":x", "x :y", "%", "_", "\\", "'"):
        response = client.get("/users/directory/", query_string={"search": term})
        assert response.status_code == 200, term
    assert ">colon_fan<" in _text(client.get("/users/directory/", query_string={"search": "colon_"}))


def test_event_dates_at_the_ends_of_the_calendar(client, login_as):
    make_interaction("tip", T0, room="hudson")
    login_as("admin")
    assert db.session.scalar(select(func.count()).select_from(Interaction)) == 1
    for query in ("since=9999-12-31", "until=9999-12-31", "since=0001-01-01", "until=0001-01-01", "since=10000-01-01"):
        assert client.get(f"/events/?{query}").status_code == 200, query
        assert client.get(f"/events/feed.json?{query}").status_code == 200, query
    assert client.get("/events/feed.json?until=9999-12-31").get_json()["counts"]["all"] == "1"
    assert client.get("/events/feed.json?since=9999-12-31").get_json()["counts"]["all"] == "0"
    cursor = "2026-01-02T00:00:00.000000Z|99999999999999999999"
    assert client.get("/events/", query_string={"before": cursor}).status_code == 200


@pytest.mark.parametrize("raw_id", ["99999999999999999999", "-1", "x", "1e3", "２"])
def test_ids_that_cannot_be_keys_find_nothing(client, login_as, raw_id):
    person = make_person("someone", profile={})
    login_as("admin")
    for path in ("/users/profile-edit/edit/", "/audit_log/details/", "/users/directory/edit/", "/system_users/edit/"):
        response = client.get(path, query_string={"id": raw_id})
        assert response.status_code == 302, path  # Flask-Admin: "Record does not exist." and back to the list
    for path in (f"/users/directory/thumb/{raw_id}", f"/jobs/{raw_id}/", f"/follow-lists/runs/{raw_id}.json"):
        assert client.get(path).status_code == 404, path
    assert client.get(f"/users/profile-edit/edit/?id={person.profile.id}").status_code == 200


def test_not_found_is_a_short_sentence(client, login_as):
    login_as("admin")
    response = client.get("/jobs/not-a-run/")
    assert response.status_code == 404
    assert _error_sentence(response) == "There is nothing here: the page, or the row it names, does not exist."
    response = client.get("/follow-lists/runs/not-a-run.json")
    assert response.status_code == 404 and response.get_json() == {"error": response.get_json()["error"]}


# --- NUL characters ---


@pytest.mark.parametrize(
    "path", ["/users/directory/?search=a%00b", "/profile/?q=%00", "/profile/a%00b", "/events/?room=x%00"]
)
def test_nul_in_the_url_is_refused(client, login_as, path):
    login_as("admin")
    response = client.get(path)
    assert response.status_code == 400
    assert "NUL character" in _text(response)


def test_nul_in_a_json_request_answers_json(client, login_as):
    login_as("admin")
    response = client.get("/profile/autocomplete.json?q=a%00")
    assert response.status_code == 400
    assert "NUL character" in response.get_json()["error"]


def test_nul_in_a_form_is_refused_and_nothing_is_stored(client, login_as, auth):
    login_as("admin")
    token = auth.csrf("/follow-lists/")
    response = client.post("/follow-lists/cookies", data={"csrf_token": token, "cookies": "sessionid=a\x00b"})
    assert response.status_code == 400 and "NUL character" in _text(response)
    assert db.session.get(StoredSecret, secrets.COOKIES) is None
    response = client.post("/users/directory/queue", data={"csrf_token": token, "username": "x\x00"})
    assert response.status_code == 400


def test_nul_in_the_login_form_is_refused(client):
    from tests.conftest import csrf_token_from

    token = csrf_token_from(_text(client.get("/login")))
    response = client.post("/login", data={"csrf_token": token, "login": "admin\x00", "password": "x"})
    assert response.status_code == 400


# --- long usernames ---


def test_ten_kb_username_in_add_to_queue(client, login_as, auth):
    login_as("admin")
    token = auth.csrf("/users/directory/")
    response = client.post("/users/directory/queue", data={"csrf_token": token, "username": TEN_KB_NAME})
    assert response.status_code == 302
    assert len(response.headers.get("Set-Cookie", "")) < MAX_COOKIE
    assert "Not a Chaturbate username" in _text(client.get("/users/directory/"))
    assert db.session.scalar(select(func.count()).select_from(PriorityLookup)) == 0


@pytest.mark.parametrize("how", ["pasted", "file"])
def test_ten_kb_username_in_an_import_preview(client, login_as, auth, how):
    login_as("admin")
    token = auth.csrf("/follow-lists/")
    listed = f"good_name\n{TEN_KB_NAME}\n"
    data = {"csrf_token": token, "direction": "following"}
    if how == "pasted":
        data["usernames"] = listed
    else:
        data["files"] = (io.BytesIO(listed.encode()), "x" * 300 + ".txt")
    response = client.post("/follow-lists/import/preview", data=data, content_type="multipart/form-data")
    assert response.status_code == 302
    assert len(response.headers.get("Set-Cookie", "")) < MAX_COOKIE
    page = _text(client.get("/follow-lists/"))
    assert "Not imported:" in page and "invalid username" in page
    assert TEN_KB_NAME not in page


def test_ten_kb_username_in_an_import_apply(client, login_as, auth):
    apply_follow_list(db.session, "following", ["kept_one"], T0, "manual_import")
    login_as("admin")
    token = auth.csrf("/follow-lists/")
    form = {"csrf_token": token, "direction": "following", "observed_at": "2026-01-02T00:00:00+00:00"}
    response = client.post("/follow-lists/import/apply", data={**form, "usernames": f"kept_one\n{TEN_KB_NAME}"})
    assert response.status_code == 302
    assert len(response.headers.get("Set-Cookie", "")) < MAX_COOKIE
    assert "Not imported:" in _text(client.get("/follow-lists/"))
    assert db.session.scalar(select(func.count()).select_from(Person).where(func.length(Person.username) > 64)) == 0


# --- upload size ---


class TestUploadLimit:
    @pytest.fixture
    def app_config(self):
        return {"MAX_CONTENT_LENGTH": 1024 * 1024, "MAX_FORM_MEMORY_SIZE": 1024 * 1024}

    def test_a_larger_upload_is_refused_with_413(self, client, login_as, auth):
        login_as("admin")
        token = auth.csrf("/follow-lists/")
        big = io.BytesIO(b"some_fan\n" * (2 * 1024 * 1024 // 9))
        data = {"csrf_token": token, "direction": "following", "files": FileStorage(big, filename="followers.txt")}
        # Encoded here in memory: the test client would spool a large body to a temporary file it never closes.
        boundary, body = encode_multipart(data)
        response = client.post(
            "/follow-lists/import/preview", data=body, content_type=f"multipart/form-data; boundary={boundary}"
        )
        assert response.status_code == 413
        text = _error_sentence(response)
        assert "at most 1 MB" in text and len(text) < 200

    def test_a_larger_pasted_list_is_refused_with_413(self, client, login_as, auth):
        login_as("admin")
        token = auth.csrf("/follow-lists/")
        pasted = "some_fan\n" * (2 * 1024 * 1024 // 9)
        data = {"csrf_token": token, "direction": "following", "usernames": pasted}
        assert client.post("/follow-lists/import/preview", data=data).status_code == 413

    def test_an_upload_under_the_limit_is_read(self, client, login_as, auth):
        login_as("admin")
        token = auth.csrf("/follow-lists/")
        names = "".join(f"fan_{i}\n" for i in range(50_000))  # about 540 KB
        data = {"csrf_token": token, "direction": "following", "files": (io.BytesIO(names.encode()), "list.txt")}
        response = client.post("/follow-lists/import/preview", data=data, content_type="multipart/form-data")
        assert response.status_code == 200
        assert 'data-testid="added">50000<' in _text(response)


def test_upload_limit_comes_from_the_environment():
    assert Config.from_env({"MHC_MAX_UPLOAD_MB": "3", "SECRET_KEY": "k"}).MAX_CONTENT_LENGTH == 3 * 1024 * 1024
    cfg = Config.from_env({"SECRET_KEY": "k"})
    assert cfg.MAX_CONTENT_LENGTH == cfg.MAX_FORM_MEMORY_SIZE == 16 * 1024 * 1024
    for bad in ("0", "-5", "lots"):
        with pytest.raises(ConfigError, match="MHC_MAX_UPLOAD_MB"):
            Config.from_env({"MHC_MAX_UPLOAD_MB": bad, "SECRET_KEY": "k"})


# --- cookies ---

GOOD_JSON = (
    '[{"name": "sessionid", "value": "abc123", "domain": ".chaturbate.com", "path": "/", "secure": true,'
    ' "httpOnly": true, "sameSite": "no_restriction"}, {"name": "csrftoken", "value": "\\"q1\\""}]'
)


def test_valid_cookies_are_parsed_and_normalised():
    header = secrets.parse_cookies("Cookie: sessionid=abc123; csrftoken=Zx9-._~")
    assert [(c["name"], c["value"], c["httpOnly"]) for c in header] == [
        ("sessionid", "abc123", True),
        ("csrftoken", "Zx9-._~", False),
    ]
    exported = secrets.parse_cookies(GOOD_JSON)
    assert [(c["name"], c["value"], c["sameSite"]) for c in exported] == [
        ("sessionid", "abc123", "None"),
        ("csrftoken", '"q1"', "Lax"),
    ]


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ("csrftoken=abc", "sessionid cookie is missing"),
        ("sessionid=" + "v" * 5000, "longer than 4096 bytes"),
        ("sessionid=a b", "characters a cookie cannot hold"),
        ('sessionid=a"b', "characters a cookie cannot hold"),
        ("sessionid=abc; bad name=1", "not a cookie name"),
        ("sessionid=abc; " + "; ".join(f"c{i}=1" for i in range(120)), "at most 100"),
        ("x" * (300 * 1024), "real cookies fit"),
        ('[{"name": "sessionid", "value": 5}]', "characters a cookie cannot hold"),
        ('[{"name": "sessionid", "value": "v", "domain": "evil example"}]', "not a host name"),
        ('[{"name": "sessionid", "value": "v", "path": "x"}]', "not a URL path"),
        ('[{"name": "sessionid", "value": "v", "secure": "yes"}]', "true or false"),
        ('[{"name": "sessionid", "value": "v", "sameSite": "sometimes"}]', "sameSite"),
        ('{"name": "sessionid"}', "no cookies found"),
        ("[" * 100_000, "nested too deeply"),
    ],
)
def test_invalid_cookies_are_refused_with_a_reason(raw, problem):
    with pytest.raises(secrets.CookieFormatError, match=problem):
        secrets.parse_cookies(raw)


def test_cookie_form_refuses_a_megabyte_value_and_keeps_the_old_cookies(client, login_as, auth):
    secrets.store_cookies(db.session, "sessionid=old-session")
    login_as("admin")
    token = auth.csrf("/follow-lists/")
    response = client.post("/follow-lists/cookies", data={"csrf_token": token, "cookies": "sessionid=" + "v" * 2**20})
    assert response.status_code == 302
    assert len(response.headers.get("Set-Cookie", "")) < MAX_COOKIE
    assert "Cookies not saved" in _text(client.get("/follow-lists/"))
    assert [c["value"] for c in secrets.load_cookies(db.session)] == ["old-session"]
