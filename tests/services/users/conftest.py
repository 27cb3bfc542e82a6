"""Users-pages fixtures: a small fixed cast of persons and an HTML table reader."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from bs4 import BeautifulSoup

from mhc.models import Person
from tests.factories import make_person

NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
def cast(app) -> dict[str, Person]:
    """alice follows-me-not/I-follow, bob and carol follow me, dave and erin unfollowed me, frank has no profile."""
    people = {
        "alice": make_person(
            "alice",
            "MODEL",
            age=24,
            num_followers=5000,
            rank=3,
            last_seen_at=NOW - timedelta(hours=1),
            profile={"tags": ["feet", "latina"], "following": True, "following_since": NOW - timedelta(days=50)},
        ),
        "bob": make_person(
            "bob",
            "VIEWER",
            last_seen_at=NOW - timedelta(hours=2),
            interactions_count=7,
            profile={"follower": True, "follower_since": NOW - timedelta(days=5)},
        ),
        "carol": make_person(
            "carol",
            "BOTH",
            age=31,
            num_followers=120,
            last_seen_at=NOW - timedelta(hours=3),
            snapshots_count=4,
            profile={"tags": ["feet"], "follower": True, "follower_since": NOW - timedelta(days=9)},
        ),
        "dave": make_person(
            "dave",
            "MODEL",
            age=40,
            num_followers=80000,
            last_seen_at=NOW - timedelta(days=2),
            profile={"follower_since": NOW - timedelta(days=20), "unfollower_at": NOW - timedelta(days=3)},
        ),
        "erin": make_person(
            "erin",
            "VIEWER",
            last_seen_at=None,
            profile={"follower_since": NOW - timedelta(days=100), "unfollower_at": NOW - timedelta(days=40)},
        ),
        "frank": make_person("frank", "MODEL", age=19, last_seen_at=NOW - timedelta(days=30)),
    }
    return people


@dataclass
class Table:
    """The list page's table as a user sees it."""

    headers: list[str]
    rows: list[dict[str, str]]
    soup: BeautifulSoup

    @property
    def usernames(self) -> list[str]:
        return [row["Username"].split()[0] for row in self.rows]


def read_table(html: str) -> Table:
    """Headers (minus the checkbox column) and each row's cell texts by header."""
    soup = BeautifulSoup(html, "html.parser")
    table = soup.select_one("table.model-list")
    headers = [
        th.get_text(" ", strip=True)
        for th in table.select("thead th")
        if "list-checkbox-column" not in th.get("class", [])
    ]
    rows = []
    for tr in (tr for tr in table.find_all("tr") if tr.parent.name != "thead"):
        cells = tr.find_all("td", recursive=False)
        if len(cells) == 1 and cells[0].get("colspan"):
            continue
        cells = [td for td in cells if not td.select_one("input.action-checkbox")]
        rows.append({h: c.get_text(" ", strip=True) for h, c in zip(headers, cells, strict=True)})
    return Table(headers, rows, soup)
