"""Outbound HTTP against the fake server: retried pages, Retry-After, persistent failures, timeouts, user agent."""

from __future__ import annotations

import time

import pytest
import requests
from sqlalchemy import select

from mhc.clients import stats_api
from mhc.clients.http import USER_AGENT, HttpSettings, TimeoutAdapter, failure_reason, make_session
from mhc.extensions import db
from mhc.models import AffiliateSnapshot, OwnerStatsSample, Person
from mhc.services import secrets
from mhc.services.sources import events_cursor
from tests.fake_chaturbate.affiliate import make_room
from tests.jobs.helpers import count, run_job

FEED = "/api/public/affiliates/onlinerooms/"


def feed_offsets(fake_cb) -> list[str]:
    return [p.split("offset=")[1].split("&")[0] for p in fake_cb.requests if "onlinerooms" in p]


def rooms(n: int) -> list[dict]:
    return [make_room(f"room_{i:04d}") for i in range(n)]


def test_one_5xx_on_page_2_is_retried_and_the_cycle_records_every_room(app, fake_cb):
    fake_cb.state.update(affiliate_rooms=rooms(1203), affiliate_page_faults={2: [503]})
    run = run_job("affiliate_poll")
    assert run.status == "finished", run.error
    assert (run.counts["rooms"], run.counts["snapshots"], run.counts["cut_short"]) == (1203, 1203, None)
    assert feed_offsets(fake_cb) == ["0", "500", "500", "1000"]
    assert db.session.scalar(select(Person.rank).where(Person.username == "room_1202")) == 1203


def test_429_with_retry_after_waits_then_succeeds(app, fake_cb):
    fake_cb.state["affiliate_page_faults"] = {1: [(429, "1")]}
    run = run_job("affiliate_poll")
    assert run.status == "finished", run.error
    assert run.counts["rooms"] == 3
    first, second = [at for at, path, _ in fake_cb.request_log if path == FEED]
    assert second - first >= 0.9  # the feed asked for one second (backoff is 0 in tests)


def test_persistent_503_fails_naming_the_page_and_marks_nobody_offline(app, fake_cb):
    fake_cb.state["affiliate_rooms"] = rooms(600)
    full = run_job("affiliate_poll")
    assert full.status == "finished", full.error
    before = db.session.execute(select(Person.username, Person.rank, Person.last_seen_at, Person.rank_observed_at))
    before = sorted(before.all())
    fake_cb.state.update(affiliate_rooms=rooms(600)[:550], affiliate_page_status={2: 503})
    fake_cb.requests.clear()
    failed = run_job("affiliate_poll")
    assert failed.status == "failed"
    assert failed.error == "AffiliateApiError: feed page 2 (offset 500) answered HTTP 503 after 3 retries"
    assert feed_offsets(fake_cb) == ["0", "500", "500", "500", "500"]  # page 2 tried once and retried 3 times
    db.session.expire_all()
    after = sorted(
        db.session.execute(select(Person.username, Person.rank, Person.last_seen_at, Person.rank_observed_at))
    )
    assert after == before  # page 1 was read, yet nothing of the half-read cycle was recorded
    assert count(AffiliateSnapshot) == 600


def test_retry_after_never_outlasts_the_cycle_budget(app, fake_cb):
    app.config["AFFILIATE_CYCLE_SECONDS"] = 1.0
    fake_cb.state["affiliate_page_faults"] = {1: [(429, "3600")] * 5}
    started = time.monotonic()
    run = run_job("affiliate_poll")
    assert time.monotonic() - started < 15  # not an hour: the wait ends with the cycle's budget
    assert run.status == "failed"
    assert run.error.startswith("AffiliateApiError: feed page 1 (offset 0) answered HTTP 429 after ")
    assert count(Person) == 0


def test_retry_after_is_capped_by_http_retry_after_max(app, fake_cb):
    session = make_session(HttpSettings(backoff=0.0, retry_after_max=0.3))
    fake_cb.state["stats_faults"] = [(503, "3600")]
    started = time.monotonic()
    response = session.get(f"{fake_cb.base_url}/statsapi/", params={"username": "hudson", "token": "tok-abc123"})
    assert response.status_code == 200
    assert 0.25 <= time.monotonic() - started < 10


def test_image_client_retries_a_5xx(app, fake_cb):
    fake_cb.state["thumbnail_faults"] = {"alpha_one": [503, 502]}
    run = run_job("affiliate_poll")
    assert run.status == "finished", run.error
    assert (run.counts["thumbnails_stored"], run.counts["thumbnails_failed"]) == (3, 0)
    assert [p for _, p, _ in fake_cb.request_log].count("/ri/alpha_one.jpg") == 3


def test_image_client_gives_up_on_a_persistent_5xx(app, fake_cb):
    fake_cb.state["thumbnail_faults"] = {"alpha_one": [503] * 10}
    run = run_job("affiliate_poll")
    assert run.status == "finished", run.error
    assert (run.counts["thumbnails_stored"], run.counts["thumbnails_failed"]) == (2, 1)
    assert [p for _, p, _ in fake_cb.request_log].count("/ri/alpha_one.jpg") == 4  # once, then 3 retries


def test_stats_client_retries(app, fake_cb):
    secrets.put(db.session, events_cursor.STATS_TOKEN, "tok-abc123")
    db.session.commit()
    fake_cb.state["stats_faults"] = [500, (429, "0"), 504]
    run = run_job("stats_poll")
    assert run.status == "finished", run.error
    assert run.counts == {"samples": 1}
    assert db.session.scalar(select(OwnerStatsSample.num_followers)) == 321
    assert [p for _, p, _ in fake_cb.request_log].count("/statsapi/") == 4


def test_stats_client_persistent_failure_names_the_status(app, fake_cb):
    fake_cb.state["stats_status"] = 503
    http = make_session(HttpSettings.from_config(app.config))
    with pytest.raises(stats_api.StatsApiError, match=r"^Stats API answered HTTP 503$"):
        stats_api.fetch(http, f"{fake_cb.base_url}/statsapi/", "hudson", "tok-abc123")
    assert [p for _, p, _ in fake_cb.request_log].count("/statsapi/") == 4


def test_every_request_carries_a_timeout(app, fake_cb):
    http = make_session(HttpSettings.from_config(app.config))
    adapters = {prefix: http.get_adapter(f"{prefix}example.com") for prefix in ("http://", "https://")}
    assert all(isinstance(a, TimeoutAdapter) and a.default_timeout == (5.0, 30.0) for a in adapters.values())
    # A request sent without a timeout gets the default one: a slow server ends it with a clear error.
    slow = make_session(HttpSettings(retries=0, read_timeout=0.3))
    fake_cb.state["stats_delay"] = 2.0
    started = time.monotonic()
    with pytest.raises(requests.ReadTimeout) as err:
        slow.get(f"{fake_cb.base_url}/statsapi/")
    assert time.monotonic() - started < 1.5
    assert failure_reason(err.value) == "no answer within the read timeout"


def test_slow_stats_api_fails_with_a_clear_error(app, fake_cb):
    fake_cb.state["stats_delay"] = 1.0
    http = make_session(HttpSettings(backoff=0.0, retries=1))
    with pytest.raises(stats_api.StatsApiError) as err:
        stats_api.fetch(http, f"{fake_cb.base_url}/statsapi/", "hudson", "tok-abc123", timeout=0.2)
    message = str(err.value)
    assert message == "Stats API request failed: ConnectionError: no answer within the read timeout (after retries)"
    assert "tok-abc123" not in message


def test_events_session_does_not_retry_on_its_own(app, fake_cb):
    fake_cb.state["stats_faults"] = [503]
    http = make_session(HttpSettings(), retries=False)
    assert http.get(f"{fake_cb.base_url}/statsapi/").status_code == 503
    assert [p for _, p, _ in fake_cb.request_log].count("/statsapi/") == 1


def test_feed_requests_carry_the_configured_user_agent(app, fake_cb):
    run = run_job("affiliate_poll")
    assert run.status == "finished", run.error
    agents = {ua for _, path, ua in fake_cb.request_log}
    assert agents == {USER_AGENT}
    app.config["HTTP_USER_AGENT"] = "mhc-test/9"
    fake_cb.request_log.clear()
    run_job("affiliate_poll")
    assert {ua for _, path, ua in fake_cb.request_log if path == FEED} == {"mhc-test/9"}


def test_http_settings_from_the_environment(tmp_path):
    from config import Config, ConfigError

    base = {"SECRET_KEY": "k", "MHC_INSTANCE_DIR": str(tmp_path)}
    cfg = Config.from_env({**base, "HTTP_RETRIES": "5", "HTTP_BACKOFF": "0", "HTTP_READ_TIMEOUT": "12.5"})
    settings = HttpSettings.from_config({k: getattr(cfg, k) for k in dir(cfg) if k.isupper()})
    assert settings == HttpSettings(retries=5, backoff=0.0, connect_timeout=5.0, read_timeout=12.5)
    for bad in ({"HTTP_RETRIES": "-1"}, {"HTTP_READ_TIMEOUT": "0"}, {"HTTP_BACKOFF": "soon"}):
        with pytest.raises(ConfigError, match=next(iter(bad))):
            Config.from_env({**base, **bad})


def test_retry_warnings_do_not_log_the_stats_token(app, fake_cb, caplog):
    fake_cb.state["stats_delay"] = 0.5
    http = make_session(HttpSettings(backoff=0.0, retries=1))
    with caplog.at_level("WARNING", logger="urllib3.connectionpool"), pytest.raises(stats_api.StatsApiError):
        stats_api.fetch(http, f"{fake_cb.base_url}/statsapi/", "hudson", "tok-secret-42", timeout=0.1)
    retried = [r.getMessage() for r in caplog.records if r.name == "urllib3.connectionpool"]
    assert retried and all("/statsapi/?…" in line and "tok-secret-42" not in line for line in retried)
