"""Archive search and item endpoints and pages: caching, history, validation, grouping, browsing, staff cache."""
from __future__ import annotations

import pytest

from archive.models import SearchHistory
from common.models import SearchLog

from .conftest import ITEM, TRACKS


@pytest.fixture
def search_route(ia):
    ia.replay.add("/advancedsearch.php", file=ia.folder / "advancedsearch_testtapers.json")
    return ia


def test_search_api_returns_results_and_caches_them(client, owner_api, search_route, owner):
    params = {"artist": "Test Tapers", "year": 2001, "sort": "date"}
    first = client.get("/api/v1/archive/search", params, **owner_api)
    assert first.status_code == 200, first.content
    body = first.json()
    assert body["total"] == 2 and body["cached"] is False
    doc = body["results"][0]
    assert doc["identifier"] == ITEM and doc["source_type"] == "SBD" and doc["avg_rating"] == 4.5
    assert body["results"][1]["source_type"] == "AUD"
    second = client.get("/api/v1/archive/search", params, **owner_api).json()
    assert second["cached"] is True and second["results"] == body["results"]
    (request,) = search_route.replay.requests_to("/advancedsearch.php")
    query = request.param("q")
    assert 'creator:"Test Tapers"' in query and "year:2001" in query and "NOT collection:stream_only" in query
    assert SearchLog.objects.filter(section="archive").count() == 2
    history = SearchHistory.objects.get(user=owner)
    assert history.uses == 2 and history.params == {"artist": "Test Tapers", "year": 2001, "sort": "date"}


def test_search_date_filters_build_ranges(client, search_route):
    client.get("/api/v1/archive/search", {"range": "7d", "date_from": "1977-01-01", "date_to": "1977-12-31"})
    query = search_route.replay.requests_to("/advancedsearch.php")[0].param("q")
    assert "date:[1977-01-01 TO 1977-12-31]" in query
    assert "addeddate:[" in query and "TO null]" in query


def test_search_escapes_free_text(client, search_route):
    client.get("/api/v1/archive/search", {"q": 'dark star) OR (collection:*'})
    query = search_route.replay.requests_to("/advancedsearch.php")[0].param("q")
    assert "\\)" in query and "\\(" in query and "collection\\:\\*" in query


@pytest.mark.parametrize("params", [{"sort": "random"}, {"range": "2w"}, {"year": 1200}, {"rows": 500},
                                    {"date_from": "2001-02-30"}, {"page": 0}])
def test_search_rejects_bad_filters_with_422(client, search_route, params):
    response = client.get("/api/v1/archive/search", params)
    assert response.status_code == 422
    assert search_route.replay.requests_to("/advancedsearch.php") == []


def test_search_reversed_dates_are_422(client, search_route):
    response = client.get("/api/v1/archive/search", {"date_from": "2001-02-03", "date_to": "2000-01-01"})
    assert response.status_code == 422


def test_search_upstream_down_is_503_with_retry_after(client, ia):
    ia.replay.add("/advancedsearch.php", fault="503")
    response = client.get("/api/v1/archive/search", {"q": "jam"})
    assert response.status_code == 503 and int(response["Retry-After"]) > 0


def test_item_api_returns_metadata_and_grouped_files(client, ia):
    response = client.get(f"/api/v1/archive/items/{ITEM}")
    assert response.status_code == 200, response.content
    item = response.json()
    assert item["venue"] == "The Lab" and item["taper"] == "Jane Taper" and item["transferer"] == "Joe Transfer"
    assert item["lineage"] == "DAT > CD > EAC > FLAC" and item["avg_rating"] == 4.5 and item["num_reviews"] == 2
    audio = {g["format"]: g for g in item["files"]["audio"]}
    assert list(audio) == ["Flac", "VBR MP3"]
    assert [t["name"] for t in audio["VBR MP3"]["tracks"]][:3] == TRACKS  # track order
    assert audio["Flac"]["downloadable"] is False and audio["VBR MP3"]["downloadable"] is True
    assert audio["Flac"]["label"] == "FLAC" and audio["Flac"]["lossless"] is True
    assert {f["name"] for f in item["files"]["checksums"]} == {"tt2001-02-03.md5", "tt2001-02-03.ffp"}
    assert [f["name"] for f in item["files"]["text"]] == ["tt2001-02-03.txt"]
    assert [f["name"] for f in item["files"]["images"]] == ["artwork/cover.jpg"]


def test_item_api_caches_metadata(client, ia):
    client.get(f"/api/v1/archive/items/{ITEM}")
    client.get(f"/api/v1/archive/items/{ITEM}")
    assert len(ia.replay.requests_to(f"/metadata/{ITEM}")) == 1


def test_item_api_bad_identifier_is_422(client, ia):
    assert client.get("/api/v1/archive/items/bad%20id").status_code == 422
    assert ia.replay.requests == []


def test_item_api_unavailable_item_is_404(client, ia, shared_fixtures):
    name = "gd1977-05-08.sbd.hicks.4982.sbeok.shnf"
    ia.replay.add(f"/metadata/{name}", file=shared_fixtures / "internet_archive" / f"metadata_{name}_EMPTY.json")
    assert client.get(f"/api/v1/archive/items/{name}").status_code == 404


def test_item_api_serves_the_real_etree_recording(db, client, replay, settings, shared_fixtures):
    settings.IA_BASE_URL = replay.url
    gd = "gd1977-04-23.mtx.seamons.97596.sbeok.flac16"
    replay.add(f"/metadata/{gd}", file=shared_fixtures / "internet_archive" / f"metadata_{gd}.json")
    item = client.get(f"/api/v1/archive/items/{gd}").json()
    formats = [g["format"] for g in item["files"]["audio"]]
    assert formats == ["Flac", "VBR MP3", "Ogg Vorbis"]
    flac = item["files"]["audio"][0]
    assert len(flac["tracks"]) == 22 and flac["downloadable"] is False  # stream_only: FLAC is private
    assert [t["track"] for t in flac["tracks"]][:3] == [1, 2, 3]
    assert item["stream_only"] is True and item["source_type"] == "MTX"


def test_item_files_api_browses_folders(client, ia):
    top = client.get(f"/api/v1/archive/items/{ITEM}/files").json()
    assert top["directories"] == ["artwork"] and "tt2001-02-03.txt" in [f["name"] for f in top["files"]]
    sub = client.get(f"/api/v1/archive/items/{ITEM}/files", {"path": "artwork"}).json()
    assert [f["name"] for f in sub["files"]] == ["artwork/cover.jpg"]
    assert client.get(f"/api/v1/archive/items/{ITEM}/files", {"path": "nope"}).status_code == 404


def test_cache_api_is_staff_only_and_clears(client, staff_api, owner_api, ia):
    client.get(f"/api/v1/archive/items/{ITEM}")
    client.get(f"/api/v1/archive/items/{ITEM}")
    assert client.get("/api/v1/archive/cache", **owner_api).status_code == 403
    assert client.delete("/api/v1/archive/cache", **owner_api).status_code == 403
    stats = client.get("/api/v1/archive/cache", **staff_api).json()
    assert stats["entries"] == 1 and stats["hits"] == 1 and stats["misses"] == 1 and stats["size_bytes"] > 1000
    assert stats["by_kind"] == {"metadata": 1}
    cleared = client.delete("/api/v1/archive/cache", **staff_api).json()
    assert cleared["cleared"] == 1
    assert client.get("/api/v1/archive/cache", **staff_api).json()["entries"] == 0
    client.get(f"/api/v1/archive/items/{ITEM}")
    assert len(ia.replay.requests_to(f"/metadata/{ITEM}")) == 2


# -- pages ---------------------------------------------------------------------------------------------
def test_search_page_shows_results_and_history(owner_client, search_route):
    response = owner_client.get("/archive/", {"artist": "Test Tapers"})
    html = response.content.decode()
    assert response.status_code == 200
    assert f"/archive/items/{ITEM}/" in html and "The Lab" in html and "SBD" in html and "4.5" in html
    again = owner_client.get("/archive/").content.decode()
    assert "Your recent searches" in again and "artist: Test Tapers" in again


def test_search_page_htmx_returns_only_the_results_partial(owner_client, search_route):
    response = owner_client.get("/archive/", {"q": "lab"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert "archive-results" in html and "<html" not in html


def test_search_page_shows_upstream_trouble(client, ia):
    ia.replay.add("/advancedsearch.php", fault="503")
    html = client.get("/archive/", {"q": "lab"}).content.decode()
    assert "not answering" in html


def test_item_page_shows_metadata_and_files(owner_client, ia):
    html = owner_client.get(f"/archive/items/{ITEM}/").content.decode()
    assert "Jane Taper" in html and "DAT &gt; CD &gt; EAC &gt; FLAC" in html and "Great" in html
    assert "Download all VBR MP3" in html and "stream only" in html


def test_item_page_of_unknown_item_is_404(client, ia):
    assert client.get("/archive/items/nosuchitem/").status_code == 404


def test_item_browse_page_lists_folder(client, ia):
    html = client.get(f"/archive/items/{ITEM}/browse/artwork").content.decode()
    assert "cover.jpg" in html and "tt2001-02-03.txt" not in html
    assert client.get(f"/archive/items/{ITEM}/browse/missing").status_code == 404


def test_item_page_download_form_queues_and_redirects(owner_client, owner, ia, django_capture_on_commit_callbacks):
    ia.serve(TRACKS[0])
    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post("/archive/downloads/new/", {"identifier": ITEM, "file": TRACKS[0]})
    assert response.status_code == 302 and response["Location"] == f"/archive/items/{ITEM}/"
    assert owner.archive_downloads.get().status == "completed"


def test_cache_page_is_staff_only(client, owner_client, staff_client, ia):
    assert owner_client.get("/archive/cache/").status_code == 302
    assert staff_client.get("/archive/cache/").status_code == 200
    assert staff_client.post("/archive/cache/").status_code == 302
