"""List counts: exact up to the cap; above it PostgreSQL's estimate, labelled approximate."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa
from bs4 import BeautifulSoup

from mhc.extensions import db
from mhc.models import Person, utcnow
from mhc.services.users import directory


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
    monkeypatch.setattr(directory, "EXACT_COUNT_CAP", 1)
    login_as("viewer")
    soup = BeautifulSoup(client.get(f"/users/directory/{query}").get_data(as_text=True), "html.parser")
    text = soup.select_one("[data-testid=list-count]").get_text(strip=True)
    if db.engine.dialect.name == "postgresql":
        assert text.startswith("≈ ")
    else:
        assert text[0].isdigit()


def test_unfollowed_window_count_compiles_for_the_estimate(client, login_as, cast, monkeypatch):
    monkeypatch.setattr(directory, "EXACT_COUNT_CAP", 0)
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
    """Below the cap one scan counts All, Models and Viewers (BOTH in both); above it each is counted alone."""
    monkeypatch.setattr(directory, "EXACT_COUNT_CAP", cap)
    for search in ("", "a", "zzz"):
        query = directory.tab_query(db.session, "directory")
        if search:
            query = query.filter(directory.search_condition(search))
        counts = directory.toggle_counts(db.session, query)
        for toggle, roles in directory.ROLE_TOGGLES.items():
            expected = directory.count_exact(
                db.session, query if roles is None else query.filter(directory.role_condition(toggle))
            )
            if counts[toggle].approximate:
                assert cap == 1 and db.engine.dialect.name == "postgresql"
            else:
                assert counts[toggle].value == expected, (search, toggle)


def test_large_lists_estimate_models_and_viewers_from_the_role_shares(app, monkeypatch):
    """Above the one-scan limit (PostgreSQL) Models and Viewers are the All estimate times the share of
    persons in those roles, from the planner's statistics, and labelled approximate. SQLite counts."""
    for i, role in enumerate(["MODEL"] * 200 + ["VIEWER"] * 60 + ["BOTH"] * 40):
        db.session.add(Person(id=uuid.uuid4(), username=f"p{i}", role=role, first_seen_at=utcnow()))
    db.session.commit()
    if db.engine.dialect.name != "postgresql":
        monkeypatch.setattr(directory, "EXACT_COUNT_CAP", 0)
        counts = directory.toggle_counts(db.session, directory.tab_query(db.session, "directory"))
        assert counts == {
            "all": directory.ListCount(300),
            "models": directory.ListCount(240),
            "viewers": directory.ListCount(100),
        }
        return
    db.session.execute(sa.text("ANALYZE persons"))
    directory._role_shares_cache.clear()
    assert directory._role_shares(db.session) == pytest.approx({"models": 240 / 300, "viewers": 100 / 300})
    monkeypatch.setattr(directory, "EXACT_COUNT_CAP", 0)
    monkeypatch.setattr(directory, "_planner_rows", lambda session, stmt: 90_000)
    counts = directory.toggle_counts(db.session, directory.tab_query(db.session, "directory"))
    assert counts == {
        "all": directory.ListCount(90_000, approximate=True),
        "models": directory.ListCount(72_000, approximate=True),
        "viewers": directory.ListCount(30_000, approximate=True),
    }
