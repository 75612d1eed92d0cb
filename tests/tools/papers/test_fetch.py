"""fetch: cache replay, offline switch, 429/5xx retries with Retry-After and a bounded wait, timeouts, blocklist."""

import time

import pytest

from posttrain.tools.errors import NetworkError
from posttrain.tools.papers.fetch import (
    BlockedError,
    FetchLog,
    HttpStatusError,
    OfflineError,
    fetch,
    retry_after_seconds,
)
from tests.conftest import Recorded


def test_second_identical_request_is_served_from_cache(loopback_server):
    loopback_server.route("/x", Recorded(200, b'{"a": 1}'))
    log = FetchLog()
    first = fetch(f"{loopback_server.url}/x?q=1", log=log)
    second = fetch(f"{loopback_server.url}/x?q=1", log=log)
    assert (first.body, second.body) == (b'{"a": 1}', b'{"a": 1}')
    assert (first.from_cache, second.from_cache) == (False, True)
    assert len(loopback_server.requests) == 1
    assert (log.network, log.cache_hits) == (1, 1)
    fetch(f"{loopback_server.url}/x?q=2")  # a different query is a different cache entry
    assert len(loopback_server.requests) == 2


def test_offline_makes_no_request_and_replays_the_cache(loopback_server, monkeypatch):
    loopback_server.route("/x", Recorded(200, b"cached"))
    fetch(f"{loopback_server.url}/x")
    monkeypatch.setenv("POSTTRAIN_OFFLINE", "1")
    assert fetch(f"{loopback_server.url}/x").body == b"cached"
    with pytest.raises(OfflineError, match="POSTTRAIN_OFFLINE=1"):
        fetch(f"{loopback_server.url}/never-fetched")
    assert [r.path for r in loopback_server.requests] == ["/x"]


def test_429_with_retry_after_then_success_is_retried(loopback_server):
    loopback_server.route(
        "/x", Recorded(429, b'{"message": "Too Many Requests"}', {"Retry-After": "0.2"}), Recorded(200, b"ok")
    )
    started = time.monotonic()
    assert fetch(f"{loopback_server.url}/x").body == b"ok"
    assert time.monotonic() - started >= 0.2  # the server's Retry-After was honoured, not the 0.01 s backoff
    assert len(loopback_server.requests) == 2


def test_5xx_is_retried_with_backoff(loopback_server):
    loopback_server.route("/x", Recorded(503, b"busy"), Recorded(500, b"oops"), Recorded(200, b"ok"))
    assert fetch(f"{loopback_server.url}/x").body == b"ok"
    assert len(loopback_server.requests) == 3


def test_total_wait_is_bounded(loopback_server, monkeypatch):
    monkeypatch.setenv("POSTTRAIN_HTTP_MAX_WAIT_S", "0.5")
    loopback_server.route("/x", Recorded(429, b"{}", {"Retry-After": "0.3"}))
    with pytest.raises(NetworkError, match=r"HTTP 429 after 2 tries .*POSTTRAIN_HTTP_MAX_WAIT_S"):
        fetch(f"{loopback_server.url}/x", source="Semantic Scholar")
    assert len(loopback_server.requests) == 2


def test_client_errors_are_not_retried_and_carry_the_body(loopback_server):
    loopback_server.route("/x", Recorded(404, b'{"error":"Paper with id 0 not found"}'))
    with pytest.raises(HttpStatusError) as info:
        fetch(f"{loopback_server.url}/x")
    assert info.value.status == 404 and b"not found" in info.value.body
    assert len(loopback_server.requests) == 1


def test_timeout_is_retried(loopback_server, monkeypatch):
    monkeypatch.setenv("POSTTRAIN_HTTP_TIMEOUT_S", "0.2")
    calls = []

    def slow_then_fast(request):
        calls.append(request)
        if len(calls) == 1:
            time.sleep(0.6)
        return Recorded(200, b"ok")

    loopback_server.route("/x", slow_then_fast)
    assert fetch(f"{loopback_server.url}/x").body == b"ok"
    assert len(calls) == 2


def test_unreachable_host_fails_fast_and_is_remembered():
    started = time.monotonic()
    with pytest.raises(NetworkError, match=r"connection failed \(ConnectError\) after 2 tries .* fix: check the"):
        fetch("http://127.0.0.1:9/nothing", source="arXiv")
    with pytest.raises(NetworkError, match="127.0.0.1:9 could not be reached moments ago; not retried"):
        fetch("http://127.0.0.1:9/other", source="arXiv")
    assert time.monotonic() - started < 2  # one 0.01 s backoff, then no more attempts


def test_blocklisted_domain_is_never_requested(loopback_server, monkeypatch):
    monkeypatch.setenv("POSTTRAIN_PAPERS_BLOCKLIST", "127.0.0.1")
    loopback_server.route("/x", Recorded(200, b"ok"))
    with pytest.raises(BlockedError, match="blocklist"):
        fetch(f"{loopback_server.url}/x")
    assert loopback_server.requests == []


def test_retry_after_parses_seconds_and_http_dates():
    assert retry_after_seconds("3") == 3.0
    assert retry_after_seconds(None) is None
    assert retry_after_seconds("soon") is None
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # a date in the past means "now"


def test_cache_ttl_refetches_online_but_not_offline(loopback_server, monkeypatch):
    loopback_server.route("/x", Recorded(200, b"old"), Recorded(200, b"new"))
    monkeypatch.setenv("POSTTRAIN_CACHE_TTL_S", "0.05")
    assert fetch(f"{loopback_server.url}/x").body == b"old"
    time.sleep(0.1)
    monkeypatch.setenv("POSTTRAIN_OFFLINE", "1")
    assert fetch(f"{loopback_server.url}/x").body == b"old"  # offline, a stale answer beats none
    monkeypatch.setenv("POSTTRAIN_OFFLINE", "0")
    assert fetch(f"{loopback_server.url}/x").body == b"new"
    assert len(loopback_server.requests) == 2
