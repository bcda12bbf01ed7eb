"""Concert pages and API: lists, search, detail with recordings best first, artist timeline, cross-links."""
from __future__ import annotations

import pytest

from common.models import SearchLog
from concerts import selectors, services
from concerts.models import Concert

from .test_aggregation import doc


@pytest.fixture
def catalogue(db):
    services.concerts_aggregate_items(docs=[
        doc("gd77-05-08.sbd", source="SBD", formats=("Flac",), rating=4.8, reviews=20, added="2021-01-01"),
        doc("gd77-05-08.aud", source="AUD", rating=4.0, reviews=3, added="2021-01-01"),
        doc("gd78-01-22", date="1978-01-22", venue="McArthur Court", coverage="Eugene, OR", added="2022-06-01"),
        doc("ph94-12-31", creator="Phish", date="1994-12-31", venue="Boston Garden", coverage="Boston, MA",
            added="2020-01-01"),
    ])
    return {c.date_text: c for c in Concert.objects.all()}


def test_concert_api_detail_lists_recordings_best_first(client, catalogue):
    concert = catalogue["1977-05-08"]
    body = client.get(f"/api/v1/concerts/{concert.pk}").json()
    assert [r["identifier"] for r in body["recordings"]] == ["gd77-05-08.sbd", "gd77-05-08.aud"]
    assert body["best_identifier"] == "gd77-05-08.sbd" and body["date"] == "1977-05-08"
    assert body["best_reason"].startswith("soundboard, FLAC, 4.8★ from 20 reviews")
    assert body["recordings"][0]["rank"] == 1 and body["partial_date"] is False


def test_concert_api_unknown_id_is_404(client, catalogue):
    assert client.get("/api/v1/concerts/999999").status_code == 404


def test_concert_api_lists_filter_by_artist_and_year(client, catalogue):
    everything = client.get("/api/v1/concerts").json()
    assert everything["count"] == 3
    assert [c["date"] for c in everything["items"]][:2] == ["1994-12-31", "1978-01-22"]
    dead_1977 = client.get("/api/v1/concerts", {"artist": "grateful dead", "year": 1977}).json()
    assert [c["date"] for c in dead_1977["items"]] == ["1977-05-08"]


def test_concert_api_recent_orders_by_added_date(client, catalogue):
    recent = client.get("/api/v1/concerts/recent").json()
    assert [c["date"] for c in recent["items"]][0] == "1978-01-22"


def test_concert_api_search_matches_venue_and_city_and_logs(client, catalogue):
    found = client.get("/api/v1/concerts/search", {"q": "boston"}).json()
    assert [c["artist"] for c in found["items"]] == ["Phish"]
    assert client.get("/api/v1/concerts/search").status_code == 422
    assert SearchLog.objects.filter(section="concerts", normalized="boston").exists()


def test_concert_list_page_shows_recent_and_search(client, catalogue):
    html = client.get("/concerts/").content.decode()
    assert "McArthur Court" in html and "Boston Garden" in html
    found = client.get("/concerts/", {"q": "eugene"}).content.decode()
    assert "McArthur Court" in found and "Boston Garden" not in found
    partial = client.get("/concerts/", {"year": 1994}, HTTP_HX_REQUEST="true").content.decode()
    assert "Boston Garden" in partial and "<html" not in partial


def test_concert_detail_page_compares_recordings(client, catalogue):
    concert = catalogue["1977-05-08"]
    html = client.get(f"/concerts/{concert.pk}/").content.decode()
    assert html.index("gd77-05-08.sbd") < html.index("gd77-05-08.aud")
    assert "soundboard, FLAC, 4.8★ from 20 reviews" in html
    assert "/archive/items/gd77-05-08.sbd/" in html


def test_artist_page_shows_a_year_timeline(client, catalogue):
    html = client.get("/concerts/artists/grateful-dead/").content.decode()
    assert html.index('id="y1977"') < html.index('id="y1978"') and "Phish" not in html
    assert client.get("/concerts/artists/nobody/").status_code == 404


def test_concerts_for_artist_gives_album_pages_cross_links(catalogue):
    links = selectors.concerts_for_artist(artist_name="GRATEFUL DEAD")
    assert [c["date"] for c in links] == ["1978-01-22", "1977-05-08"]
    assert links[0]["url"] == f"/concerts/{catalogue['1978-01-22'].pk}/"
    assert selectors.concerts_for_artist(artist_name="") == []


def test_global_search_finds_concerts(catalogue, owner):
    hits = selectors.global_search(user=owner, query="boston")
    assert hits[0]["kind"] == "concert" and "Phish" in hits[0]["title"]


def test_demo_loads_idempotently_with_a_playable_download(owner, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    from io import StringIO

    import archive.demo
    import concerts.demo
    from archive.selectors import completed_audio_files

    for _ in range(2):
        archive.demo.load(user=owner, staff=owner, stdout=StringIO())
        concerts.demo.load(user=owner, staff=owner, stdout=StringIO())
    assert Concert.objects.count() == 6
    assert all(c.recordings_count >= 2 for c in Concert.objects.all())
    files = completed_audio_files(user=owner)
    assert len(files) == 3 and all(f["path"].endswith(".wav") for f in files)
    import soundfile

    data, rate = soundfile.read(files[0]["path"])
    assert rate == 22050 and len(data) == 4 * 22050
