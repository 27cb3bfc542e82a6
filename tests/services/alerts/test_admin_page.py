"""Admin → Alerts: who may use it, CSRF, the owner's forms and their refusals, the URL never shown, the log."""

from __future__ import annotations

import io
import logging
import secrets as random
from datetime import timedelta

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import select

from mhc import logs
from mhc.admin.alerts import RULE_FIELDS
from mhc.extensions import db
from mhc.models import AlertChannel, AlertDelivery, AlertRule, AuditLog, utcnow
from mhc.services import alerts
from mhc.services.alerts.kinds import FIELDS
from tests.waiting import wait_until

PAGE = "/alerts/"


@pytest.fixture
def secret_url() -> tuple[str, list[str]]:
    """A URL whose user, password, path and query each carry a value that must never come back (new ones each
    test: the log filter remembers values it has seen)."""
    parts = [f"{name}{random.token_hex(6)}" for name in ("user", "pw", "tok", "q")]
    return f"json://{parts[0]}:{parts[1]}@hooks.example.test:9/hook/{parts[2]}?key={parts[3]}", parts


@pytest.fixture
def log_lines(app):
    """Everything logged from now on at DEBUG, through the handler production uses."""
    stream = io.StringIO()
    handler, root = logs.build_handler("text", stream), logging.getLogger()
    level = root.level
    root.setLevel(logging.DEBUG)
    root.addHandler(handler)
    yield stream
    root.removeHandler(handler)
    root.setLevel(level)


def page(client) -> BeautifulSoup:
    response = client.get(PAGE)
    assert response.status_code == 200
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def text(soup, testid: str) -> str:
    found = soup.select_one(f"[data-testid={testid}]")
    return " ".join(found.get_text(" ").split()) if found else ""


def flashes(soup) -> list[str]:
    return [" ".join(a.get_text(" ").split()).removeprefix("× ") for a in soup.select(".alert-dismissable, .alert")]


def post(client, auth, path: str, **form):
    return client.post(path, data={"csrf_token": auth.csrf(PAGE), **form})


def channel(name: str = "Phone", url: str = "json://127.0.0.1:9/hook") -> AlertChannel:
    return alerts.add_channel(db.session, name, url, actor_id=None)


def rule(ch: AlertChannel, name: str = "Tippers", **values) -> AlertRule:
    values = {"name": name, "kind": "tipper_unfollow", "channel_id": ch.id, "min_tokens": 100, **values}
    return alerts.save_rule(db.session, None, values, actor_id=None)


def audit_rows(object_type: str) -> list[tuple]:
    db.session.expire_all()
    stmt = select(AuditLog.action, AuditLog.object_id, AuditLog.user_id, AuditLog.diff).order_by(AuditLog.id)
    return [tuple(r) for r in db.session.execute(stmt.where(AuditLog.object_type == object_type))]


# --- who may use it ---


@pytest.mark.parametrize("role", ["viewer", "subscriber"])
def test_other_roles_may_neither_read_nor_post(client, auth, login_as, role):
    ch = channel()
    login_as(role)
    assert client.get(PAGE).status_code == 403
    token = auth.csrf("/")
    posts = [
        ("/alerts/channels", {"name": "x", "url": "json://127.0.0.1/x"}),
        (f"/alerts/channels/{ch.id}/test", {}),
        (f"/alerts/channels/{ch.id}/enabled", {"enabled": "0"}),
        (f"/alerts/channels/{ch.id}/remove", {}),
        ("/alerts/rules", {"name": "r", "kind": "any_unfollow", "channel_id": str(ch.id)}),
    ]
    for path, form in posts:
        assert client.post(path, data={"csrf_token": token, **form}).status_code == 403, path
    assert [c.name for c in alerts.list_channels(db.session)] == ["Phone"]
    assert alerts.list_rules(db.session) == []
    assert db.session.scalar(select(AlertDelivery.id)) is None


def test_anonymous_is_sent_to_login(client):
    response = client.get(PAGE)
    assert response.status_code == 302 and response.headers["Location"].startswith("/login?next=/alerts/")


def test_admin_sees_empty_states_that_say_what_to_do(client, login_as):
    login_as("admin")
    soup = page(client)
    assert text(soup, "no-channels") == "No channels yet: add one below, then send it a test."
    assert text(soup, "no-rules") == "No rules yet: add a channel above first, then a rule here."
    assert text(soup, "no-deliveries") == "Nothing sent yet: use “Send a test” on a channel to check it works."
    assert soup.select_one("[data-testid=rule-form]") is None  # nothing to send to yet
    url_input = soup.select_one("form[data-testid=channel-form] input[name=url]")
    assert (url_input["type"], url_input.get("value")) == ("password", "")
    assert soup.select_one("a[href='https://github.com/caronc/apprise/wiki']") is not None


def test_posts_without_a_csrf_token_change_nothing(client, login_as):
    ch = channel()
    login_as("admin")
    assert client.post("/alerts/channels", data={"name": "Other", "url": "json://127.0.0.1/x"}).status_code == 400
    assert client.post(f"/alerts/channels/{ch.id}/remove").status_code == 400
    data = {"name": "r", "kind": "any_unfollow", "channel_id": str(ch.id)}
    assert client.post("/alerts/rules", data=data).status_code == 400
    assert [c.name for c in alerts.list_channels(db.session)] == ["Phone"]
    assert alerts.list_rules(db.session) == []


# --- channels: the URL goes in and never comes out ---


def test_added_channel_shows_only_scheme_and_host_and_is_audited(client, auth, login_as, secret_url, log_lines):
    url, secrets = secret_url
    admin = login_as("admin")
    response = post(client, auth, "/alerts/channels", name="My phone", url=url)
    assert (response.status_code, response.headers["Location"]) == (302, "/alerts/#channels")
    html = client.get(PAGE).get_data(as_text=True)
    soup = BeautifulSoup(html, "html.parser")
    assert "Channel “My phone” added. Send a test to check that it reaches you." in flashes(soup)
    row = soup.select_one("[data-testid=channels] tbody tr")
    cells = [" ".join(td.get_text(" ").split()) for td in row.select("td")]
    assert cells[:4] == ["My phone", "json", "json://hooks.example.test", "On"]
    assert "POST /alerts/channels 302" in log_lines.getvalue()
    for secret in secrets:
        assert secret not in html
        assert secret not in log_lines.getvalue()
    stored = db.session.scalar(select(AlertChannel))
    assert secrets[2] not in stored.url_secret  # encrypted at rest
    assert audit_rows("alert_channels") == [
        (
            "create",
            str(stored.id),
            admin.id,
            {"name": [None, "My phone"], "kind": [None, "json"], "url": [None, "json://hooks.example.test"]},
        )
    ]
    audit_page = client.get("/audit_log/").get_data(as_text=True)
    assert "alert_channels" in audit_page and admin.username in audit_page


@pytest.mark.parametrize(
    ("url", "refusal"),
    [
        ("nosuchscheme://pw-Zq81xLm@host/tok-Vb27Nc", "Apprise cannot send to this nosuchscheme:// URL"),
        ("pw-Zq81xLm-without-a-scheme", "The channel URL has no scheme (like json://, mailto:// or discord://)"),
    ],
)
def test_refused_channel_keeps_its_name_but_never_the_url(client, auth, login_as, url, refusal):
    login_as("admin")
    response = post(client, auth, "/alerts/channels", name="Backup <b>box</b>", url=url)
    assert response.headers["Location"] == "/alerts/#channel-form"
    html = client.get(PAGE).get_data(as_text=True)
    soup = BeautifulSoup(html, "html.parser")
    assert text(soup, "channel-error").startswith(refusal)
    assert soup.select_one("form[data-testid=channel-form] input[name=name]")["value"] == "Backup <b>box</b>"
    assert "<b>box</b>" not in html  # the name is text, escaped
    assert "pw-Zq81xLm" not in html and "tok-Vb27Nc" not in html
    assert alerts.list_channels(db.session) == []
    assert "channel-error" not in client.get(PAGE).get_data(as_text=True)  # shown once


def test_empty_fields_are_refused_at_the_form(client, auth, login_as):
    login_as("admin")
    post(client, auth, "/alerts/channels", name="", url="")
    soup = page(client)
    errors = [" ".join(e.get_text(" ").split()) for e in soup.select("[data-testid=channel-error]")]
    assert errors == ["Name: This field is required.", "Apprise URL: This field is required."]


def test_duplicate_name_refused(client, auth, login_as, secret_url):
    channel("Phone")
    login_as("admin")
    post(client, auth, "/alerts/channels", name="Phone", url=secret_url[0])
    soup = page(client)
    assert text(soup, "channel-error") == "A channel named 'Phone' already exists"
    assert not [secret for secret in secret_url[1] if secret in str(soup)]


def test_turn_off_and_on_then_remove_refused_while_a_rule_uses_it(client, auth, login_as):
    ch = channel()
    rule(ch, "Big tippers")
    admin = login_as("admin")
    assert post(client, auth, f"/alerts/channels/{ch.id}/enabled", enabled="0").headers["Location"] == (
        "/alerts/#channels"
    )
    soup = page(client)
    assert "Channel turned off: nothing is sent to it until you turn it on." in flashes(soup)
    row = soup.select_one(f"tr[data-channel-id='{ch.id}']")
    assert row.select("td")[3].get_text(strip=True) == "Off"
    assert row.select_one("[data-testid=toggle-channel]").get_text(strip=True) == "Turn on"
    post(client, auth, f"/alerts/channels/{ch.id}/enabled", enabled="1")
    assert "Channel turned on." in flashes(page(client))
    post(client, auth, f"/alerts/channels/{ch.id}/remove")
    assert "Channel 'Phone' is used by rule(s) Big tippers: change or remove them first" in flashes(page(client))
    assert [c.name for c in alerts.list_channels(db.session)] == ["Phone"]
    updates = [(a, d) for a, _, user, d in audit_rows("alert_channels") if user == admin.id]
    assert updates == [("update", {"enabled": [True, False]}), ("update", {"enabled": [False, True]})]


def test_remove_an_unused_channel(client, auth, login_as):
    ch = channel()
    admin = login_as("admin")
    post(client, auth, f"/alerts/channels/{ch.id}/remove")
    soup = page(client)
    assert "Channel removed." in flashes(soup) and text(soup, "no-channels")
    assert audit_rows("alert_channels")[-1][:3] == ("delete", str(ch.id), admin.id)


def test_unknown_or_impossible_ids(client, auth, login_as):
    login_as("admin")
    assert post(client, auth, "/alerts/channels/12345/test").status_code == 302
    assert "No such channel" in flashes(page(client))
    for path in (
        "/alerts/channels/abc/test",
        "/alerts/channels/99999999999999999999/remove",
        "/alerts/rules/-x/remove",
    ):
        assert post(client, auth, path).status_code == 404, path
    assert post(client, auth, "/alerts/rules", rule_id="nope", name="r").status_code == 404


# --- rules ---


def rule_form(soup) -> dict:
    form = soup.select_one("form[data-testid=rule-form]")
    values = {i["name"]: i.get("value", "") for i in form.select("input") if i.get("type") != "checkbox"}
    values |= {i["name"]: "y" for i in form.select("input[type=checkbox][checked]")}
    values |= {s["name"]: (s.select_one("option[selected]") or {}).get("value") for s in form.select("select")}
    return values


def test_every_setting_is_in_the_page_with_the_kinds_that_use_it(client, login_as):
    channel()
    login_as("admin")
    soup = page(client)
    groups = {g.select_one("input")["name"]: g["data-kinds"].split() for g in soup.select("[data-kinds]")}
    assert list(RULE_FIELDS) == list(FIELDS)  # the page labels every setting a kind can use, in their order
    assert groups == {
        "min_tokens": ["tipper_unfollow"],
        "window_days": ["tipper_unfollow"],
        "min_followers": ["model_follow"],
        "stale_days": ["sync_stale"],
        "digest_time": ["digest"],
    }
    options = [o["value"] for o in soup.select("select[name=kind] option")]
    assert options == list(alerts.RULE_KINDS)
    assert soup.select_one("script[src$='alerts.js'][nonce]") is not None


def test_add_rule_keeps_only_the_kinds_settings_and_is_audited(client, auth, login_as):
    ch = channel()
    admin = login_as("admin")
    form = {"name": "Model fans", "kind": "model_follow", "channel_id": str(ch.id), "enabled": "y"}
    # Leftovers of another kind (a browser without the script sends them) are ignored, even unreadable ones.
    form |= {"min_followers": "5000", "min_tokens": "abc", "stale_days": "3", "digest_time": "nonsense"}
    assert post(client, auth, "/alerts/rules", **form).headers["Location"] == "/alerts/#rules"
    soup = page(client)
    assert "Rule added." in flashes(soup)
    cells = [" ".join(td.get_text(" ").split()) for td in soup.select("[data-testid=rules] tbody tr td")]
    assert cells[:5] == ["Model fans", "A model follows you", "Has at least (followers): 5000", "Phone", "On"]
    saved = db.session.scalar(select(AlertRule))
    assert (saved.min_followers, saved.min_tokens, saved.stale_days, saved.digest_time) == (5000, None, None, None)
    assert [(a, user) for a, _, user, _ in audit_rows("alert_rules")] == [("create", admin.id)]


def test_refusals_are_shown_at_the_rule_form_with_the_values_kept(client, auth, login_as):
    ch = channel()
    login_as("admin")
    form = {
        "name": "Tippers",
        "kind": "tipper_unfollow",
        "channel_id": str(ch.id),
        "min_tokens": "",
        "window_days": "7",
    }
    assert post(client, auth, "/alerts/rules", **form).headers["Location"] == "/alerts/#rule-form"
    soup = page(client)
    assert text(soup, "rule-error") == "Min tokens is needed for this kind of rule"
    assert rule_form(soup) | {"csrf_token": ""} == {
        "csrf_token": "",
        "rule_id": "",
        "name": "Tippers",
        "kind": "tipper_unfollow",
        "channel_id": str(ch.id),
        "min_tokens": "",
        "window_days": "7",
        "min_followers": "",
        "stale_days": "",
        "digest_time": "",
    }  # "On" was not ticked: it stays unticked
    post(client, auth, "/alerts/rules", **(form | {"min_tokens": "lots"}))
    assert text(page(client), "rule-error") == "Tipped at least (tokens): Not a valid integer value."
    post(client, auth, "/alerts/rules", **(form | {"min_tokens": "0"}))
    assert text(page(client), "rule-error") == "Min tokens must be between 1 and 10,000,000"
    post(client, auth, "/alerts/rules", **(form | {"kind": "digest", "digest_time": "25:00"}))
    assert text(page(client), "rule-error") == "Digest time must be HH:MM, 00:00 to 23:59"
    assert alerts.list_rules(db.session) == []


def test_edit_a_rule_then_remove_it(client, auth, login_as):
    ch = channel()
    other = channel("Mail", "json://127.0.0.1:9/other")
    saved = rule(ch, "Tippers", min_tokens=100, window_days=30)
    admin = login_as("admin")
    soup = BeautifulSoup(client.get(f"{PAGE}?rule={saved.id}").get_data(as_text=True), "html.parser")
    assert soup.select_one("#rule-form").get_text(strip=True) == "Edit the rule “Tippers”"
    values = rule_form(soup)
    assert (values["rule_id"], values["name"], values["kind"]) == (str(saved.id), "Tippers", "tipper_unfollow")
    assert (values["channel_id"], values["min_tokens"], values["window_days"], values["enabled"]) == (
        str(ch.id),
        "100",
        "30",
        "y",
    )
    values |= {"channel_id": str(other.id), "min_tokens": "250", "window_days": ""}
    del values["enabled"]  # untick "On"
    assert post(client, auth, "/alerts/rules", **values).headers["Location"] == "/alerts/#rules"
    soup = page(client)
    assert "Rule saved." in flashes(soup)
    db.session.expire_all()
    edited = db.session.get(AlertRule, saved.id)
    assert (edited.channel_id, edited.min_tokens, edited.window_days, edited.enabled) == (other.id, 250, None, False)
    assert audit_rows("alert_rules")[-1][:3] == ("update", str(saved.id), admin.id)
    post(client, auth, f"/alerts/rules/{saved.id}/remove")
    soup = page(client)
    assert "Rule removed." in flashes(soup) and text(soup, "no-rules") == "No rules yet: add one below."
    assert audit_rows("alert_rules")[-1][:3] == ("delete", str(saved.id), admin.id)


# --- the delivery log ---


def delivery(ch, key: str, status: str, *, rule_id=None, **columns) -> AlertDelivery:
    now = utcnow()
    row = AlertDelivery(
        rule_id=rule_id,
        channel_id=ch.id,
        idempotency_key=key,
        title=f"title {key}",
        body="body",
        status=status,
        created_at=now - timedelta(minutes=len(key)),
        **columns,
    )
    db.session.add(row)
    db.session.commit()
    return row


def sent_again(delivery_id) -> AlertDelivery | None:
    """The delivery once a run has tried it (failed or sent), else None."""
    db.session.expire_all()
    row = db.session.get(AlertDelivery, delivery_id)
    return row if row.status in ("failed", "sent") and row.attempts else None


def test_log_in_plain_words_with_retry_on_failed_rows(client, auth, login_as):
    ch = channel()
    tippers = rule(ch, "Tippers")
    now = utcnow()
    delivery(ch, "a", "sent", rule_id=tippers.id, attempts=1, sent_at=now, event_count=3)
    gave_up = delivery(ch, "bb", "failed", attempts=5, last_error="the channel did not take the message: <b>500</b>")
    delivery(ch, "ccc", "failed", rule_id=tippers.id, attempts=1, last_error="timeout", next_try_at=now)
    delivery(ch, "dddd", "pending", rule_id=tippers.id, next_try_at=now)
    admin = login_as("admin")
    soup = page(client)
    rows = soup.select("[data-testid=deliveries] tbody tr")
    table = [[" ".join(td.get_text(" ").split()) for td in row.select("td")][1:] for row in rows]
    at = f"{now:%Y-%m-%d %H:%M}"
    assert table == [
        ["Tippers", "Phone", "title a", f"Sent {at}", "", "1", "—", "3", ""],
        [
            "Test",
            "Phone",
            "title bb",
            "Failed",
            "the channel did not take the message: <b>500</b>",
            "5",
            "—",
            "1",
            "Retry",
        ],
        ["Tippers", "Phone", "title ccc", "Failed, will try again", "timeout", "1", at, "1", "Retry"],
        ["Tippers", "Phone", "title dddd", "Waiting to send", "", "0", "—", "1", ""],
    ]
    assert rows[0].select_one("time")["datetime"].startswith(f"{now - timedelta(minutes=1):%Y-%m-%dT%H:%M}")
    # The retry sends at once, to a channel that is off: the run ends failed again with one more attempt.
    alerts.set_channel_enabled(db.session, ch.id, False, actor_id=None)
    response = post(client, auth, f"/alerts/deliveries/{gave_up.id}/retry")
    assert response.headers["Location"] == "/alerts/#deliveries"
    assert "Sending it again: the log below shows how it goes." in flashes(page(client))
    again = wait_until(lambda: sent_again(gave_up.id), message="the retried delivery's run to end")
    assert (again.status, again.attempts) == ("failed", 6)
    assert audit_rows("alert_deliveries") == [("retry", str(gave_up.id), admin.id, None)]
    post(client, auth, f"/alerts/deliveries/{tippers.id and 999999}/retry")
    assert "No such delivery" in flashes(page(client))


def test_send_a_test_queues_one_delivery_and_audits_it(client, auth, login_as):
    ch = channel()
    alerts.set_channel_enabled(db.session, ch.id, False, actor_id=None)  # nothing leaves the machine
    admin = login_as("admin")
    assert post(client, auth, f"/alerts/channels/{ch.id}/test").headers["Location"] == "/alerts/#deliveries"
    assert "Test message queued: its delivery shows in the log below." in flashes(page(client))
    wait_until(lambda: sent_again(db.session.scalar(select(AlertDelivery.id))), message="the test delivery's run")
    soup = page(client)
    rows = soup.select("[data-testid=deliveries] tbody tr")
    assert len(rows) == 1 and rows[0]["data-status"] == "failed"
    assert text(rows[0], "delivery-status") == "Failed"
    assert "the channel is turned off: turn it on, then use Retry" in rows[0].get_text()
    assert [(a, user) for a, _, user, _ in audit_rows("alert_channels")][-1] == ("send_test", admin.id)
