"""Admin → Audit Log as a person reads it: objects by name with links (a deleted one too), changes one per
line and escaped, secrets never shown, sign-ins apart from changes, the CSV export's columns kept, and one
object's history."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, datetime

from bs4 import BeautifulSoup
from sqlalchemy import event, select

from mhc.admin import words
from mhc.extensions import db
from mhc.jobs.follow_jobs import confirm_held_run
from mhc.models import AlertChannel, AlertRule, AuditLog, JobRun
from mhc.services import audit, audit_view, secrets
from mhc.services.follows import sync
from mhc.services.follows.direction import Direction
from mhc.services.follows.follow_import import ImportList
from mhc.services.follows.follow_ledger import apply_follow_list
from tests.factories import make_person
from tests.jobs.helpers import add_run

SETTINGS = sync.FollowSettings("owner")
OLD_EXPORT_COLUMNS = ["When", "User", "Action", "Object type", "Object id", "Remote Addr", "Diff"]


def soup_of(client, url: str) -> BeautifulSoup:
    response = client.get(url)
    assert response.status_code == 200, url
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def links(soup: BeautifulSoup) -> dict[str, str]:
    """{shown name: href} of the object links on a page."""
    return {a.get_text(strip=True): a["href"] for a in soup.select("a[data-testid=object-link]")}


def changes_text(soup: BeautifulSoup) -> list[str]:
    return [div.get_text(" ", strip=True) for div in soup.select("[data-testid=change]")]


def alert_objects(admin) -> tuple[AlertChannel, AlertRule]:
    channel = AlertChannel(name="My phone", kind="json", url_secret="not-a-real-ciphertext", created_by=admin.id)
    db.session.add(channel)
    db.session.flush()
    rule = AlertRule(name="Big tips", kind="any_unfollow", channel_id=channel.id)
    db.session.add(rule)
    db.session.flush()
    return channel, rule


def test_each_kind_of_object_reads_by_name_with_a_link(client, login_as):
    admin = login_as("admin")
    carol = make_person("carol", profile={"notes": "hi"})
    run = add_run("follow_sync", status="failed")
    channel, rule = alert_objects(admin)
    for obj in (carol, carol.profile, run, channel, rule):
        audit.record_change(db.session, obj, "update", actor_id=admin.id, changes={"note": ["a", "b"]})
    audit.record(db.session, action="secret_set", object_type="stored_secret", object_id="events_api_token")
    db.session.commit()
    soup = soup_of(client, "/audit_log/")
    found = links(soup)
    assert found["carol"] == "/profile/carol"  # the person and its profile row both
    assert len(soup.find_all("a", href="/profile/carol", attrs={"data-testid": "object-link"})) == 2
    assert found[admin.username] == f"/system_users/edit/?id={admin.id}"  # the login/create rows of the admin
    assert found[words.job_kind("follow_sync")] == f"/jobs/{run.id}/"
    assert found["My phone"] == found["Big tips"] == "/alerts/"
    assert found["Events API token"] == "/events-api/"
    assert "849f" not in soup.get_text() and f"persons {carol.id}" not in soup.get_text()


def test_names_cost_one_statement_per_kind_of_object(app, login_as):
    admin = login_as("admin")
    persons = [make_person(f"p{i}") for i in range(6)]
    for person in persons:
        audit.record_change(db.session, person, "update", actor_id=admin.id)
    db.session.commit()
    rows = list(db.session.scalars(select(AuditLog)))
    statements = []
    listen = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listen)
    try:
        named = audit_view.names(db.session, rows)
    finally:
        event.remove(db.engine, "before_cursor_execute", listen)
    assert len(statements) == 2  # persons and system users (the admin's own rows), whatever the row count
    assert {named[("persons", str(p.id))].name for p in persons} == {f"p{i}" for i in range(6)}


def test_a_deleted_person_keeps_its_name(client, login_as):
    admin = login_as("admin")
    dora = make_person("dora")
    audit.record_change(db.session, dora, "update", actor_id=admin.id, changes={"is_excluded": [False, True]})
    # A row from before names were stored: its own delete diff still names the object.
    db.session.add(
        AuditLog(
            action="delete", object_type="persons", object_id=str(uuid.uuid4()), diff={"username": ["gone_guy", None]}
        )
    )
    db.session.commit()
    db.session.delete(dora)
    db.session.commit()
    soup = soup_of(client, "/audit_log/")
    text = soup.get_text(" ", strip=True)
    assert "dora (deleted)" in text and "gone_guy (deleted)" in text
    assert "dora (deleted)" not in links(soup)  # nothing to link to any more


def test_changes_read_one_per_line_escaped_and_cut(client, login_as):
    admin = login_as("admin")
    evil = make_person("<b>bold</b><script>alert(1)</script>")
    long_note = "x" * 300
    changes = {
        "notes": [None, long_note],
        "username": ["old<i>", "<script>alert(2)</script>"],
        "tags": [["a"], ["a", "b"]],
    }
    audit.record_change(db.session, evil, "update", actor_id=admin.id, changes=changes)
    db.session.commit()
    response = client.get("/audit_log/")
    html = response.get_data(as_text=True)
    assert "<script>alert" not in html and "<b>bold</b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html  # the username links, escaped
    soup = BeautifulSoup(html, "html.parser")
    lines = changes_text(soup)
    assert f"notes : none → {'x' * 79}…" in lines
    assert 'tags : ["a"] → ["a", "b"]' in lines
    assert "username : old<i> → <script>alert(2)</script>" in lines
    assert soup.find("span", title=long_note) is not None  # the whole value on hover


def test_secrets_are_never_shown(client, auth, login_as):
    admin = login_as("admin")
    secret_values = ("hunter2-old", "hunter2-new", "tok-3f9a8b7c6d", "sess-5e4d3c2b")
    audit.record(
        db.session,
        action="update",
        object_type="system_user",
        object_id=admin.id,
        changes={"password": [secret_values[0], secret_values[1]], "email": ["a@x.test", "b@x.test"]},
    )
    audit.record(
        db.session,
        action="secret_set",
        object_type="stored_secret",
        object_id="events_api_token",
        changes={"token": [None, secret_values[2]]},
    )
    db.session.commit()
    token = auth.csrf("/follow-lists/")
    cookies = f"sessionid={secret_values[3]}; csrftoken=csrf-0a1b2c3d4e"
    assert client.post("/follow-lists/cookies", data={"csrf_token": token, "cookies": cookies}).status_code == 302
    saved = db.session.scalars(select(AuditLog).where(AuditLog.object_id == "chaturbate_cookies")).all()
    assert [(r.action, r.user_id, r.diff) for r in saved] == [("secret_set", admin.id, {"count": [None, 2]})]
    html = client.get("/audit_log/").get_data(as_text=True)
    export = client.get("/audit_log/export/csv/").get_data(as_text=True)
    for value in (*secret_values, "csrf-0a1b2c3d4e"):
        assert value not in html and value not in export
    lines = changes_text(BeautifulSoup(html, "html.parser"))
    assert "Chaturbate cookies: saved (2 cookies)" in lines
    assert "password : [redacted] → [redacted]" in lines and "email : a@x.test → b@x.test" in lines


def stored_actions(soup) -> set[str]:
    """The stored actions of a page's rows (the cell shows them in words, the stored one on hover)."""
    return {td.span["title"] for td in soup.select("td.col-action")}


def test_sign_ins_are_a_tab_of_their_own(client, auth, login_as, make_user):
    auth.login("nobody", "wrong password")  # a refused login, recorded under the name typed
    admin = login_as("admin")
    audit.record_change(db.session, admin, "update", actor_id=admin.id, changes={"email": ["a@x.test", "c@x.test"]})
    db.session.commit()
    changes = soup_of(client, "/audit_log/")
    actions = stored_actions(changes)
    assert "update" in actions and not actions & set(audit.SIGN_IN_ACTIONS)
    assert "edited" in {td.get_text(strip=True) for td in changes.select("td.col-action")}  # shown in words
    tabs = {a.get_text(strip=True): a for a in changes.select("[data-testid=audit-tabs] a")}
    assert list(tabs) == ["Changes", "Sign-ins", "All"] and "active" in tabs["Changes"]["class"]
    signins = soup_of(client, tabs["Sign-ins"]["href"])
    actions = stored_actions(signins)
    assert {"login", "login_failed"} <= actions and "update" not in actions and "create" not in actions
    words = {td.get_text(strip=True) for td in signins.select("td.col-action")}
    assert {"signed in", "sign-in failed"} <= words
    # Search and filters work inside a tab.
    searched = soup_of(client, "/audit_log/?show=signins&search=nobody")
    assert {td.get_text(strip=True) for td in searched.select("td.col-username")} == {"nobody"}
    everything = soup_of(client, "/audit_log/?show=all")
    assert {"login", "update"} <= stored_actions(everything)


def test_the_export_keeps_its_columns_and_follows_the_tab(client, auth, login_as):
    admin = login_as("admin")
    rows = list(csv.reader(io.StringIO(client.get("/audit_log/export/csv/").get_data(as_text=True))))
    assert rows[0] == [*OLD_EXPORT_COLUMNS, "Object name"]
    assert "login" in {row[2] for row in rows[1:]}  # no show=: every row, as before
    page = soup_of(client, "/audit_log/")
    export_link = page.find("a", string="Export")["href"]
    assert "show=changes" in export_link
    rows = list(csv.reader(io.StringIO(client.get(export_link).get_data(as_text=True))))
    assert rows[1:] and "login" not in {row[2] for row in rows[1:]}
    create = next(row for row in rows[1:] if row[2] == "create")
    assert (create[3], create[4], create[7]) == ("system_user", str(admin.id), admin.username)


def test_history_of_one_object(client, login_as, make_user):
    admin = login_as("admin")
    other, _ = make_user("viewer", username="other_one")
    edit = soup_of(client, f"/system_users/edit/?id={other.id}")
    history = edit.select_one("a[data-testid=history-link]")["href"]
    assert history == f"/audit_log/?object=system_user:{other.id}"
    page = soup_of(client, history)
    assert "other_one" in page.select_one("[data-testid=history-heading]").get_text(" ", strip=True)
    assert set(links(page)) == {"other_one"}
    assert admin.username not in links(page)
    # A person's history includes its profile row's edits.
    erin = make_person("erin", profile={"notes": ""})
    audit.record_change(db.session, erin.profile, "update", actor_id=admin.id, changes={"notes": ["old", "vip"]})
    audit.record_change(db.session, make_person("frank"), "update", actor_id=admin.id)
    db.session.commit()
    page = soup_of(client, f"/audit_log/?object=persons:{erin.id}")
    assert changes_text(page) == ["notes : old → vip"]
    assert set(links(page)) == {"erin"}


# --- the actions audited here: one row each, with the actor ---


def rows_for(object_type: str, action: str) -> list[AuditLog]:
    db.session.expire_all()
    return list(
        db.session.scalars(select(AuditLog).where(AuditLog.object_type == object_type, AuditLog.action == action))
    )


def test_cancelling_a_run_is_audited(client, auth, login_as):
    admin = login_as("admin")
    run = add_run("selftest", status="queued")
    client.post(f"/jobs/{run.id}/cancel", data={"csrf_token": auth.csrf("/jobs/")})
    assert [(r.object_id, r.user_id, r.object_label) for r in rows_for("job_runs", "cancel")] == [
        (str(run.id), admin.id, "selftest")
    ]


def test_retrying_and_starting_runs_are_audited(app, client, auth, login_as):
    admin = login_as("admin")
    failed = add_run("selftest", status="failed", args={"value": 2})
    client.post(f"/jobs/{failed.id}/retry", data={"csrf_token": auth.csrf("/jobs/")})
    retry = db.session.scalar(select(JobRun).where(JobRun.retry_of_id == failed.id))
    assert [(r.object_id, r.user_id, r.diff) for r in rows_for("job_runs", "retry")] == [
        (str(retry.id), admin.id, {"retry_of": [None, str(failed.id)]})
    ]
    secrets.store_cookies(db.session, "sessionid=fake-session")  # a sync without cookies is refused unstarted
    response = client.post(
        "/follow-lists/sync", data={"csrf_token": auth.csrf("/follow-lists/"), "direction": "following"}
    )
    assert response.status_code == 302
    app.extensions["mhc_jobs"].wait_idle(60)
    sync_run = db.session.scalar(select(JobRun).where(JobRun.kind == "follow_sync"))
    assert [(r.object_id, r.user_id) for r in rows_for("job_runs", "start")] == [(str(sync_run.id), admin.id)]


def test_confirming_a_held_sync_and_applying_an_import_are_audited(app, client, auth, login_as):
    admin = login_as("admin")
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    apply_follow_list(db.session, "follower", [f"fan_{i}" for i in range(20)], t0, "manual_import")
    run = add_run("follow_sync", status="held", args={"direction": "follower"})
    held = sync.hold(
        db.session,
        Direction.FOLLOWER,
        ["fan_1", "fan_2"],
        datetime(2026, 1, 5, tzinfo=UTC),
        source="list_scrape",
        actor_id=None,
        max_age=sync.HELD_MAX_AGE,
        run_id=run.id,
    )
    confirm_held_run(run.id, held.fingerprint, actor_id=admin.id)
    rows = rows_for("job_runs", "confirm_held")
    assert [(r.object_id, r.user_id, r.diff["removed"]) for r in rows] == [(str(run.id), admin.id, [None, 18])]
    page = soup_of(client, f"/audit_log/?object=job_runs:{run.id}")
    assert words.job_kind("follow_sync") in page.select_one("[data-testid=history-heading]").get_text()
    # A list imported by hand, previewed then applied: one "apply" row on the held list, named by direction.
    listed = ImportList(Direction.FOLLOWER, ["fan_1", "fan_2", "new_fan"], [])
    held = sync.preview(db.session, listed, datetime(2026, 1, 6, tzinfo=UTC), actor_id=admin.id, settings=SETTINGS)
    sync.apply(db.session, held.held_id, held.fingerprint, actor_id=admin.id, settings=SETTINGS)
    rows = rows_for("held_follow_lists", "apply")
    assert [(r.object_id, r.user_id, r.diff["added"]) for r in rows] == [(str(held.held_id), admin.id, [None, 1])]
    assert "follower list imported by hand" in soup_of(client, "/audit_log/").get_text(" ", strip=True)


def test_saving_the_events_token_is_audited_without_its_value(client, auth, login_as):
    admin = login_as("admin")
    token = "evt-token-5f6e7d8c9b"
    form = {"csrf_token": auth.csrf("/events-api/"), "events_token": token, "stats_token": ""}
    assert client.post("/events-api/", data=form).status_code == 302
    rows = rows_for("stored_secret", "secret_set")
    assert [(r.object_id, r.user_id) for r in rows] == [("events_api_token", admin.id)]
    html = client.get("/audit_log/").get_data(as_text=True)
    assert token not in html
    assert "Events API token: saved" in changes_text(BeautifulSoup(html, "html.parser"))


def test_a_row_page_names_its_object_and_changes(client, login_as):
    admin = login_as("admin")
    gina = make_person("gina")
    entry = audit.record_change(
        db.session, gina, "update", actor_id=admin.id, changes={"password": ["pw-old-77", "pw-new-88"]}
    )
    db.session.commit()
    soup = soup_of(client, f"/audit_log/details/?id={entry.id}")
    assert links(soup) == {"gina": "/profile/gina"}
    assert changes_text(soup) == ["password : [redacted] → [redacted]"]
    assert "pw-old-77" not in soup.get_text() and "pw-new-88" not in soup.get_text()
