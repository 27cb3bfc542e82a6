"""Admin → Alerts in Chromium: add a json:// channel pointing at a local webhook receiver, add a rule, send a
test, and watch the delivery log say "Sent" while the receiver gets exactly one message; and the same forms
with JavaScript off."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from mhc.extensions import db
from mhc.models import AlertDelivery, JobRun
from tests.e2e.conftest import log_in
from tests.services.alerts.receivers import WebhookReceiver
from tests.waiting import wait_until

pytestmark = pytest.mark.e2e


@pytest.fixture
def receiver():
    """A webhook receiver on 127.0.0.1 (a free port) that keeps the JSON messages it is sent."""
    server = WebhookReceiver().start()
    yield server
    server.stop()


def submit(page, selector: str) -> None:
    """Click a form's button and wait until the page it leads to has loaded (its scripts have run)."""
    with page.expect_navigation():
        page.click(selector)


def visible_settings(page) -> list[str]:
    """The names of the rule settings the page shows now."""
    return page.eval_on_selector_all("[data-kinds]:not([hidden]) input", "els => els.map(e => e.name)")


def delivery_status(page) -> str:
    """The newest delivery's status label, after reloading the log (the page does not refresh by itself)."""
    submit(page, "[data-testid=refresh-log]")
    return page.inner_text("[data-testid=deliveries] tbody tr:first-child [data-testid=delivery-status]")


def last_row() -> tuple:
    """The newest delivery and its runs, for a failure message."""
    db.session.expire_all()
    row = db.session.scalars(select(AlertDelivery).order_by(AlertDelivery.id.desc())).first()
    runs = db.session.execute(select(JobRun.status, JobRun.error).where(JobRun.kind == "alert_delivery")).all()
    return (row.status, row.attempts, row.last_error, runs) if row else ("no delivery", runs)


def test_owner_adds_a_channel_and_a_rule_and_a_test_arrives_once(app, live_server, browser_page, make_user, receiver):
    page = browser_page
    user, password = make_user("admin")
    log_in(page, live_server, user.username, password)
    page.goto(f"{live_server}/alerts/")
    assert page.inner_text("[data-testid=no-channels]") == "No channels yet: add one below, then send it a test."

    page.fill("input[name=name]", "Local webhook")
    page.fill("input[name=url]", receiver.url)
    submit(page, "[data-testid=add-channel]")
    assert "Channel “Local webhook” added." in page.inner_text(".alert-success")
    assert page.inner_text("[data-testid=channel-address]") == "json://127.0.0.1"
    assert "s3cr3t-token-value" not in page.content()

    # The rule form shows only the settings of the chosen kind, and that kind's description.
    form = page.locator("[data-testid=rule-form]")
    form.locator("select[name=kind]").select_option("digest")
    assert visible_settings(page) == ["digest_time"]
    assert "Every day at this time" in page.inner_text("[data-kind-description]")
    form.locator("select[name=kind]").select_option("tipper_unfollow")
    assert visible_settings(page) == ["min_tokens", "window_days"]
    form.locator("input[name=name]").fill("Tippers who leave")
    form.locator("input[name=min_tokens]").fill("100")
    submit(page, "[data-testid=save-rule]")
    assert page.inner_text(".alert-success").endswith("Rule added.")
    rule_row = page.inner_text("[data-testid=rules] tbody tr")
    assert "Tippers who leave" in rule_row and "Tipped at least (tokens): 100" in rule_row

    submit(page, "[data-testid=send-test]")
    assert "Test message queued" in page.inner_text(".alert-success")
    wait_until(lambda: delivery_status(page) == "Sent", 60, interval=0.5, message=lambda: f"Sent, not {last_row()}")
    cells = page.eval_on_selector_all(
        "[data-testid=deliveries] tbody tr:first-child td", "tds => tds.map(td => td.innerText.trim())"
    )
    assert [cells[1], cells[2], cells[3], cells[4].split("\n")[0], cells[6]] == [
        "Test",
        "Local webhook",
        "MHC test alert",
        "Sent",
        "1",
    ]
    assert page.locator("[data-testid=retry-delivery]").count() == 0
    assert app.extensions["mhc_jobs"].wait_idle(30)
    assert receiver.titles() == ["MHC test alert"]
    assert "Local webhook" in receiver.messages[0]["message"]

    # A phone-sized window: the page never scrolls sideways (wide tables scroll inside their own box).
    page.set_viewport_size({"width": 390, "height": 800})
    page.reload()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_without_javascript_every_setting_shows_and_the_others_are_ignored(live_server, browser_page, make_user):
    user, password = make_user("admin")
    context = browser_page.context.browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        log_in(page, live_server, user.username, password)
        page.goto(f"{live_server}/alerts/")
        page.fill("input[name=name]", "Webhook")
        page.fill("input[name=url]", "json://127.0.0.1:9/hook")
        submit(page, "[data-testid=add-channel]")
        assert visible_settings(page) == ["min_tokens", "window_days", "min_followers", "stale_days", "digest_time"]
        form = page.locator("[data-testid=rule-form]")
        form.locator("input[name=name]").fill("Stale lists")
        form.locator("select[name=kind]").select_option("sync_stale")
        form.locator("input[name=stale_days]").fill("3")
        form.locator("input[name=digest_time]").fill("not a time")  # another kind's setting: ignored
        submit(page, "[data-testid=save-rule]")
        assert page.inner_text(".alert-success").endswith("Rule added.")
        assert "No sync for (days): 3" in page.inner_text("[data-testid=rules] tbody tr")
    finally:
        context.close()
