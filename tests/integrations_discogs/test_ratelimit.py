"""The shared moving-window limiter never lets more than the budget through in any 60 s window."""
from __future__ import annotations

import threading

import pytest
from django.conf import settings

from integrations.discogs import ratelimit
from integrations.discogs.ratelimit import LocalWindowBackend, RateLimiter, RedisWindowBackend
from integrations.errors import RateLimited


class FakeClock:
    """A clock shared by the workers; sleeping advances it (no real waiting)."""

    def __init__(self, start: float = 1_000_000.0) -> None:
        self.now = start
        self.lock = threading.Lock()

    def time(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        with self.lock:
            self.now += seconds


def _max_in_window(stamps: list[float], window: float) -> int:
    stamps = sorted(stamps)
    best, start = 0, 0
    for end, t in enumerate(stamps):
        while stamps[start] <= t - window:
            start += 1
        best = max(best, end - start + 1)
    return best


def _backends():
    backends = [pytest.param(LocalWindowBackend, id="local")]
    if settings.REDIS_URL:
        backends.append(pytest.param(lambda: RedisWindowBackend(ratelimit.redis_client()), id="redis"))
    return backends


@pytest.fixture(autouse=True)
def _clean_windows():
    from tests.digger.fixtures import reset_limiter

    reset_limiter()
    yield
    reset_limiter()


@pytest.mark.parametrize("make_backend", _backends())
def test_two_workers_never_exceed_the_budget_in_any_window(make_backend):
    clock = FakeClock()
    backend = make_backend()
    workers = [RateLimiter(backend=backend, window=60, limits={"all": 60, "anon": 25}, margin=0.0,
                           clock=clock.time, sleep=clock.sleep) for _ in range(2)]
    stamps: list[float] = []
    for i in range(300):  # the two workers take turns asking, as two processes would
        workers[i % 2].acquire("auth")
        stamps.append(clock.now)
        clock.now += 0.05  # the request itself takes a little time
    assert _max_in_window(stamps, 60.0) == 60
    # 300 requests at 60 per moving minute need at least 4 full windows: the floor, not much more.
    assert 240 <= stamps[-1] - stamps[0] <= 250


@pytest.mark.parametrize("make_backend", _backends())
def test_two_threads_share_one_window(make_backend):
    clock = FakeClock()
    backend = make_backend()
    stamps: list[float] = []
    lock = threading.Lock()

    def worker():
        limiter = RateLimiter(backend=backend, window=60, limits={"all": 10, "anon": 5}, margin=0.0,
                              clock=clock.time, sleep=clock.sleep)
        for _ in range(15):
            limiter.acquire("auth")
            with lock:
                stamps.append(limiter.last_granted_at)  # the time the granted slot was recorded at

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(stamps) == 30
    assert _max_in_window(stamps, 60.0) <= 10


def test_anonymous_calls_have_their_own_smaller_budget_inside_the_total():
    clock = FakeClock()
    limiter = RateLimiter(backend=LocalWindowBackend(), window=60, limits={"all": 60, "anon": 25}, margin=0.0,
                          clock=clock.time, sleep=clock.sleep)
    anon = []
    for _ in range(30):
        limiter.acquire("anon")
        anon.append(clock.now)
    assert _max_in_window(anon, 60.0) == 25
    for _ in range(35):  # the window still holds 5 anonymous calls, so 55 authenticated fit at once
        limiter.acquire("auth")
    assert clock.now == anon[-1]


def test_pause_from_retry_after_blocks_other_workers():
    clock = FakeClock()
    backend = LocalWindowBackend()
    a = RateLimiter(backend=backend, clock=clock.time, sleep=clock.sleep)
    b = RateLimiter(backend=backend, clock=clock.time, sleep=clock.sleep)
    a.pause(12)
    assert b.acquire("auth") == pytest.approx(12)


def test_max_wait_raises_rate_limited_instead_of_blocking():
    clock = FakeClock()
    limiter = RateLimiter(backend=LocalWindowBackend(), window=60, limits={"all": 1, "anon": 1}, margin=0.0,
                          clock=clock.time, sleep=clock.sleep, max_wait=5)
    limiter.acquire("auth")
    with pytest.raises(RateLimited) as info:
        limiter.acquire("auth")
    assert info.value.retry_after == pytest.approx(60)


def test_default_backend_is_redis_when_configured_else_process_local(settings):
    backend = ratelimit.default_backend()
    if settings.REDIS_URL:
        assert isinstance(backend, RedisWindowBackend)
    else:
        assert backend is ratelimit._local_backend


@pytest.mark.parametrize("make_backend", _backends())
def test_a_slow_request_counts_from_its_response(make_backend):
    clock = FakeClock()
    limiter = RateLimiter(backend=make_backend(), window=60, limits={"all": 2, "anon": 2}, margin=0.0,
                          clock=clock.time, sleep=clock.sleep)
    start = clock.now
    limiter.acquire("auth")          # A, answered only 10 s later
    clock.now += 10
    limiter.done()
    limiter.acquire("auth")          # B, answered at once
    limiter.done()
    clock.now = start + 60.5         # A's grant is 60.5 s old, but its response only 50.5 s
    assert limiter.acquire("auth") == pytest.approx(9.5)  # waits until A's response leaves the window
    assert clock.now == pytest.approx(start + 70)


def test_unreachable_redis_degrades_to_the_process_local_window():
    class Down:
        def try_acquire(self, **kwargs):
            raise ConnectionError("redis is down")

    clock = FakeClock()
    limiter = RateLimiter(backend=Down(), window=60, limits={"all": 2, "anon": 2}, margin=0.0,
                          clock=clock.time, sleep=clock.sleep)
    limiter.acquire("auth")
    assert limiter.backend is ratelimit._local_backend
    limiter.acquire("auth")
    assert limiter.acquire("auth") == pytest.approx(60)  # the local window still enforces the budget
