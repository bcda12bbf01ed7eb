"""The seed's metrics: staff-only page and API, counting requests, cache hits and errors."""
import pytest
from django.core.cache import cache

from common.metrics import metrics

pytestmark = pytest.mark.django_db


def test_metrics_api_is_staff_only(client, owner_api, staff_api):
    assert client.get("/api/v1/metrics").status_code == 401
    assert client.get("/api/v1/metrics", **owner_api).status_code == 403
    assert client.get("/api/v1/metrics", **staff_api).status_code == 200


def test_metrics_count_requests_cache_and_errors(client, staff_api):
    client.post("/api/v1/metrics/reset", **staff_api)
    client.get("/health")
    client.get("/no/such/page/")
    cache.set("k", 1)
    cache.get("k")
    cache.get("missing-key")
    snapshot = client.get("/api/v1/metrics", **staff_api).json()
    assert snapshot["total_requests"] >= 3  # health, 404, reset (the GET itself is counted after)
    assert snapshot["cache_hits"] >= 1 and snapshot["cache_misses"] >= 1
    assert "GET /health" in snapshot["endpoints"]
    assert snapshot["endpoints"]["GET /health"]["hits"] == 1
    assert snapshot["max_response_ms"] >= snapshot["avg_response_ms"] > 0


def test_metrics_reset_clears_counts(client, staff_api):
    client.get("/health")
    assert client.post("/api/v1/metrics/reset", **staff_api).status_code == 200
    assert metrics.snapshot()["total_requests"] <= 1


def test_staff_metrics_page_hidden_from_outsider(outsider_client, staff_client):
    assert outsider_client.get("/staff/metrics/").status_code == 302  # to the admin login
    page = staff_client.get("/staff/metrics/")
    assert page.status_code == 200 and b"Cache hits" in page.content
