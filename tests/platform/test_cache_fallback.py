"""Redis first, in-process memory while Redis is unreachable: the site keeps serving."""
import time
from urllib.parse import urlsplit

import pytest
from django.conf import settings as django_settings

from common.cache import FallbackCache
from tests.tcp_proxy import TcpProxy, redis_reachable


def _redis_target():
    url = django_settings.REDIS_URL or "redis://127.0.0.1:6379/0"
    parts = urlsplit(url)
    if not redis_reachable(parts.hostname or "127.0.0.1", parts.port or 6379):
        pytest.skip("no Redis server reachable for the fallback drill (CI always has one)")
    return parts.hostname or "127.0.0.1", parts.port or 6379, (parts.path or "/0")


@pytest.fixture
def redis_proxy():
    host, port, db = _redis_target()
    proxy = TcpProxy(host, port)
    yield proxy, f"redis://127.0.0.1:{proxy.port}{db}"
    proxy.kill()


def test_fallback_cache_uses_redis_then_memory_when_connection_killed(redis_proxy):
    proxy, url = redis_proxy
    cache = FallbackCache(url, {"TIMEOUT": 60, "OPTIONS": {"retry_after": 30}})
    cache.set("fallback:k", "from-redis")
    assert cache.get("fallback:k") == "from-redis"
    assert cache.status == "redis"

    proxy.kill()
    start = time.perf_counter()
    assert cache.get("fallback:k") is None  # Redis gone: a miss from memory, not an exception
    cache.set("fallback:k2", "from-memory")
    assert cache.get("fallback:k2") == "from-memory"
    assert cache.status == "memory-fallback"
    assert time.perf_counter() - start < 2.0  # one short socket timeout, then memory


def test_site_keeps_serving_and_health_degrades_when_redis_dies(redis_proxy, owner_client, settings):
    client = owner_client
    proxy, url = redis_proxy
    settings.CACHES = {"default": {"BACKEND": "common.cache.FallbackCache", "LOCATION": url,
                                   "OPTIONS": {"retry_after": 30}}}
    settings.METRICS_TOKEN = "scraper-token"  # the per-check details are for operators
    operator = {"HTTP_AUTHORIZATION": "Bearer scraper-token"}
    assert client.get("/health", **operator).json()["checks"]["cache"]["tier"] == "redis"
    proxy.kill()
    for path in ("/", "/concerts/", "/tracks/", "/account/", "/api/v1/summary", "/api/v1/openapi.json"):
        assert client.get(path).status_code == 200, path
    health = client.get("/health", **operator)
    assert health.status_code == 200
    body = health.json()
    assert body["status"] == "degraded"
    assert body["checks"]["cache"]["ok"] is False
    assert body["checks"]["database"]["ok"] is True


def test_outage_pause_is_shared_by_every_instance_in_the_process(redis_proxy):
    """Django builds a cache backend per request under ASGI: the one built after a failure must not try
    Redis again (one socket timeout per pause, not one per request), nor build its own client."""
    proxy, url = redis_proxy
    params = {"TIMEOUT": 60, "OPTIONS": {"retry_after": 30}}
    first = FallbackCache(url, params)
    first.set("fallback:shared", "from-redis")
    second = FallbackCache(url, params)
    assert second._redis is first._redis
    assert second.get("fallback:shared") == "from-redis"

    proxy.kill()
    assert first.get("fallback:shared") is None  # the failure that starts the pause
    assert FallbackCache(url, params).status == "memory-fallback"
