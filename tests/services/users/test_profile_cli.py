"""`flask profiles parse FILE --username NAME [--owner NAME]`."""

from __future__ import annotations

import json
from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "chaturbate"
KEYS = [
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
]


def test_parse_prints_the_issue_keys_as_json(runner):
    path = str(FIXTURES / "cb-not-followed-offline.html")
    result = runner.invoke(args=["profiles", "parse", path, "--username", "xlfcfdqvlzib", "--owner", "hudson_cage"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert list(data) == KEYS
    assert data == {
        "username": "xlfcfdqvlzib",
        "display_name": None,
        "age": None,
        "birth_date": None,
        "gender": "m",
        "location": "North Carolina, United States",
        "languages": [],
        "bio": None,
        "tags": [],
        "followers": 29,
        "online": False,
        "following": False,
        "logged_in_as": "hudson_cage",
        "has_fan_club": False,
        "photo_sets": [],
        "social_links": [],
    }


def test_parse_without_owner_has_no_follow_state(runner):
    path = str(FIXTURES / "cb-followed-online.html")
    result = runner.invoke(args=["profiles", "parse", path, "--username", "ghostdaddy9"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert (data["following"], data["logged_in_as"], data["followers"]) == (None, "hudson_cage", 17222)


def test_page_of_another_user_exits_non_zero_with_reason(runner):
    path = str(FIXTURES / "cb-followed-online.html")
    result = runner.invoke(args=["profiles", "parse", path, "--username", "nuotatore90"])
    assert result.exit_code == 1
    assert "Error: page is '/ghostdaddy9/', not the profile of 'nuotatore90'" in result.output
