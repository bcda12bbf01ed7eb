"""The recommend page spends the per-client external budget when the seed must come from Spotify; stored
seeds and bad links never do."""
import pytest

from .conftest import ROCK_SEED

TRACK = "3SVAN3BRByDmHOhKyIDxfC"
OTHER = "4uLU6hMCjMI75M1A2tKUQC"


@pytest.fixture
def one_call_a_minute(settings):
    settings.API_EXTERNAL_RATE = "1/m"


def test_recommend_page_unknown_seed_past_the_budget_gets_429(spotify_settings, catalogue, client, one_call_a_minute):
    spotify_settings.add(f"/v1/tracks/{TRACK}", status=404, body=b'{"error": {"status": 404}}')
    first = client.get("/recommend/", {"url": f"spotify:track:{TRACK}"})
    limited = client.get("/recommend/", {"url": f"spotify:track:{OTHER}"})

    assert first.status_code == 404  # Spotify was asked, and has no such track
    assert limited.status_code == 429 and int(limited["Retry-After"]) >= 1
    assert spotify_settings.requests_to(f"/v1/tracks/{OTHER}") == []  # the limited visit never reached Spotify


def test_recommend_page_stored_seed_costs_no_budget(catalogue, client, one_call_a_minute):
    client.get("/recommend/", {"url": f"spotify:track:{TRACK}"})  # spends the one call
    stored = client.get("/recommend/", {"url": f"spotify:track:{ROCK_SEED}"})

    assert stored.status_code == 200
    assert "Indie-Rock" in stored.content.decode()


@pytest.mark.parametrize("url", [f"spotify:track:{ROCK_SEED}\n", f"https://open.spotify.com/track/{ROCK_SEED}\n/x",
                                 f"spotify:track:{ROCK_SEED[:21]}\n"])
def test_recommend_page_bad_link_is_422_and_costs_no_budget(catalogue, client, one_call_a_minute, url):
    for _ in range(2):
        response = client.get("/recommend/", {"url": url + "junk"})
        assert response.status_code == 422
