"""List counts: exact up to the cap; above it PostgreSQL's estimate, labelled approximate."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa
from bs4 import BeautifulSoup

from mhc.extensions import db
from mhc.models import Person, utcnow
from mhc.services.stats import Count
from mhc.services.users import conditions, counts, selection


@pytest.mark.parametrize(
    "query",
    [
        "",
        "?flt0_show_is=models",
        "?search=a",
        "?flt0_tag_is=feet&flt1_age_between=18-50",
    ],
)
def test_counts_above_the_cap_are_labelled_approximate(client, login_as, cast, monkeypatch, query):
    monkeypatch.setattr(counts, "EXACT_COUNT_CAP", 1)
    login_as("viewer")
    soup = BeautifulSoup(client.get(f"/users/directory/{query}").get_data(as_text=True), "html.parser")
    text = soup.select_one("[data-testid=list-count]").get_text(strip=True)
    if db.engine.dialect.name == "postgresql":
        assert text.startswith("≈ ")
    else:
        assert text[0].isdigit()


def test_unfollowed_window_count_compiles_for_the_estimate(client, login_as, cast, monkeypatch):
    monkeypatch.setattr(counts, "EXACT_COUNT_CAP", 0)
    login_as("viewer")
    soup = BeautifulSoup(client.get("/users/unfollowed/?flt0_window_last=90").get_data(as_text=True), "html.parser")
    text = soup.select_one("[data-testid=list-count]").get_text(strip=True)
    assert text.endswith("persons")
    assert [a.get_text() for a in soup.select("table.model-list a.username")] == ["dave", "erin"]


def test_exact_counts_below_the_cap(client, login_as, cast):
    login_as("viewer")
    soup = BeautifulSoup(client.get("/users/directory/?search=a").get_data(as_text=True), "html.parser")
    assert soup.select_one("[data-testid=list-count]").get_text(strip=True) == "4 persons"


@pytest.mark.parametrize("cap", [2_000, 1])
def test_toggle_counts_agree_with_counting_each_toggle(app, cast, monkeypatch, cap):
    """Below the cap one scan counts All, Models and Viewers (BOTH in both); above it they are estimates."""
    monkeypatch.setattr(counts, "EXACT_COUNT_CAP", cap)
    for search in ("", "a", "zzz"):
        query = conditions.filtered_query(
            db.session, "directory", [conditions.search_condition(search)] if search else []
        )
        found = counts.list_counts(db.session, query, toggles=True)
        assert list(found) == ["all", "models", "viewers"]
        for toggle in conditions.ROLE_TOGGLES:
            role = conditions.role_condition(toggle)
            expected = selection.count_exact(db.session, query if role is None else query.filter(role))
            if found[toggle].approximate:
                assert cap == 1 and db.engine.dialect.name == "postgresql"
            else:
                assert found[toggle].value == expected, (search, toggle)


def test_large_lists_estimate_models_and_viewers_from_the_role_shares(app, monkeypatch):
    """Above the cap (PostgreSQL) All is the planner's estimate and Models and Viewers are that estimate times
    their share of persons from the planner's statistics, all labelled approximate, and nothing is counted:
    one EXPLAIN (and pg_stats, read once per ROLE_SHARES_TTL). SQLite has no estimates: it counts."""
    for i, role in enumerate(["MODEL"] * 200 + ["VIEWER"] * 60 + ["BOTH"] * 40):
        db.session.add(Person(id=uuid.uuid4(), username=f"p{i}", role=role, first_seen_at=utcnow()))
    db.session.commit()
    monkeypatch.setattr(counts, "EXACT_COUNT_CAP", 0)
    query = conditions.tab_query(db.session, "directory")
    if db.engine.dialect.name != "postgresql":
        assert counts.list_counts(db.session, query, toggles=True) == {
            "all": Count(300),
            "models": Count(240),
            "viewers": Count(100),
        }
        return
    db.session.execute(sa.text("ANALYZE persons"))
    counts._role_shares_cache.clear()
    assert counts.role_shares(db.session) == pytest.approx({"models": 240 / 300, "viewers": 100 / 300})
    statements = []

    def listener(conn, cursor, statement, *args):
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", listener)
    try:
        found = counts.list_counts(db.session, query, toggles=True)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", listener)
    assert found == {
        "all": Count(300, approximate=True),
        "models": Count(240, approximate=True),
        "viewers": Count(100, approximate=True),
    }
    assert len(statements) == 1 and statements[0].startswith("EXPLAIN")
