"""Spotify covers of songs and album series are stored once by an idempotent task; pages and the API show our
own copy or a generated placeholder, never Spotify's CDN, and work with no internet."""
from __future__ import annotations

import io

import pytest

from common.covers import placeholder_colour
from common.models import FailedJob
from integrations.errors import PermanentError
from tests.images import jpeg_bytes, png_claiming
from tracks import services, tasks
from tracks.models import AlbumSeries, Song

pytestmark = pytest.mark.django_db
API = "/api/v1/tracks"
OKC = "https://i.scdn.co/image/okcomputer640"
COVER_PATH = "/image/okcomputer640"


def jpeg() -> bytes:
    return jpeg_bytes((40, 160, 90))


@pytest.fixture
def spotify(replay, settings):
    settings.SPOTIFY_CLIENT_ID, settings.SPOTIFY_CLIENT_SECRET = "test-client", "test-secret"
    settings.SPOTIFY_API_URL = f"{replay.url}/v1"
    settings.SPOTIFY_ACCOUNTS_URL = replay.url
    settings.SPOTIFY_STORE_COVERS = True
    settings.SPOTIFY_COVER_BASE_URL = replay.url  # i.scdn.co images come from the replay server
    replay.add("/api/token", method="POST", json_body={"access_token": "tok", "token_type": "Bearer", "expires_in": 3600})
    return replay


def _body(response) -> bytes:
    return b"".join(response.streaming_content)


def test_tracklist_and_enrichment_store_the_cover_once(owner_client, owner, spotify, data_dir,
                                                       django_capture_on_commit_callbacks):
    spotify.add(COVER_PATH, body=jpeg(), content_type="image/jpeg")
    spotify.add("/v1/albums/2fenSS68JI1h4Fo296JfGr", file=data_dir / "spotify" / "tracks_album_okcomputer.json")
    spotify.add("/v1/albums/2fenSS68JI1h4Fo296JfGr/tracks", file=data_dir / "spotify" / "tracks_album_okcomputer_tracks.json")
    spotify.add("/v1/search", file=data_dir / "spotify" / "tracks_search_okcomputer.json")
    series = services.album_series_create(user=owner, data={"artist": "Radiohead", "album": "OK Computer"})
    song = services.song_create(user=owner, data={"title": "Airbag", "artist": "Radiohead"})

    with django_capture_on_commit_callbacks(execute=True):  # the tasks are queued on commit
        services.album_series_fetch_tracklist(user=owner, series=series, album="2fenSS68JI1h4Fo296JfGr")
    with django_capture_on_commit_callbacks(execute=True):
        services.song_enrich(user=owner, song=song)
    again = (services.album_series_cover_store(series_id=series.pk), services.song_cover_store(song_id=song.pk))

    series.refresh_from_db()
    song.refresh_from_db()
    assert series.cover_url == song.spotify_cover_url == OKC and again == (False, False)
    assert series.cover_file.name == song.spotify_cover_file.name and series.cover_source_url == OKC
    assert len(spotify.requests_to(COVER_PATH)) == 1  # the same image, fetched once for both
    assert _body(owner_client.get(f"/tracks/albums/{series.pk}/cover/")) == jpeg()
    assert _body(owner_client.get(f"/tracks/songs/{song.pk}/cover/")) == jpeg()


def test_pages_and_api_never_hot_link_spotify_images(client, owner_client, owner_api, owner, spotify, data_dir):
    spotify.add("/v1/search", file=data_dir / "spotify" / "tracks_search_okcomputer.json")
    series = AlbumSeries.objects.create(owner=owner, artist="Radiohead", album="OK Computer", cover_url=OKC)
    song = Song.objects.create(owner=owner, title="Airbag", artist="Radiohead", spotify_cover_url=OKC,
                               album_series=series)
    other = Song.objects.create(owner=owner, title="Android", artist="Someone Else")

    pages = [owner_client.get(url).content.decode() for url in (
        "/tracks/albums/", f"/tracks/albums/{series.pk}/", f"/tracks/songs/{song.pk}/", f"/tracks/songs/{other.pk}/spotify/")]
    song_api = client.get(f"{API}/songs/{song.pk}", **owner_api).json()
    series_api = client.get(f"{API}/album-series/{series.pk}", **owner_api).json()

    assert all("scdn.co" not in html for html in pages)
    assert f'src="/tracks/albums/{series.pk}/cover/"' in pages[0] and f'src="/tracks/albums/{series.pk}/cover/"' in pages[1]
    assert f'src="/tracks/songs/{song.pk}/cover/"' in pages[2]
    # live candidates show their album's placeholder, not Spotify's image
    assert "Paranoid Android" in pages[3] and 'role="img" aria-label="OK Computer"><rect' in pages[3]
    assert song_api["cover_url"] == song_api["spotify_cover_url"] == f"/tracks/songs/{song.pk}/cover/"
    assert series_api["cover_url"] == f"/tracks/albums/{series.pk}/cover/"
    assert spotify.requests_to(COVER_PATH) == []  # showing a page fetches nothing


def test_cover_routes_without_stored_copy_are_placeholders(owner_client, owner):
    series = AlbumSeries.objects.create(owner=owner, artist="Radiohead", album="Kid A", cover_url=OKC)
    song = Song.objects.create(owner=owner, title="Idioteque", artist="Radiohead")  # no cover at all

    series_svg = owner_client.get(f"/tracks/albums/{series.pk}/cover/")
    song_page = owner_client.get(f"/tracks/songs/{song.pk}/").content.decode()
    song_svg = owner_client.get(f"/tracks/songs/{song.pk}/cover/")

    r, g, b = placeholder_colour(f"tracks-series:{series.pk}")
    assert series_svg["Content-Type"].startswith("image/svg+xml") and ">KA</text>" in series_svg.content.decode()
    assert f"#{r:02x}{g:02x}{b:02x}" in series_svg.content.decode()
    assert f'src="/tracks/songs/{song.pk}/cover/"' in song_page and ">I</text>" in song_svg.content.decode()


def test_failed_cover_fetch_is_recorded_and_pages_still_render(owner_client, owner, spotify):
    spotify.add(COVER_PATH, status=404, body=b"gone")
    song = Song.objects.create(owner=owner, title="Airbag", artist="Radiohead", spotify_cover_url=OKC)

    tasks.song_cover_store_task.apply(args=(song.pk,))

    failed = FailedJob.objects.get(task_name="tracks.tasks.song_cover_store_task")
    assert failed.args == [song.pk] and failed.exception == "NotFound"
    song.refresh_from_db()
    assert not song.spotify_cover_file
    assert owner_client.get(f"/tracks/songs/{song.pk}/").status_code == 200
    assert owner_client.get(f"/tracks/songs/{song.pk}/cover/")["Content-Type"].startswith("image/svg+xml")


def test_cover_store_refuses_a_decompression_bomb(owner, spotify):
    spotify.add(COVER_PATH, body=png_claiming(20_000, 20_000), content_type="image/png")
    series = AlbumSeries.objects.create(owner=owner, artist="Radiohead", album="OK Computer", cover_url=OKC)

    with pytest.raises(PermanentError):
        services.album_series_cover_store(series_id=series.pk)

    series.refresh_from_db()
    assert not series.cover_file and len(spotify.requests_to(COVER_PATH)) == 1


def test_a_typed_non_spotify_cover_url_is_never_fetched(owner, spotify, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as queued:
        series = services.album_series_create(user=owner, data={
            "artist": "Radiohead", "album": "Amnesiac", "cover_url": "http://169.254.169.254/latest/meta-data"})

    with pytest.raises(PermanentError):
        services.album_series_cover_store(series_id=series.pk)
    assert queued == [] and spotify.requests == []


def test_cover_routes_are_private(outsider_client, client, owner):
    series = AlbumSeries.objects.create(owner=owner, artist="Radiohead", album="OK Computer", cover_url=OKC)
    song = Song.objects.create(owner=owner, title="Airbag", artist="Radiohead", spotify_cover_url=OKC)

    for url in (f"/tracks/albums/{series.pk}/cover/", f"/tracks/songs/{song.pk}/cover/"):
        assert outsider_client.get(url).status_code == 404
        assert client.get(url).status_code == 302  # to the login page


def test_store_covers_command_queues_only_covers_not_stored_yet(owner, spotify, django_capture_on_commit_callbacks):
    from django.core.management import call_command

    spotify.add(COVER_PATH, body=jpeg(), content_type="image/jpeg")
    series = AlbumSeries.objects.create(owner=owner, artist="Radiohead", album="OK Computer", cover_url=OKC)
    song = Song.objects.create(owner=owner, title="Airbag", artist="Radiohead", spotify_cover_url=OKC)
    Song.objects.create(owner=owner, title="Lucky", artist="Radiohead")  # no cover to store
    out = io.StringIO()

    with django_capture_on_commit_callbacks(execute=True):
        call_command("tracks_store_covers", stdout=out)
    call_command("tracks_store_covers", stdout=out)

    series.refresh_from_db()
    song.refresh_from_db()
    assert series.cover_file and song.spotify_cover_file.name == series.cover_file.name
    assert out.getvalue().splitlines() == ["Queued 2 cover(s).", "Queued 0 cover(s)."]
    assert len(spotify.requests_to(COVER_PATH)) == 1
