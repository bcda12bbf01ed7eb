"""/metrics and /health: the status for everyone, the internals for staff or the scraper's token."""
from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db

TOKEN = "scrape-me-0123456789"


@pytest.fixture(autouse=True)
def _metrics_token(settings):
    settings.METRICS_TOKEN = TOKEN


def test_metrics_refuses_anonymous_and_a_wrong_token(client):
    assert client.get("/metrics").status_code == 401
    response = client.get("/metrics", HTTP_AUTHORIZATION="Bearer not-the-token")
    assert response.status_code == 401
    assert b"django_http_requests" not in response.content


def test_metrics_refuses_a_signed_in_non_staff_user(owner_client):
    response = owner_client.get("/metrics")
    assert response.status_code == 401
    assert b"django_http_requests" not in response.content


def test_metrics_serves_staff_and_the_scraper_token(staff_client, client):
    assert b"django_http_requests" in staff_client.get("/metrics").content
    scraped = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert scraped.status_code == 200 and b"django_http_requests" in scraped.content


def test_metrics_without_a_configured_token_is_staff_only(client, settings):
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 401


def test_health_gives_everyone_the_status_only(client, owner_client):
    for c in (client, owner_client):
        response = c.get("/health")
        assert response.status_code == 200
        assert set(response.json()) == {"status"}


def test_health_details_for_staff_and_the_token(staff_client, client):
    for response in (staff_client.get("/health"), client.get("/health", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")):
        assert set(response.json()["checks"]) == {"database", "cache", "broker", "channel_layer"}
