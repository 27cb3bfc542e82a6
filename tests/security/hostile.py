"""Hostile values, page-form discovery and parameter discovery for the route fuzz test.

Values are bytes, so invalid UTF-8 goes on the wire percent-encoded exactly as a hostile client sends it.
Parameters are found three ways: from the Flask-Admin view objects (list arguments, every filter's
`flt0_<name>` argument, form fields), from the forms the pages render (their hidden and current values are
the base of each hostile POST), and by recording which query and form keys a view reads while it answers a
plain request (custom views' own parameters).
"""

from __future__ import annotations

import threading
from html.parser import HTMLParser
from urllib.parse import urlsplit

from flask import Request
from werkzeug.datastructures import ImmutableMultiDict

TEN_KB = 10 * 1024

# family -> hostile values (bytes). Each family is one parametrised test case.
FAMILIES: dict[str, list[bytes]] = {
    "numbers": [b"-1", b"0", b"99999999999999999999", b"-99999999999999999999", b"1e400", b"nan", b"0x1f"]
    + [b"2147483648", b"2026-01-01T00:00:00+00:00|99999999999999999999"],
    "dates": [b"9999-12-31", b"0001-01-01", b"0000-00-00", b"2024-02-30", b"10000-01-01T00:00:00", b"9999-12-31|1"],
    "nul": [b"\x00", b"a\x00b", b"%00"],
    "long": [b"a" * TEN_KB, b"x" * TEN_KB + b" y"],
    "utf8": [b"\xff\xfe", b"\xc3\x28", b"\xed\xa0\x80", "\u202e\ufeff\U0001f600".encode()],
    "unknown": [b"bogus", b"", b" ", b"__proto__", b"../../etc/passwd"],
    "sqlish": [b":x", b"x :y", b"%", b"_", b"'", b'"', b"\\", b"' OR 1=1 --", b"%%", b"\\%_", b"$1", b"?"],
}

# Flask-Admin list arguments every ModelView list (and its export) reads.
LIST_ARGS = ("page", "page_size", "sort", "desc", "search")


def flask_admin_params(view, endpoint_kind: str) -> set[str]:
    """The query parameters a Flask-Admin ModelView endpoint takes, read from the view object."""
    if endpoint_kind in ("index_view", "export"):
        params = set(LIST_ARGS)
        params.update(f"flt0_{key}" for key in (getattr(view, "_filter_args", None) or {}))
        return params
    if endpoint_kind in ("edit_view", "details_view", "create_view", "delete_view"):
        return {"id", "url"}
    if endpoint_kind == "ajax_lookup":
        return {"name", "query", "offset", "limit"}
    if endpoint_kind == "ajax_update":
        return {"list_form_pk", *(getattr(view, "column_editable_list", None) or ())}
    return set()


class _Recorder(threading.local):
    def __init__(self):
        self.keys: set[str] | None = None


RECORDER = _Recorder()


class RecordingMultiDict(ImmutableMultiDict):
    """Request args/form that note every key a view asks for (while RECORDER.keys is a set)."""

    def _note(self, key):
        if RECORDER.keys is not None and isinstance(key, str):
            RECORDER.keys.add(key)

    def get(self, key, default=None, type=None):  # noqa: A002 (werkzeug's signature)
        self._note(key)
        return super().get(key, default=default, type=type)

    def getlist(self, key, type=None):  # noqa: A002
        self._note(key)
        return super().getlist(key, type=type)

    def __getitem__(self, key):
        self._note(key)
        return super().__getitem__(key)

    def __contains__(self, key):
        self._note(key)
        return super().__contains__(key)


class RecordingRequest(Request):
    """The app's request class during the fuzz: parameters are recorded as views read them."""

    parameter_storage_class = RecordingMultiDict


class PageForm:
    """A form rendered on a page: where it posts and the fields with their current values."""

    def __init__(self, action: str, method: str):
        self.action, self.method = action, method
        self.fields: list[tuple[str, str]] = []
        self.files: list[str] = []
        self.unchecked: list[str] = []  # checkboxes left unticked: fuzzed, absent from the base form

    @property
    def key(self) -> tuple:
        names = tuple(sorted({n for n, _ in self.fields} | set(self.files)))
        return urlsplit(self.action).path, names


class FormParser(HTMLParser):
    """Every <form method=post> of a page with its inputs, selects and textareas."""

    def __init__(self, page_url: str):
        super().__init__(convert_charrefs=True)
        self.page_url = page_url
        self.forms: list[PageForm] = []
        self._form: PageForm | None = None
        self._select: tuple[str, list, list] | None = None
        self._textarea: tuple[str, list] | None = None

    def handle_starttag(self, tag, attrs):
        a = {k: (v or "") for k, v in attrs}
        if tag == "form":
            self._form = PageForm(a.get("action") or self.page_url, (a.get("method") or "get").lower())
            self.forms.append(self._form)
        elif tag == "option" and self._select is not None:
            value = a.get("value", "")
            self._select[1].append(value)
            if "selected" in a:
                self._select[2].append(value)
        elif self._form is None or not a.get("name"):
            return
        elif tag == "input":
            self._input(a)
        elif tag == "select":
            self._select = (a["name"], [], [])
        elif tag == "textarea":
            self._textarea = (a["name"], [])

    def _input(self, a: dict) -> None:
        kind = a.get("type", "text").lower()
        if kind in ("submit", "button", "reset", "image"):
            return
        if kind == "file":
            self._form.files.append(a["name"])
        elif kind in ("checkbox", "radio"):
            if "checked" in a:
                self._form.fields.append((a["name"], a.get("value", "on")))
            else:
                self._form.unchecked.append(a["name"])
        else:
            self._form.fields.append((a["name"], a.get("value", "")))

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[1].append(data)

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select" and self._select is not None and self._form is not None:
            name, options, selected = self._select
            for value in selected or options[:1]:
                self._form.fields.append((name, value))
            self._select = None
        elif tag == "textarea" and self._textarea is not None and self._form is not None:
            self._form.fields.append((self._textarea[0], "".join(self._textarea[1])))
            self._textarea = None


def post_forms(html: str, page_url: str) -> list[PageForm]:
    """The POST forms a page renders."""
    parser = FormParser(page_url)
    parser.feed(html)
    return [f for f in parser.forms if f.method == "post"]
