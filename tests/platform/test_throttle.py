"""The per-client API limit: a sliding window from two counters, one Redis round trip, atomic."""
from __future__ import annotations

import threading

import pytest
from django.core.cache import cache
from django.test import RequestFactory

from common.api import ClientRateThrottle
from common.cache import FallbackCache
from tests.platform.test_cache_fallback import redis_proxy  # noqa: F401  (fixture)


@pytest.fixture
def clock(monkeypatch):
    """Pins time.time() as the throttle sees it."""
    now = [1_800_000_000.0]  # a window boundary for 60 s windows
    monkeypatch.setattr("common.api.time.time", lambda: now[0])
    return now


def _request(ip: str = "203.0.113.9"):
    return RequestFactory().get("/api/v1/anything", REMOTE_ADDR=ip)


def test_allows_the_rate_then_refuses_with_a_wait_until_one_more_fits(clock):
    throttle = ClientRateThrottle("5/m")
    clock[0] += 10
    assert [throttle.allow_request(_request()) for _ in range(6)] == [True] * 5 + [False]
    # Full: the five made 10 s into a window weigh on the next one until enough of them has slid out,
    # about when the first would age out of a true sliding log (70 s).
    assert 60 < throttle.wait() <= 75

    assert throttle.allow_request(_request("198.51.100.1"))  # another client has its own budget


def test_the_previous_window_still_counts_by_its_overlap(clock):
    throttle = ClientRateThrottle("10/m")
    clock[0] += 50
    assert all(throttle.allow_request(_request()) for _ in range(10))  # late in one window

    clock[0] += 15  # 5 s into the next: 10 * 55/60 of the old window still overlaps the last minute
    assert not throttle.allow_request(_request())
    clock[0] += 40  # 45 s in: 10 * 15/60 = 2.5, plus the one refused and this one
    assert throttle.allow_request(_request())


def test_rates_are_separate_budgets_and_users_are_not_their_ip(clock, owner):
    external, default = ClientRateThrottle("2/m"), ClientRateThrottle("100/m")
    assert [external.allow_request(_request()) for _ in range(3)] == [True, True, False]
    assert default.allow_request(_request())

    signed_in = _request()
    signed_in.user = owner
    assert external.allow_request(signed_in)


def test_racing_requests_are_counted_exactly(settings):
    """Forty threads at once against a limit of 25: exactly 25 get through (the counter is atomic)."""
    throttle = ClientRateThrottle("25/h")
    results: list[bool] = []
    start = threading.Barrier(40)

    def hit():
        start.wait()
        results.append(throttle.allow_request(_request("192.0.2.77")))

    threads = [threading.Thread(target=hit) for _ in range(40)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count(True) == 25


def test_counters_fall_back_to_memory_when_redis_dies(redis_proxy):  # noqa: F811
    proxy, url = redis_proxy
    tiers = FallbackCache(url, {"TIMEOUT": 60, "OPTIONS": {"retry_after": 30}})
    tiers.delete("t:cur")
    assert tiers.incr_and_get("t:cur", "t:prev", timeout=60) == (1, 0)
    assert tiers.incr_and_get("t:cur", "t:prev", timeout=60) == (2, 0)
    assert tiers.status == "redis"

    proxy.kill()
    assert tiers.incr_and_get("t:cur", "t:prev", timeout=60) == (1, 0)  # memory starts afresh, no exception
    assert tiers.incr_and_get("t:cur", "t:prev", timeout=60) == (2, 0)
    assert tiers.status == "memory-fallback"


def test_memory_only_counters_read_the_previous_window():
    memory = FallbackCache("", {"TIMEOUT": 60})
    memory.incr_and_get("m:prev", "m:older", timeout=60)
    memory.incr_and_get("m:prev", "m:older", timeout=60)
    assert memory.incr_and_get("m:cur", "m:prev", timeout=60) == (1, 2)


@pytest.fixture(autouse=True)
def _fresh_counters():
    cache.clear()
    yield
    cache.clear()


def test_summary_is_kept_per_process_briefly_in_front_of_the_shared_cache(client, db, monkeypatch):
    from albums.models import Artist
    from common import selectors

    first = client.get("/api/v1/summary").json()
    Artist.objects.create(name="Fresh Artist", slug="fresh-artist")
    cache.clear()  # even with the shared copy gone, this process answers from its memo for a few seconds
    assert client.get("/api/v1/summary").json() == first

    monkeypatch.setattr(selectors, "SUMMARY_MEMO_SECONDS", 0.0)
    selectors._summary_memo.clear()
    counted = client.get("/api/v1/summary").json()["catalogue"]
    assert counted["artists"] == first["catalogue"].get("artists", 0) + 1


def test_a_made_up_forwarded_for_header_does_not_buy_a_fresh_budget(clock):
    throttle = ClientRateThrottle("2/m")
    spoofed = [RequestFactory().get("/api/v1/x", REMOTE_ADDR="203.0.113.50", HTTP_X_FORWARDED_FOR=f"10.9.9.{i}")
               for i in range(3)]
    assert [throttle.allow_request(r) for r in spoofed] == [True, True, False]


def test_counters_make_one_command_that_sets_the_window_expiry_once(redis_proxy):  # noqa: F811
    """INCR, the expiry and both reads run as one script on the server: one command, one reply."""
    import redis

    proxy, url = redis_proxy
    tiers = FallbackCache(url, {"TIMEOUT": 60, "OPTIONS": {"retry_after": 30}})
    tiers.delete("t:win")
    raw = redis.Redis.from_url(url)
    before = raw.info("commandstats").get("cmdstat_evalsha", {}).get("calls", 0)
    assert tiers.incr_and_get("t:win", "t:none", timeout=90, also="t:none") == (1, 0, 0)
    assert tiers.incr_and_get("t:win", "t:none", timeout=90, also="t:none") == (2, 0, 0)
    stats = raw.info("commandstats")
    assert stats["cmdstat_evalsha"]["calls"] - before == 2
    assert 0 < raw.ttl(tiers._redis.make_key("t:win")) <= 90


def test_counters_load_the_script_when_the_server_does_not_know_it(redis_proxy, monkeypatch):  # noqa: F811
    """A server that restarted (or never saw the script) answers NOSCRIPT: the script is sent with EVAL."""
    proxy, url = redis_proxy
    tiers = FallbackCache(url, {"TIMEOUT": 60, "OPTIONS": {"retry_after": 30}})
    tiers.delete("t:noscript")
    tiers.set("t:older", 4)
    monkeypatch.setattr("common.cache._INCR_AND_GET_SHA", b"0" * 40)  # a digest no server has
    assert tiers.incr_and_get("t:noscript", "t:older", timeout=60) == (1, 4)
    assert tiers.incr_and_get("t:noscript", "t:older", timeout=60) == (2, 4)
    assert tiers.status == "redis"  # answered by Redis, not the memory tier
