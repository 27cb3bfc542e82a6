"""Every route answers 200, a redirect or a 4xx for hostile input: never a 5xx.

Walks app.url_map logged in as an admin (every permission), on a small data set. GET routes get their path
variables filled with existing ids and with hostile values, and each known query parameter set to each
hostile value of one family (Flask-Admin's list arguments and every filter's argument come from the view
objects; custom views' own parameters are recorded while they answer). Every POST form a page renders
(Flask-Admin create/edit/action forms, custom forms) and every other POST route is sent with a valid CSRF
token and one field at a time set to a hostile value. The totals per backend are printed at the end.
"""

from __future__ import annotations

import io
import time
import uuid
from urllib.parse import quote_from_bytes, urlencode, urlsplit

import pytest
from flask_admin.model import BaseModelView

from mhc.extensions import db
from mhc.models import AuditLog, JobRun, Person, SystemUser, utcnow
from mhc.services import demo
from mhc.services.users import thumbnails
from tests.auth.permission_table import PERMISSION_TABLE
from tests.security.hostile import (
    FAMILIES,
    RECORDER,
    RecordingRequest,
    flask_admin_params,
    post_forms,
)
from tests.security.totals import FUZZ_PROPERTY, FUZZ_TOTALS

# The PNG signature and an IHDR chunk: enough for thumbnails.image_type to call it a PNG.
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 17
# Logging out (here or everywhere) ends the session the walk needs; it takes no input but the CSRF token.
LOGOUT_PREFIX = "/logout"
# Base values a POST route needs before its other fields are read (the rest is discovered).
FORM_HINTS = {
    "follows.preview": {"direction": "following", "usernames": "alice\nbob"},
    "follows.apply": {"direction": "following", "usernames": "alice\nbob", "observed_at": "2026-01-01T00:00:00+00:00"},
    "follows.sync": {"direction": "following"},
    "follows.cookies": {"cookies": "sessionid=abc; csrftoken=def"},
}


@pytest.fixture
def app_config(fake_cb_config):
    return dict(fake_cb_config)


class Fuzzer:
    """Sends hostile requests and keeps count of them and of the 5xx answers."""

    def __init__(self, app, client, data: dict):
        self.app, self.client, self.data = app, client, data
        self.sent = 0
        self.failures: list[str] = []
        self.started = time.monotonic()

    def send(self, method: str, url: str, body: bytes | None = None, files: dict | None = None, note: str = ""):
        """One request; a 5xx (or an exception escaping the app) is recorded, never raised."""
        self.sent += 1
        try:
            if files is not None:
                response = self.client.post(url, data=files, content_type="multipart/form-data")
            elif method == "POST":
                response = self.client.post(url, data=body, content_type="application/x-www-form-urlencoded")
            else:
                response = self.client.get(url)
            status = response.status_code
            response.close()
        except Exception as exc:  # noqa: BLE001 (an escaping exception is what a 5xx looks like here)
            status = f"500 {type(exc).__name__}: {str(exc)[:160]}"
        if not isinstance(status, int) or status >= 500:
            db.session.rollback()
            self.failures.append(f"{method} {url[:160]} {note[:80]} -> {status}")
        return status

    def record(self, method: str, url: str, body: bytes | None = None) -> set[str]:
        """The query/form keys a route reads while answering one plain request."""
        RECORDER.keys = set()
        try:
            self.send(method, url, body, note="(probe)")
            self.sent -= 1  # a plain request: not counted as hostile
            return set(RECORDER.keys)
        finally:
            RECORDER.keys = None

    def csrf(self) -> str:
        from tests.conftest import csrf_token_from

        return csrf_token_from(self.client.get("/").get_data(as_text=True))


def _seed(app, make_user) -> dict:
    """A small data set: persons with profiles, tags, follow history, events and snapshots; a thumbnail,
    job runs, audit rows, and a second system user the walk may edit."""
    demo.load(db.session, n_persons=24, seed=7, owner="hudson", snapshots_per_model=3)
    person = db.session.query(Person).order_by(Person.username).first()
    thumbnails.store(db.session, person.id, "http://127.0.0.1/thumb.png", PNG, utcnow())
    db.session.commit()
    failed = JobRun(id=uuid.uuid4(), kind="affiliate_poll", status="failed", args={}, error="boom")
    db.session.add(failed)
    other, _ = make_user("viewer", username="fuzz_other")
    db.session.add(AuditLog(action="update", object_type="persons", object_id=str(person.id), diff={"a": [1, 2]}))
    db.session.commit()
    return {"person": person, "run_id": failed.id, "other_user": other}


@pytest.fixture
def fuzzer(app, client, auth, make_user, monkeypatch):
    # Jobs are enqueued (their rows written) but the embedded worker is not started: no browser runs.
    monkeypatch.setattr(app.extensions["mhc_jobs"], "ensure_embedded_worker", lambda: None)
    app.request_class = RecordingRequest
    data = _seed(app, make_user)
    auth.as_role("admin")
    return Fuzzer(app, client, data)


# --- what to call ---


def _views(app) -> dict[str, object]:
    return {v.endpoint: v for v in app.extensions["mhc_admin"]._views}


def _good_id(view, data) -> str | None:
    """An existing row of a ModelView (never the logged-in admin: the walk must not lock itself out)."""
    if view.model is SystemUser:
        return str(data["other_user"].id)
    if view.model is Person:
        return str(data["person"].id)
    row = view.get_query().order_by(None).first()
    return view.get_pk_value(row) if row is not None else None


def _good_path_args(rule, data) -> dict:
    entry = PERMISSION_TABLE.get(rule.endpoint, {})
    values = dict(entry.get("_args", {}))
    person = data["person"]
    samples = {"person_id": str(person.id), "username": person.username, "run_id": str(data["run_id"])}
    samples.update(kind="affiliate_poll", export_type="csv", artifact="screenshot")
    for name in rule.arguments:
        values.setdefault(name, samples.get(name, "x"))
    return values


def _build(app, rule, values: dict, method: str) -> str:
    return app.url_map.bind("localhost").build(rule.endpoint, values, method=method)


def _hostile_path(app, rule, good: dict, name: str, value: bytes) -> str | None:
    marker = "HOSTILEMARKER"
    try:
        url = _build(app, rule, {**good, name: marker}, "GET")
    except Exception:  # noqa: BLE001 (a converter that cannot take a string: its route cannot be reached so)
        return None
    return url.replace(marker, quote_from_bytes(value, safe="") or "%20")


def _get_targets(fz: Fuzzer) -> list[tuple]:
    """(rule, base URL, base query pairs, parameters) for every GET route."""
    views = _views(fz.app)
    out = []
    for rule in fz.app.url_map.iter_rules():
        if "GET" not in rule.methods:
            continue
        good = _good_path_args(rule, fz.data)
        url = _build(fz.app, rule, good, "GET")
        view_name, _, kind = rule.endpoint.partition(".")
        view = views.get(view_name)
        base, params = [], set()
        if isinstance(view, BaseModelView):
            params = flask_admin_params(view, kind)
            if "id" in params and (pk := _good_id(view, fz.data)):
                base = [("id", pk)]
        query = f"?{urlencode(base)}" if base else ""
        params |= fz.record("GET", url + query)
        out.append((rule, url, base, sorted(params)))
    return out


def _with(base: list, name: str, value: bytes) -> str:
    pairs = [(k, v) for k, v in base if k != name] + [(name, value)]
    return urlencode(pairs)


def _fuzz_gets(fz: Fuzzer, targets, values: list[bytes]) -> None:
    for rule, url, base, params in targets:
        for name in params:
            for value in values:
                fz.send("GET", f"{url}?{_with(base, name, value)}", note=f"{name}={value[:40]!r}")
        good = _good_path_args(rule, fz.data)
        for name in rule.arguments:
            for value in values:
                hostile = _hostile_path(fz.app, rule, good, name, value)
                if hostile:
                    fz.send("GET", hostile, note=f"<{name}>={value[:40]!r}")


# --- forms ---


def _page_forms(fz: Fuzzer, targets) -> dict:
    """Every POST form rendered by the GET pages (with id), keyed by where it posts and its fields."""
    forms = {}
    for _rule, url, base, _params in targets:
        full = f"{url}?{urlencode(base)}" if base else url
        response = fz.client.get(full)
        if response.status_code == 200 and response.mimetype == "text/html":
            for form in post_forms(response.get_data(as_text=True), full):
                if not urlsplit(form.action).path.startswith(LOGOUT_PREFIX):
                    forms.setdefault(form.key, form)
        response.close()
    return forms


def _action_forms(fz: Fuzzer, token: str) -> list[tuple[str, list, list[str]]]:
    """Flask-Admin batch actions: each action on an existing row; "all matching" for the first one."""
    out = []
    for view in _views(fz.app).values():
        if not isinstance(view, BaseModelView) or not view._actions:
            continue
        with fz.app.test_request_context():
            url, list_url = view.get_url(f"{view.endpoint}.action_view"), view.get_url(f"{view.endpoint}.index_view")
        row = _good_id(view, fz.data) or "x"
        for name, _label in view._actions:
            out.append((url, [("csrf_token", token), ("action", name), ("rowid", row), ("url", list_url)], ["rowid"]))
        first = view._actions[0][0]
        every = [("csrf_token", token), ("action", first), ("select_all", "1"), ("confirmed", "1")]
        every += [("list_args", "flt0_role_is=models"), ("url", list_url)]
        out.append((url, every, ["list_args", "select_all", "confirmed", "url"]))
    return out


def _route_forms(fz: Fuzzer, token: str, covered: set[str]) -> list[tuple[str, list, list[str]]]:
    """POST routes no page form reaches: the hints, then every form key the route reads."""
    out, views = [], _views(fz.app)
    for rule in fz.app.url_map.iter_rules():
        if "POST" not in rule.methods or rule.rule.startswith(LOGOUT_PREFIX):
            continue
        url = _build(fz.app, rule, _good_path_args(rule, fz.data), "POST")
        if url in covered and rule.endpoint not in FORM_HINTS:
            continue
        entry = PERMISSION_TABLE.get(rule.endpoint, {})
        base = [("csrf_token", token), *{**entry.get("_form", {}), **FORM_HINTS.get(rule.endpoint, {})}.items()]
        fields = fz.record("POST", url, urlencode(base).encode()) - {"csrf_token"}
        view_name, _, kind = rule.endpoint.partition(".")
        if isinstance(view := views.get(view_name), BaseModelView):
            fields |= flask_admin_params(view, kind)
        out.append((url, base, sorted(fields | {k for k, _ in base} - {"csrf_token"})))
    return out


def _post_body(base: list, name: str, value: bytes) -> bytes:
    """The base form with one field hostile: replaced when single, one more value when repeated (a grid)."""
    repeated = sum(1 for k, _ in base if k == name) > 1
    pairs = list(base) if repeated else [(k, v) for k, v in base if k != name]
    return urlencode([*pairs, (name, value)]).encode()


def _fuzz_posts(fz: Fuzzer, forms, values: list[bytes]) -> None:
    for url, base, fields, files in forms:
        for name in fields:
            for value in values:
                fz.send("POST", url, _post_body(base, name, value), note=f"{name}={value[:40]!r}")
        for name in files:
            for value in values:
                payload = {k: v for k, v in base if k != name}
                payload[name] = (io.BytesIO(value * 3 + b"\nalice\n"), "hostile.txt")
                fz.send("POST", url, files=payload, note=f"file {name}={value[:40]!r}")


def _all_forms(fz: Fuzzer, targets) -> list[tuple]:
    token = fz.csrf()
    forms = []
    for form in _page_forms(fz, targets).values():
        base = [(k, token if k == "csrf_token" else v) for k, v in form.fields]
        if not any(k == "csrf_token" for k, _ in base):
            base.append(("csrf_token", token))
        fields = sorted({k for k, _ in base} - {"csrf_token"} | set(form.unchecked))
        forms.append((form.action, base, fields, form.files))
    covered = {urlsplit(f[0]).path for f in forms}
    forms += [(u, b, f, []) for u, b, f in _action_forms(fz, token)]
    forms += [(u, b, f, []) for u, b, f in _route_forms(fz, token, covered)]
    return forms


def _anonymous_login(fz: Fuzzer, values: list[bytes]) -> None:
    """The login form, posted by a client that is not logged in (in an app context of its own: the test's
    context would carry the admin's login in `g`)."""
    client = fz.app.test_client()
    with fz.app.app_context():
        page = client.get("/login").get_data(as_text=True)
        (form,) = post_forms(page, "/login")
        anonymous = Fuzzer(fz.app, client, fz.data)
        _fuzz_posts(anonymous, [(form.action, form.fields, ["login", "password"], [])], values)
    fz.sent += anonymous.sent
    fz.failures += anonymous.failures


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_hostile_values_never_answer_5xx(fuzzer, family, record_property):
    values = FAMILIES[family]
    targets = _get_targets(fuzzer)
    _fuzz_gets(fuzzer, targets, values)
    _fuzz_posts(fuzzer, _all_forms(fuzzer, targets), values)
    _anonymous_login(fuzzer, values)
    elapsed = time.monotonic() - fuzzer.started
    assert fuzzer.client.get("/").status_code == 200, "the walk lost its admin session: it proves nothing"
    _report(family, fuzzer, elapsed, record_property)
    params = {rule.endpoint: set(names) for rule, _url, _base, names in targets}
    assert "flt0_tag_is" in params["users_following.index_view"], "filters are read from the view objects"
    assert {"tab", "person", "room", "since", "until", "before"} <= params["events.index"], "custom views' own"
    assert not fuzzer.failures, f"{len(fuzzer.failures)} of {fuzzer.sent} hostile requests answered 5xx:\n" + "\n".join(
        fuzzer.failures[:60]
    )


def _report(family: str, fz: Fuzzer, elapsed: float, record_property) -> None:
    """Keep this family's totals for the end-of-run summary (tests/security/totals.py); the report's
    properties carry them to the main process when the suite runs in several (pytest-xdist)."""
    FUZZ_TOTALS[(db.engine.dialect.name, family)] = (fz.sent, len(fz.failures), elapsed)
    record_property(FUZZ_PROPERTY, [db.engine.dialect.name, family, fz.sent, len(fz.failures), elapsed])
