"""Every endpoint with hostile or malformed parameters answers the protocol's own failure (or a clean HTTP
error for media), never a 500, and changes nothing."""
from __future__ import annotations

import json

import pytest

from subsonic.views import ENDPOINTS
from tests.subsonic.conftest import owner_auth

HOSTILE = {"id": "so-Li4vLi4vZXRjL3Bhc3N3ZA", "albumId": "al--1", "artistId": "ar-" + "x" * 400, "size": "-5",
           "offset": "1e9", "count": "NaN", "type": "byYear", "fromYear": "x", "toYear": "2000", "query": "%' OR 1=1 --",
           "rating": "9", "playlistId": "99999999999999999999", "songId": "so-" + "A" * 2000, "name": "n" * 600,
           "songIndexToRemove": "-1", "current": "so-bm9wZQ", "position": "-3", "time": "abc", "username": "../admin",
           "startSongId": "su-0", "endSongId": "\x00", "musicFolderId": "7", "genre": "Live"}


@pytest.mark.parametrize("method", sorted(ENDPOINTS))
def test_endpoint_survives_hostile_parameters(client, library, owner, owner_app_password, method):
    from subsonic.models import Play, Playlist, Star

    for params in (HOSTILE, {}):
        response = client.get(f"/rest/{method}", {**owner_auth(), "f": "json", **params})
        assert response.status_code in (200, 404, 416, 502, 503), (method, response.status_code)
        if response.get("Content-Type", "").startswith("application/json"):
            body = json.loads(response.content)["subsonic-response"]
            assert body["status"] in ("ok", "failed")
    assert not Star.objects.exists() and not Playlist.objects.exists() and not Play.objects.exists()
