"""Spotify links are validated whole (fullmatch): a newline inside or after the id is a 422 naming the
field, never a 500, and never reaches Spotify."""
import pytest

TRACK = "3SVAN3BRByDmHOhKyIDxfC"


@pytest.mark.parametrize("url", [f"https://open.spotify.com/track/{TRACK}\n/", f"https://open.spotify.com/track/{TRACK}\n?si=1",
                                 f"spotify:track:{TRACK}\nx"])
def test_recommend_api_link_with_inner_newline_is_422(spotify_settings, catalogue, client, url):
    response = client.post("/api/v1/recommend", data={"url": url}, content_type="application/json")

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][-1] == "url"
    assert [r for r in spotify_settings.requests if r.path.startswith("/v1/")] == []


def test_recommend_api_playlist_import_with_inner_newline_is_422(spotify_settings, owner_api, client, db):
    response = client.post("/api/v1/recommend/playlists", data={"url": f"https://open.spotify.com/playlist/{TRACK}\n/"},
                           content_type="application/json", **owner_api)

    assert response.status_code == 422
    assert [r for r in spotify_settings.requests if r.path.startswith("/v1/")] == []


def test_recommend_api_over_long_url_is_422_naming_the_field(client, db):
    response = client.post("/api/v1/recommend", data={"url": "spotify:track:" + "x" * 600},
                           content_type="application/json")

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][-1] == "url"
