"""AOTY's two side requests (album stats and credits): POSTed, parsed, stored, shown lazily."""
from __future__ import annotations

import pytest

from albums import services
from common.exceptions import ServiceUnavailable
from tests.albums.conftest import html_route

STATS, CREDITS = "/scripts/moreStatsAlbum.php", "/scripts/showAlbumCredits.php"


@pytest.fixture
def fragments(aoty, aoty_data):
    aoty.add(STATS, method="POST", file=aoty_data / "stats_fragment.html", content_type="text/html")
    aoty.add(CREDITS, method="POST", file=aoty_data / "credits_fragment.html", content_type="text/html")
    return aoty


def test_album_extras_fetch_posts_album_id_and_stores_stats_and_credits(stored_album, fragments):
    album = services.album_extras_fetch(album_id=stored_album.pk)

    assert album.stats == {"favorites": 12, "likes": 1034, "listens": 5210, "in_library": 640, "lists": 88}
    assert list(album.credits) == ["Performers", "Production & Engineering"]
    assert album.credits["Production & Engineering"][0] == {"name": "June Okafor", "roles": ["Producer", "Mixing Engineer"],
                                                           "aoty_id": 77010}
    for path in (STATS, CREDITS):
        request = fragments.requests_to(path, method="POST")[0]
        assert request.body == b"albumID=900001"
        assert request.headers["X-Requested-With"] == "XMLHttpRequest"


@pytest.mark.shared_fixtures
def test_album_extras_fetch_reads_real_fragments(stored_album, aoty, real_aoty):
    aoty.add(STATS, method="POST", file=real_aoty / "scripts_moreStatsAlbum_564912_response.html", content_type="text/html")
    aoty.add(CREDITS, method="POST", file=real_aoty / "scripts_showAlbumCredits_564912_response.html", content_type="text/html")

    album = services.album_extras_fetch(album_id=stored_album.pk)

    assert album.stats["listens"] == 21437
    assert len(album.credits["Performers"]) == 31


def test_album_extras_serve_keeps_fresh_extras_without_requests(stored_album, fragments):
    services.album_extras_serve(album_id=stored_album.pk)
    fragments.requests.clear()

    served = services.album_extras_serve(album_id=stored_album.pk)

    assert served.obj.stats["likes"] == 1034 and fragments.requests == []


def test_album_extras_serve_blocked_with_nothing_stored_is_unavailable(stored_album, aoty, aoty_data):
    html_route(aoty, STATS, aoty_data / "challenge.html", method="POST", status=403)

    with pytest.raises(ServiceUnavailable):
        services.album_extras_serve(album_id=stored_album.pk)


def test_album_extras_view_returns_partial_for_htmx(client, stored_album, fragments):
    response = client.get(f"/albums/{stored_album.pk}/extras/", HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html and "1,034" in html and "June Okafor" in html


def test_album_extras_view_blocked_says_so_without_500(client, stored_album, aoty, aoty_data):
    html_route(aoty, STATS, aoty_data / "challenge.html", method="POST", status=403)

    response = client.get(f"/albums/{stored_album.pk}/extras/", HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    assert "blocking automated access" in response.content.decode()


def test_album_api_includes_stored_stats_and_credits(client, stored_album, fragments):
    services.album_extras_fetch(album_id=stored_album.pk)

    body = client.get(f"/api/v1/albums/{stored_album.pk}").json()

    assert body["stats"]["listens"] == 5210
    assert body["credits"]["Performers"][1]["name"] == "Mara Vale"
