"""The Users lists' Priority cells and the notice above them follow the settings: with the Affiliate API poll on
(AFFILIATE_WM set) a queued P1 is just Queued and nothing warns; with it off, the cell and a notice say why."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup

from mhc.extensions import db
from mhc.services.users import priorities


@pytest.fixture
def app_config() -> dict:
    return {"AFFILIATE_WM": "demo-campaign"}


def _page(client, url="/users/directory/"):
    return BeautifulSoup(client.get(url).get_data(as_text=True), "html.parser")


def _cell(soup, name):
    row = next(tr for tr in soup.select("table.model-list tbody tr") if tr.select_one("a.username").get_text() == name)
    return row.select_one(".priority-cell")


def test_poll_on_queued_p1_is_queued_without_notice(app, client, login_as, cast):
    priorities.set_priority(db.session, [cast["alice"].id], 1)
    login_as("viewer")
    soup = _page(client)
    cell = _cell(soup, "alice")
    assert cell.get_text(" ", strip=True) == "P1 Queued"
    assert cell["title"].startswith("P1: waiting for the next Affiliate API poll")
    assert soup.select("[data-testid=priority-blocked]") == []
    assert soup.select("[data-testid=legend-notice]") == []


def test_poll_off_says_so_in_the_cell_the_notice_and_the_json(app, client, login_as, cast):
    app.config["AFFILIATE_WM"] = ""
    priorities.set_priority(db.session, [cast["alice"].id], 1)
    login_as("viewer")
    soup = _page(client)
    cell = _cell(soup, "alice")
    assert cell.get_text(" ", strip=True) == "P1 Waits: poll is off"
    assert cell["title"] == "P1 waits for the Affiliate API poll, which is off: set AFFILIATE_WM."
    notice = soup.select_one("[data-testid=priority-blocked]")
    assert notice.get_text(" ", strip=True).startswith("P1 waits for the Affiliate API poll, which is off")
    assert notice.select_one("a")["href"] == "/jobs/"
    status = client.get(f"/users/directory/priority-status.json?ids={cast['alice'].id}").get_json()
    assert status[str(cast["alice"].id)]["label"] == "Waits: poll is off"
    assert status[str(cast["alice"].id)]["blocked"] is True


def test_no_notice_when_no_row_waits(app, client, login_as, cast):
    app.config["AFFILIATE_WM"] = ""
    login_as("viewer")
    soup = _page(client)
    assert soup.select("[data-testid=priority-blocked]") == []
    assert soup.select_one("[data-testid=users-legend]") is not None  # the legend is always there
