"""Spotify album covers are stored once in media storage by an idempotent task; result cards and the API
serve our own copy or a generated placeholder, never Spotify's CDN."""
from __future__ import annotations

import io

import pytest
from django.urls import reverse

from common.covers import MAX_COVER_BYTES, placeholder_colour
from common.models import FailedJob
from integrations.errors import PermanentError
from recommend import services, tasks
from recommend.models import Album, Track
from tests.images import jpeg_bytes, png_claiming
from tests.recommend.conftest import ROCK_SEED
from tests.recommend.test_ingest import PLAYLIST, playlist_routes  # noqa: F401  (fixture)

COVER_PATH = "/image/okc640"


def jpeg() -> bytes:
    return jpeg_bytes((30, 90, 200))


@pytest.fixture
def covers_on(settings, replay):
    settings.SPOTIFY_STORE_COVERS = True
    settings.SPOTIFY_COVER_BASE_URL = replay.url
    return replay


def _album(**fields) -> Album:
    return Album.objects.create(title=fields.pop("title", "OK Computer"),
                                image_url=fields.pop("image_url", "https://i.scdn.co/image/okc640"), **fields)


def test_playlist_ingest_stores_each_cover_once(playlist_routes, covers_on, db,  # noqa: F811
                                                 django_capture_on_commit_callbacks):
    covers_on.add(COVER_PATH, body=jpeg(), content_type="image/jpeg")

    with django_capture_on_commit_callbacks(execute=True):  # the task is queued on commit
        services.playlist_ingest(spotify_id=PLAYLIST)
    albums = list(Album.objects.exclude(image_url=""))
    again = [services.album_cover_store(album_id=a.pk) for a in albums]  # run again: nothing fetched

    assert albums and all(a.cover_file and a.cover_source_url == a.image_url for a in albums)
    assert again == [False] * len(albums)
    assert len(covers_on.requests_to(COVER_PATH)) == 1  # one request, even for albums sharing the image
    assert albums[0].cover_file.read() == jpeg()


def test_cover_route_serves_the_stored_copy(client, covers_on, db):
    covers_on.add(COVER_PATH, body=jpeg(), content_type="image/jpeg")
    album = _album()
    track = Track.objects.create(title="Airbag", album=album)
    assert services.album_cover_store(album_id=album.pk) is True

    response = client.get(track.cover_url)

    assert track.cover_url == reverse("recommend:track_cover", args=[track.pk])
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert b"".join(response.streaming_content) == jpeg()


def test_cover_route_without_stored_copy_is_the_album_placeholder(client, db):
    album = _album(title="The Bends")
    track = Track.objects.create(title="Planet Telex", album=album)

    response = client.get(track.cover_url)

    r, g, b = placeholder_colour(f"recommend-album:{album.pk}")
    svg = response.content.decode()
    assert response.status_code == 200 and response["Content-Type"].startswith("image/svg+xml")
    assert ">B</text>" in svg and f"#{r:02x}{g:02x}{b:02x}" in svg


def test_result_cards_and_api_never_hot_link_spotify_images(client, catalogue, covers_on):
    album = _album(title="Rock Album")
    Track.objects.filter(genre="indie rock").exclude(spotify_id=ROCK_SEED).update(album=album)

    html = client.get(reverse("recommend:index"), {"url": f"spotify:track:{ROCK_SEED}", "limit": 3}).content.decode()
    api = client.post("/api/v1/recommend", data={"url": f"spotify:track:{ROCK_SEED}", "limit": 3},
                      content_type="application/json").json()

    assert "scdn.co" not in html and html.count('src="/recommend/tracks/') == 3
    assert [i["cover_url"].startswith("/recommend/tracks/") for i in api["items"]] == [True] * 3
    assert all(client.get(i["cover_url"]).status_code == 200 for i in api["items"])
    assert covers_on.requests == []  # showing a page fetches nothing


def test_failed_cover_fetch_is_recorded_and_the_page_still_renders(client, covers_on, db):
    covers_on.add(COVER_PATH, status=404, body=b"gone")
    album = _album()
    track = Track.objects.create(title="Airbag", album=album)

    tasks.album_cover_store_task.apply(args=(album.pk,))

    failed = FailedJob.objects.get(task_name="recommend.tasks.album_cover_store_task")
    assert failed.args == [album.pk] and failed.exception == "NotFound"
    album.refresh_from_db()
    response = client.get(track.cover_url)
    assert not album.cover_file and response.status_code == 200 and response["Content-Type"].startswith("image/svg")


@pytest.mark.parametrize("body", [png_claiming(20_000, 20_000), b"\xff\xd8\xff" + b"\x00" * MAX_COVER_BYTES,
                                  b"<html>not an image</html>"], ids=["bomb", "oversize", "not-an-image"])
def test_cover_store_refuses_bombs_oversize_bodies_and_non_images(covers_on, db, body):
    covers_on.add(COVER_PATH, body=body, content_type="image/png")
    album = _album()

    with pytest.raises(PermanentError):
        services.album_cover_store(album_id=album.pk)

    album.refresh_from_db()
    assert not album.cover_file and len(covers_on.requests_to(COVER_PATH)) == 1


def test_cover_store_never_fetches_other_hosts_or_schemes(covers_on, db, django_capture_on_commit_callbacks):
    for url in ("http://169.254.169.254/latest/meta-data", "https://i.scdn.co.evil.example/x", "ftp://i.scdn.co/x"):
        album = Album.objects.create(title="X", image_url=url) if url.startswith("http") else _album()
        Album.objects.filter(pk=album.pk).update(image_url=url)
        album.refresh_from_db()
        with django_capture_on_commit_callbacks(execute=True) as queued:
            assert services.album_cover_schedule(album=album) is False
        with pytest.raises(PermanentError):
            services.album_cover_store(album_id=album.pk)
        assert queued == []
    assert covers_on.requests == []


def test_own_track_cover_is_private(client, owner_client, outsider_client, owner, db):
    track = Track.objects.create(title="Bedroom Demo", owner=owner, audio_ref="upload:1")

    assert owner_client.get(track.cover_url).status_code == 200
    assert outsider_client.get(track.cover_url).status_code == 404
    assert client.get(track.cover_url).status_code == 404


def test_store_covers_command_queues_only_albums_not_stored_yet(covers_on, db, django_capture_on_commit_callbacks):
    from django.core.management import call_command

    covers_on.add(COVER_PATH, body=jpeg(), content_type="image/jpeg")
    album = _album()  # stored before covers were: no task was queued for it
    Album.objects.create(title="No Image")
    out = io.StringIO()

    with django_capture_on_commit_callbacks(execute=True):
        call_command("recommend_store_covers", stdout=out)
    call_command("recommend_store_covers", stdout=out)

    album.refresh_from_db()
    assert album.cover_file and out.getvalue().splitlines() == ["Queued 1 album cover(s).", "Queued 0 album cover(s)."]
    assert len(covers_on.requests_to(COVER_PATH)) == 1
