"""Saved views and the column choice: what a stored list state keeps, names, ownership and audit rows."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from mhc.extensions import db
from mhc.models import AuditLog, SavedView
from mhc.models.saved_views import NAME_MAX
from mhc.services import audit_view
from mhc.services.users import saved_views as sv

SCHEMA = sv.ListSchema(
    tab="directory",
    columns=("username", "image", "age", "role", "tipped_tokens"),
    sortable=frozenset({0, 2, 4}),
    filter_args={"show_is": lambda v: v in ("models", "viewers"), "tag_is": lambda v: bool(v.strip())},
    page_sizes=(25, 50, 100),
    default_page_size=50,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (None, ()),
        ("", ()),
        ("role,tipped_tokens", ("username", "role", "tipped_tokens")),  # username always shown, first
        ("role,username", ("role", "username")),  # placed by the user: kept where put
        ("tipped_tokens,nope,role,tipped_tokens", ("username", "tipped_tokens", "role")),  # unknown, twice: dropped
        ("nope,<script>", ()),
        ("username,image,age,role,tipped_tokens", ()),  # exactly the tab's own columns: no choice
        (" age , role ", ("username", "age", "role")),
    ],
)
def test_clean_columns(raw, expected):
    assert sv.clean_columns(SCHEMA, raw) == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ""),
        ("search=alice&sort=2&desc=1&page_size=25", "search=alice&sort=2&desc=1&page_size=25"),
        # unknown parameters, the page, a job id: dropped; filters renumbered in their order
        ("page=3&job=x&evil=1&flt5_tag_is=feet&flt2_show_is=models", "flt0_show_is=models&flt1_tag_is=feet"),
        ("flt0_show_is=everyone&flt1_nope_is=1&flt0_tag_is=+", ""),  # invalid values and unknown filters
        ("sort=1&desc=1", ""),  # column 1 is not sortable (desc alone means nothing)
        ("sort=99&page_size=7&desc=1", ""),
        ("sort=-1&page_size=1e3", ""),
        ("page_size=50", ""),  # the list's own size
        ("search=" + "x" * 201, ""),
        ("search=%3Cb%3E&cols=role,bad", "search=%3Cb%3E&cols=username%2Crole"),
        ("search=a&search=b", "search=a"),
    ],
)
def test_clean_query_keeps_only_known_valid_parameters(query, expected):
    assert sv.clean_query(SCHEMA, query) == expected


def test_a_filter_check_that_raises_drops_the_filter():
    def boom(value):
        raise ValueError(value)

    schema = sv.ListSchema(tab="directory", columns=("username",), filter_args={"age_between": boom})
    assert sv.clean_query(schema, "flt0_age_between=1-2") == ""


@pytest.mark.parametrize("name", ["", "   ", "x" * (NAME_MAX + 1)])
def test_names_empty_or_too_long_are_refused(name):
    with pytest.raises(sv.SavedViewError):
        sv.clean_name(name)


def test_names_are_trimmed_and_spaces_collapsed():
    assert sv.clean_name("  Big   tippers \t ") == "Big tippers"
    assert sv.clean_name("x" * NAME_MAX) == "x" * NAME_MAX


def _audit(action):
    return db.session.scalars(
        select(AuditLog).where(AuditLog.object_type == "saved_views", AuditLog.action == action).order_by(AuditLog.id)
    ).all()


def test_save_stores_the_cleaned_state_and_audits(app, make_user):
    user, _ = make_user("viewer")
    view = sv.save_view(
        db.session, user.id, SCHEMA, " Models ", "flt3_show_is=models&page=4&cols=role", remote_addr="1.2.3.4"
    )
    stored = db.session.get(SavedView, view.id)
    assert (stored.name, stored.tab, stored.query) == (
        "Models",
        "directory",
        "flt0_show_is=models&cols=username%2Crole",
    )
    (row,) = _audit("create")
    assert (row.user_id, row.object_id, row.object_label, row.remote_addr) == (
        user.id,
        str(view.id),
        "Models",
        "1.2.3.4",
    )
    assert row.diff["name"] == [None, "Models"]
    named = audit_view.names(db.session, [row])[("saved_views", str(view.id))]
    assert (named.kind, named.name) == ("saved view", "Models")  # how the audit log reads it


def test_names_are_unique_per_user_ignoring_case_but_not_across_users(app, make_user):
    alice, _ = make_user("viewer")
    bob, _ = make_user("viewer")
    sv.save_view(db.session, alice.id, SCHEMA, "Tippers", "")
    with pytest.raises(sv.SavedViewError, match="already have a view"):
        sv.save_view(db.session, alice.id, SCHEMA, "tippers", "")
    sv.save_view(db.session, bob.id, SCHEMA, "Tippers", "")
    assert [v.name for v in sv.views_of(db.session, alice.id)] == ["Tippers"]
    assert [v.name for v in sv.views_of(db.session, bob.id)] == ["Tippers"]


def test_views_are_listed_by_name(app, make_user):
    user, _ = make_user("viewer")
    for name in ("beta", "Alpha", "gamma"):
        sv.save_view(db.session, user.id, SCHEMA, name, "")
    assert [v.name for v in sv.views_of(db.session, user.id)] == ["Alpha", "beta", "gamma"]


def test_rename_and_delete_only_touch_the_owners_views(app, make_user):
    alice, _ = make_user("viewer")
    bob, _ = make_user("viewer")
    view = sv.save_view(db.session, alice.id, SCHEMA, "Mine", "")
    with pytest.raises(LookupError):
        sv.rename_view(db.session, bob.id, view.id, "Stolen")
    with pytest.raises(LookupError):
        sv.delete_view(db.session, bob.id, view.id)
    assert sv.get_view(db.session, bob.id, view.id) is None
    assert db.session.get(SavedView, view.id).name == "Mine"
    assert _audit("rename") == [] and _audit("delete") == []


def test_rename_checks_the_name_and_audits(app, make_user):
    user, _ = make_user("viewer")
    first = sv.save_view(db.session, user.id, SCHEMA, "First", "")
    sv.save_view(db.session, user.id, SCHEMA, "Second", "")
    with pytest.raises(sv.SavedViewError):
        sv.rename_view(db.session, user.id, first.id, "SECOND")
    with pytest.raises(sv.SavedViewError):
        sv.rename_view(db.session, user.id, first.id, "")
    sv.rename_view(db.session, user.id, first.id, "first")  # its own name, other case: allowed
    assert db.session.get(SavedView, first.id).name == "first"
    (row,) = _audit("rename")
    assert row.diff == {"name": ["First", "first"]}


def test_delete_removes_and_audits_with_the_name(app, make_user):
    user, _ = make_user("viewer")
    view = sv.save_view(db.session, user.id, SCHEMA, "Gone soon", "search=bob")
    view_id = view.id
    assert sv.delete_view(db.session, user.id, view_id) == "Gone soon"
    assert db.session.get(SavedView, view_id) is None
    (row,) = _audit("delete")
    assert (row.object_label, row.diff["query"]) == ("Gone soon", ["search=bob", None])
    with pytest.raises(LookupError):
        sv.delete_view(db.session, user.id, view_id)


def test_one_default_per_tab_and_user_audited(app, make_user):
    user, _ = make_user("viewer")
    other, _ = make_user("viewer")
    first = sv.save_view(db.session, user.id, SCHEMA, "First", "", default=True)
    second = sv.save_view(db.session, user.id, SCHEMA, "Second", "search=b")
    theirs = sv.save_view(db.session, other.id, SCHEMA, "Theirs", "", default=True)
    following = sv.ListSchema(tab="following", columns=("username",))
    elsewhere = sv.save_view(db.session, user.id, following, "Elsewhere", "", default=True)
    sv.set_default(db.session, user.id, second.id, True)
    mine = sv.views_of(db.session, user.id)
    assert sv.default_of(mine, "directory").name == "Second"
    assert sv.default_of(mine, "following").id == elsewhere.id  # another tab keeps its own
    assert db.session.get(SavedView, theirs.id).is_default  # another user keeps theirs
    assert not db.session.get(SavedView, first.id).is_default
    with pytest.raises(LookupError):
        sv.set_default(db.session, other.id, second.id, False)
    sv.set_default(db.session, user.id, second.id, False)
    assert sv.default_of(sv.views_of(db.session, user.id), "directory") is None
    changes = [r.diff for r in _audit("update")]
    assert changes == [{"is_default": [True, False]}, {"is_default": [False, True]}, {"is_default": [True, False]}]
