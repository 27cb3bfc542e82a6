"""Every endpoint x method x role answers as tests/auth/permission_table.py declares."""

from __future__ import annotations

import uuid
from urllib.parse import urlencode, urlsplit

import pytest

from mhc.auth import permissions as perms
from tests.auth.permission_table import LOGIN_ONLY, NOBODY, PERMISSION_TABLE, PUBLIC
from tests.conftest import csrf_token_from

ROLES = ("anonymous", "viewer", "subscriber", "admin")
IGNORED_METHODS = {"HEAD", "OPTIONS"}
SAMPLE_UUID = uuid.UUID("00000000-0000-4000-8000-000000000001")
REDIRECTS = {301, 302, 303, 307, 308}
SESSION_ENDING = {"auth.logout", "auth.logout_everywhere"}


def endpoint_methods(app) -> list[tuple[object, str]]:
    """(rule, method) for every routable method of the app, the logouts last (they end the session)."""
    pairs = [(rule, m) for rule in app.url_map.iter_rules() for m in sorted(rule.methods - IGNORED_METHODS)]
    return sorted(pairs, key=lambda p: (p[0].endpoint in SESSION_ENDING, p[0].endpoint, p[1]))


def sample_args(rule, entry: dict) -> dict:
    """URL arguments: the table's `_args`, else a generic value per converter."""
    values = dict(entry.get("_args", {}))
    for name, converter in rule._converters.items():
        if name in values:
            continue
        kind = type(converter).__name__
        if kind == "IntegerConverter":
            values[name] = 1
        elif kind == "UUIDConverter":
            values[name] = SAMPLE_UUID
        elif kind == "AnyConverter":
            values[name] = sorted(converter.items)[0]
        else:
            values[name] = "x"
    return values


def build_url(app, rule, method: str, entry: dict) -> str:
    """The URL to call for this rule and method, with the table's sample args and query."""
    adapter = app.url_map.bind("localhost")
    url = adapter.build(rule.endpoint, sample_args(rule, entry), method=method)
    query = entry.get("_query")
    return f"{url}?{urlencode(query)}" if query else url


def is_login_redirect(response, *, asking_next: bool = False) -> bool:
    """A redirect to the login page (with asking_next: one that means "log in to see this", i.e. carries next=)."""
    if response.status_code not in REDIRECTS:
        return False
    location = urlsplit(response.headers.get("Location", ""))
    return location.path == "/login" and (not asking_next or "next=" in location.query)


def allowed(role: str, required: str) -> bool:
    """Whether the role's default grants allow a request needing `required`."""
    if required in (PUBLIC, LOGIN_ONLY):
        return True
    if required == NOBODY:
        return False
    return required in perms.DEFAULT_GRANTS[role]


def check(role: str, required: str, response) -> str | None:
    """None when the response matches the expectation; otherwise what was expected."""
    status = response.status_code
    if status >= 500:
        return "no server error"
    if role == "anonymous" and required != PUBLIC:
        return None if is_login_redirect(response) or status == 401 else "a redirect to /login (or 401)"
    if role == "anonymous" or allowed(role, required):
        denied = status in (401, 403) or is_login_redirect(response, asking_next=True)
        return None if not denied else "access (not 401/403/login)"
    return None if status == 403 else "403"


def call(client, app, rule, method: str, entry: dict, token: str):
    """Send one request as the table describes it (POSTs carry a valid CSRF token)."""
    url = build_url(app, rule, method, entry)
    if method == "GET":
        return client.get(url)
    data = {**entry.get("_form", {}), "csrf_token": token}
    return client.open(url, method=method, data=data)


def test_every_endpoint_is_declared(app):
    missing = sorted(
        f"{rule.endpoint} {method}"
        for rule, method in endpoint_methods(app)
        if method not in PERMISSION_TABLE.get(rule.endpoint, {})
    )
    assert not missing, (
        "These endpoints/methods are not in tests/auth/permission_table.py PERMISSION_TABLE; "
        "add one line per endpoint declaring the permission each method requires:\n  " + "\n  ".join(missing)
    )


def test_table_declares_only_existing_endpoints(app):
    routed = {(rule.endpoint, m) for rule, m in endpoint_methods(app)}
    stale = sorted(
        f"{endpoint} {method}"
        for endpoint, entry in PERMISSION_TABLE.items()
        for method in entry
        if not method.startswith("_") and (endpoint, method) not in routed
    )
    assert not stale, "tests/auth/permission_table.py declares endpoints the app does not route:\n  " + "\n  ".join(
        stale
    )


@pytest.mark.parametrize("role", ROLES)
def test_permission_matrix(app, client, auth, role):
    if role == "anonymous":
        token = csrf_token_from(client.get("/login").get_data(as_text=True))
    else:
        auth.as_role(role)
        token = auth.csrf("/")
    failures = []
    for rule, method in endpoint_methods(app):
        entry = PERMISSION_TABLE.get(rule.endpoint)
        if entry is None or method not in entry:
            continue  # reported by test_every_endpoint_is_declared
        if rule.endpoint in SESSION_ENDING and role != "anonymous" and client.get("/").status_code != 200:
            auth.as_role(role)  # the previous logout ended the session: log in again
            token = auth.csrf("/")
        response = call(client, app, rule, method, entry, token)
        response.close()  # static files are streamed
        expected = check(role, entry[method], response)
        if expected:
            location = response.headers.get("Location", "")
            failures.append(
                f"{method} {rule.endpoint} as {role}: got {response.status_code} {location}, expected {expected}"
            )
    assert not failures, "\n".join(failures)
