"""The dashboard and stats figures, and what the OpenAPI document lists for tracks."""
from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db
API = "/api/v1/tracks"


def test_dashboard_and_stats_api(client, owner_api, make_song):
    make_song("A", "X", status="In Progress")
    make_song("B", "X", status="Released")

    dashboard = client.get(f"{API}/dashboard", **owner_api).json()
    stats = client.get(f"{API}/stats", **owner_api).json()

    assert dashboard["counts"] == {"Future Plans": 0, "In Progress": 1, "Released": 1} and dashboard["total"] == 2
    assert stats["released"] == 1 and stats["in_progress"] == 1 and stats["songs"] == 2


def test_openapi_schema_lists_tracks_operations(client):
    response = client.get("/api/v1/openapi.json")

    assert response.status_code == 200
    paths = response.json()["paths"]
    assert {"/api/v1/tracks/songs", "/api/v1/tracks/songs/batch", "/api/v1/tracks/packs/{pack_id}/release",
            "/api/v1/tracks/collaborations/{collaboration_id}/accept", "/api/v1/tracks/workflow/order"} <= set(paths)
