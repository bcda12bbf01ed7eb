"""The albums and AOTY-users API: shapes, validation, 404/503, the scraping rate limit."""
from __future__ import annotations

import pytest

from albums import services
from albums.models import Album
from tests.albums.conftest import ALBUM_PATH, html_route


def test_album_get_returns_album_with_tracks_reviews_and_similar(client, stored_album):
    response = client.get(f"/api/v1/albums/{stored_album.pk}")

    assert response.status_code == 200
    body = response.json()
    assert (body["id"], body["aoty_id"], body["title"], body["artist"]) == (stored_album.pk, 900001, "Night Ferry", "Harbour Lights")
    assert (body["critic_score"], body["critic_count"], body["user_score"], body["user_count"]) == (81, 4, 78, 1207)
    assert [t["title"] for t in body["tracks"]] == ["Departures", "Foghorn", "Arrivals"]
    assert body["tracks"][1]["featured_artists"] == ["Mara Vale"] and body["tracks"][0]["length"] == "4:12"
    assert [r["publication"] for r in body["critic_reviews"]][:2] == ["The Line of Best Fit", "DIY"]
    assert {r["section"] for r in body["user_reviews"]} == {"popular", "recent"}
    assert [s["title"] for s in body["similar"]] == ["everything is alive", "Once Twice Melody", "Heaven or Las Vegas"]
    assert body["genres"] == ["Dream Pop", "Shoegaze"] and body["secondary_genres"] == ["Slowcore"]
    assert [link["name"] for link in body["stream_links"]] == ["Spotify", "Bandcamp"]
    assert body["must_hear"] is True and body["stale"] is False


def test_album_get_unknown_is_404(client, db):
    response = client.get("/api/v1/albums/999999")

    assert response.status_code == 404
    assert response.json() == {"detail": "No such album."}


def test_album_get_stub_blocked_is_503_with_retry_after(client, aoty, aoty_data, db):
    stub = Album.objects.create(aoty_id=900002, slug="slowdive-everything-is-alive", title="everything is alive",
                                url="https://www.albumoftheyear.org/album/900002-slowdive-everything-is-alive.php")
    html_route(aoty, "/album/900002-slowdive-everything-is-alive.php", aoty_data / "challenge.html", status=403)

    response = client.get(f"/api/v1/albums/{stub.pk}")

    assert response.status_code == 503
    assert int(response["Retry-After"]) > 0
    assert "blocking" in response.json()["detail"]


def test_album_get_stored_but_blocked_refresh_serves_stored_with_notice(client, stored_album, aoty, aoty_data):
    aoty.reset()
    html_route(aoty, ALBUM_PATH, aoty_data / "challenge.html", status=403)

    response = client.get(f"/api/v1/albums/{stored_album.pk}?refresh=true")

    assert response.status_code == 200
    body = response.json()
    assert body["title"] == "Night Ferry" and body["stale"] is True
    assert body["notice"].startswith("AOTY is blocking automated access right now, showing data from")


def test_album_similar_respects_limit(client, stored_album):
    response = client.get(f"/api/v1/albums/{stored_album.pk}/similar?limit=2")

    assert response.status_code == 200
    assert [s["aoty_id"] for s in response.json()["similar"]] == [900002, 900003]


@pytest.mark.parametrize("limit", [0, 11, "many"])
def test_album_similar_rejects_bad_limit(client, stored_album, limit):
    response = client.get(f"/api/v1/albums/{stored_album.pk}/similar?limit={limit}")

    assert response.status_code == 422
    assert isinstance(response.json()["detail"], list)


def test_album_search_returns_albums_and_artists(client, aoty, aoty_data, db):
    aoty.add("/search/", file=aoty_data / "search_small.html", content_type="text/html")

    response = client.get("/api/v1/albums/search?query=night%20ferry&limit=1")

    assert response.status_code == 200
    body = response.json()
    assert [a["aoty_id"] for a in body["albums"]] == [900001]
    assert [a["name"] for a in body["artists"]] == ["Harbour Lights"]
    assert body["from_aoty"] is True


def test_album_search_without_match_is_404(client, aoty, aoty_data, db):
    aoty.add("/search/", file=aoty_data / "search_empty.html", content_type="text/html")

    response = client.get("/api/v1/albums/search?query=zzqx")

    assert response.status_code == 404


@pytest.mark.parametrize("query", ["query=", "query=a&limit=21", "query=a&limit=0", ""])
def test_album_search_rejects_bad_parameters(client, db, query):
    assert client.get(f"/api/v1/albums/search?{query}").status_code == 422


def test_album_lookup_returns_album(client, aoty, aoty_data, db):
    aoty.add("/search/albums/", file=aoty_data / "search_small.html", content_type="text/html")
    html_route(aoty, ALBUM_PATH, aoty_data / "album_small.html")

    response = client.get("/api/v1/albums/lookup?artist=Harbour%20Lights&album=Night%20Ferry")

    assert response.status_code == 200
    assert response.json()["aoty_id"] == 900001 and len(response.json()["tracks"]) == 3


def test_album_lookup_requires_both_parameters(client, db):
    assert client.get("/api/v1/albums/lookup?artist=Harbour").status_code == 422


def test_album_lookup_blocked_with_nothing_stored_is_503(client, aoty, aoty_data, db):
    aoty.add("/search/albums/", file=aoty_data / "challenge.html", status=403, content_type="text/html")

    response = client.get("/api/v1/albums/lookup?artist=Harbour&album=Night")

    assert response.status_code == 503 and int(response["Retry-After"]) > 0


def test_discover_returns_list_entries(client, aoty, aoty_data, db):
    aoty.add("/releases/", file=aoty_data / "grid_small.html", content_type="text/html")

    response = client.get("/api/v1/albums/discover/releases")

    assert response.status_code == 200
    body = response.json()
    assert (body["key"], body["title"], body["page"], body["has_next"]) == ("releases", "New releases", 1, True)
    assert [i["album"]["title"] for i in body["items"]] == ["Night Ferry", "Static Bloom"]


def test_discover_unknown_list_is_404_and_bad_page_422(client, db):
    assert client.get("/api/v1/albums/discover/nonsense").status_code == 404
    assert client.get("/api/v1/albums/discover/releases?page=0").status_code == 422


def test_scraping_endpoints_return_429_on_the_31st_call_in_a_minute(client, stored_album):
    url = f"/api/v1/albums/{stored_album.pk}"
    statuses = [client.get(url).status_code for _ in range(31)]

    assert statuses[:30] == [200] * 30
    assert statuses[30] == 429


def test_aoty_metrics_are_staff_only(client, outsider_client, outsider_api, staff_client, stored_album):
    assert client.get("/api/v1/metrics").status_code == 401
    assert outsider_client.get("/api/v1/metrics").status_code in (401, 403)
    assert client.get("/api/v1/metrics", **outsider_api).status_code == 403
    response = staff_client.get("/api/v1/metrics")
    assert response.status_code == 200
    assert "aoty.scrape.album" in response.json()["timings"]
    assert outsider_client.get("/staff/metrics/").status_code in (302, 403, 404)


def test_album_similar_tops_up_from_the_full_similar_page_once(client, stored_album, aoty, aoty_data):
    similar_path = "/album/900001-harbour-lights-night-ferry/similar/"
    html_route(aoty, similar_path, aoty_data / "similar_page.html")

    first = client.get(f"/api/v1/albums/{stored_album.pk}/similar?limit=10").json()
    second = client.get(f"/api/v1/albums/{stored_album.pk}/similar?limit=10").json()

    assert [s["aoty_id"] for s in first["similar"]] == [900002, 900003, 900004, 900007, 900008]
    assert second["similar"] == first["similar"]
    assert len(aoty.requests_to(similar_path)) == 1


def test_album_similar_without_a_similar_page_serves_the_block(client, stored_album, aoty):
    response = client.get(f"/api/v1/albums/{stored_album.pk}/similar?limit=10")

    assert response.status_code == 200
    assert [s["aoty_id"] for s in response.json()["similar"]] == [900002, 900003, 900004]


def test_album_api_includes_stored_stats_and_credits(client, stored_album, fragments):
    services.album_extras_fetch(album_id=stored_album.pk)

    body = client.get(f"/api/v1/albums/{stored_album.pk}").json()

    assert body["stats"]["listens"] == 5210
    assert body["credits"]["Performers"][1]["name"] == "Mara Vale"


@pytest.mark.parametrize(("params", "field"), [
    ({"artist": "a" * 301, "album": "x"}, "artist"), ({"artist": "x", "album": "b" * 301}, "album"),
])
def test_album_lookup_over_long_text_is_422_naming_the_field(client, aoty, db, params, field):
    response = client.get("/api/v1/albums/lookup", params)

    assert response.status_code == 422
    assert field in response.json()["detail"][0]["loc"]
    assert aoty.requests == []


def test_album_search_over_long_query_is_422_naming_the_field(client, aoty, db):
    response = client.get("/api/v1/albums/search", {"query": "q" * (services.SEARCH_QUERY_MAX + 1)})

    assert response.status_code == 422 and "query" in response.json()["detail"][0]["loc"]
    assert aoty.requests == []


def test_aoty_user_api_over_long_username_is_422_naming_the_field(client, aoty, db):
    response = client.get("/api/v1/aoty-users/" + "u" * 61)

    assert response.status_code == 422 and response.json()["detail"][0]["loc"][-1] == "username"
    assert aoty.requests == []
