"""Albums stored from an album page's "More Albums" block carry their artist, so the artist page lists them all."""
from __future__ import annotations

import pytest

from albums import services
from albums.models import Album, Artist
from integrations.aoty import parser
from tests.albums.conftest import REAL_ALBUM, REAL_ALBUM_PATH, html_route


def test_more_albums_block_gives_each_album_the_page_artist(aoty_data):
    page = parser.parse_album_page((aoty_data / "album_small.html").read_text())

    (low_tide,) = page.more_by_artist
    assert low_tide.artist == "Harbour Lights"
    assert low_tide.artist_ref is not None and low_tide.artist_ref.aoty_id == 77001


def test_artist_page_lists_albums_stored_from_more_albums(client, stored_album):
    artist = Artist.objects.get(aoty_id=77001)

    response = client.get(f"/albums/artists/{artist.pk}/")

    html = response.content.decode()
    assert "Night Ferry" in html and "Low Tide" in html
    assert Album.objects.get(aoty_id=900010).artist_name == "Harbour Lights"


def test_stub_first_seen_without_artist_gains_it(stored_album, aoty, aoty_data):
    low_tide = Album.objects.get(aoty_id=900010)
    low_tide.artists.clear()

    services.album_scrape(url="/album/900001-harbour-lights-night-ferry.php", refresh=True)

    assert list(low_tide.artists.values_list("aoty_id", flat=True)) == [77001]


@pytest.mark.shared_fixtures
def test_real_album_page_artist_lists_every_more_albums_entry(client, aoty, real_aoty, db):
    html_route(aoty, REAL_ALBUM_PATH, real_aoty / REAL_ALBUM)
    page = parser.parse_album_page((real_aoty / REAL_ALBUM).read_text())
    services.album_scrape(url=REAL_ALBUM_PATH)
    artist = Artist.objects.get(aoty_id=2003)

    html = client.get(f"/albums/artists/{artist.pk}/").content.decode()

    assert len(page.more_by_artist) == 6  # with the album itself, the 7 the issue counted
    for summary in page.more_by_artist:
        assert summary.title in html.replace("&amp;", "&").replace("&#x27;", "'")
    assert artist.albums.count() == len(page.more_by_artist) + 1
