"""Covers are stored once in media storage by an idempotent task; pages serve the stored copy or a placeholder."""
from __future__ import annotations

import io

import pytest
from PIL import Image

from albums import services
from albums.models import Album
from common.covers import placeholder_colour
from tests.albums.conftest import ALBUM_PATH

COVER_PATH = "/375x0/album/900001-night-ferry.jpg"


def _jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 40, 40)).save(buffer, format="JPEG")
    return buffer.getvalue()


@pytest.fixture
def covers_on(settings, aoty):
    settings.AOTY_STORE_COVERS = True
    settings.AOTY_COVER_BASE_URL = aoty.url
    return aoty


def test_album_scrape_stores_the_cover_once(covers_on, album_route, db, django_capture_on_commit_callbacks):
    covers_on.add(COVER_PATH, body=_jpeg(), content_type="image/jpeg")
    # The JSON-LD image comes first; serve it too so whichever the page names is stored.
    covers_on.add("/album/900001-night-ferry.jpg", body=_jpeg(), content_type="image/jpeg")

    with django_capture_on_commit_callbacks(execute=True):  # the task is queued on commit
        album = services.album_scrape(url=ALBUM_PATH)
    with django_capture_on_commit_callbacks(execute=True):
        services.album_scrape(url=ALBUM_PATH, refresh=True)
    stored = services.album_cover_store(album_id=album.pk)  # and run again by hand: nothing fetched again

    album.refresh_from_db()
    assert album.cover_file and album.cover_source_url == album.cover_url and stored is False
    fetched = covers_on.requests_to(COVER_PATH) + covers_on.requests_to("/album/900001-night-ferry.jpg")
    assert len(fetched) == 1
    assert album.cover_file.read() == _jpeg()


def test_discovery_grid_stores_each_album_cover_once(covers_on, aoty_data, db, django_capture_on_commit_callbacks):
    # Grid tiles are where most covers show: albums known only from a grid get theirs stored too.
    covers_on.add("/releases/", file=aoty_data / "grid_small.html", content_type="text/html")
    for aoty_id in (900001, 900005):
        covers_on.add(f"/200x0/album/{aoty_id}.jpg", body=_jpeg(), content_type="image/jpeg")

    with django_capture_on_commit_callbacks(execute=True):
        services.discovery_fetch(key="releases")
    with django_capture_on_commit_callbacks(execute=True):
        services.discovery_fetch(key="releases", refresh=True)

    stored = Album.objects.filter(aoty_id__in=(900001, 900005))
    assert stored.count() == 2 and all(album.cover_file for album in stored)
    assert [len(covers_on.requests_to(f"/200x0/album/{i}.jpg")) for i in (900001, 900005)] == [1, 1]


def test_cover_view_serves_the_stored_copy(client, covers_on, album_route, db):
    covers_on.add("/album/900001-night-ferry.jpg", body=_jpeg(), content_type="image/jpeg")
    album = services.album_scrape(url=ALBUM_PATH)
    assert services.album_cover_store(album_id=album.pk) is True

    response = client.get(f"/albums/{album.pk}/cover/")

    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert b"".join(response.streaming_content) == _jpeg()


def test_cover_view_without_stored_copy_is_the_placeholder(client, db):
    album = Album.objects.create(aoty_id=900050, title="Night Ferry", artist_name="Harbour Lights",
                                 cover_url="https://cdn2.albumoftheyear.org/x.jpg")

    response = client.get(f"/albums/{album.pk}/cover/")

    svg = response.content.decode()
    r, g, b = placeholder_colour(f"album:{album.pk}")
    assert response.status_code == 200 and response["Content-Type"].startswith("image/svg+xml")
    assert ">NF</text>" in svg and f"#{r:02x}{g:02x}{b:02x}" in svg


def test_album_pages_never_hot_link_aoty_images(client, stored_album):
    for url in (f"/albums/{stored_album.pk}/", "/albums/search/?q=night", f"/albums/artists/{stored_album.artists.get().pk}/"):
        html = client.get(url).content.decode()
        assert "albumoftheyear.org/" not in html.split("<body", 1)[-1].replace('href="https://www.albumoftheyear.org', "")
    assert f'src="/albums/{stored_album.pk}/cover/"' in client.get(f"/albums/{stored_album.pk}/").content.decode()


def test_cover_store_refuses_non_aoty_hosts(covers_on, db):
    album = Album.objects.create(aoty_id=900051, title="X", cover_url="http://169.254.169.254/latest/meta-data")

    from integrations.errors import PermanentError

    with pytest.raises(PermanentError):
        services.album_cover_store(album_id=album.pk)
    assert covers_on.requests == []


def test_cover_store_refuses_a_non_image(covers_on, db):
    covers_on.add("/x.jpg", body=b"<html>not an image</html>", content_type="image/jpeg")
    album = Album.objects.create(aoty_id=900052, title="X", cover_url="https://cdn2.albumoftheyear.org/x.jpg")

    from integrations.errors import PermanentError

    with pytest.raises(PermanentError):
        services.album_cover_store(album_id=album.pk)
    album.refresh_from_db()
    assert not album.cover_file
