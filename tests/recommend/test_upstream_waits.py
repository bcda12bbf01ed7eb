"""Waiting on Spotify's Retry-After: a web request answers 503 with Retry-After at once (never held
more than 5 s), while work outside a request (background jobs) does the waiting."""
import time

import pytest

from integrations.spotify.client import SpotifyClient

TRACK = "3SVAN3BRByDmHOhKyIDxfC"


@pytest.fixture
def production_waits(settings):
    # the production defaults: three retries, 1 s backoff, up to 30 s of inline waiting for a worker
    settings.INTEGRATION_MAX_RETRIES = 3
    settings.INTEGRATION_BACKOFF_BASE = 1.0
    settings.INTEGRATION_MAX_INLINE_WAIT = 30.0
    settings.INTEGRATION_MAX_WEB_WAIT = 5.0


def test_recommend_api_spotify_retry_after_answers_503_at_once(spotify_settings, catalogue, client, production_waits):
    spotify_settings.add(f"/v1/tracks/{TRACK}", fault="429", retry_after=7)
    start = time.monotonic()
    response = client.post("/api/v1/recommend", data={"url": f"spotify:track:{TRACK}"},
                           content_type="application/json")
    elapsed = time.monotonic() - start

    assert response.status_code == 503
    assert int(response["Retry-After"]) >= 7
    assert "detail" in response.json()
    assert elapsed < 5
    assert len(spotify_settings.requests_to(f"/v1/tracks/{TRACK}")) == 1  # no retry held the request


def test_recommend_page_spotify_retry_after_answers_503_at_once(spotify_settings, catalogue, client, production_waits):
    spotify_settings.add(f"/v1/tracks/{TRACK}", fault="429", retry_after=7)
    start = time.monotonic()
    response = client.get("/recommend/", {"url": f"https://open.spotify.com/track/{TRACK}"})

    assert time.monotonic() - start < 5
    assert response.status_code == 503
    assert int(response["Retry-After"]) >= 7
    assert "rate-limiting" in response.content.decode()


def test_spotify_client_outside_a_request_waits_out_retry_after(spotify_settings, production_waits, data_dir):
    spotify_settings.add(f"/v1/tracks/{TRACK}", fault="429", retry_after=1, times=1)
    spotify_settings.add(f"/v1/tracks/{TRACK}", file=data_dir / "spotify" / "track.json")
    start = time.monotonic()

    track = SpotifyClient().get_track(TRACK)

    assert track.id == TRACK
    assert time.monotonic() - start >= 1.0
    assert len(spotify_settings.requests_to(f"/v1/tracks/{TRACK}")) == 2
