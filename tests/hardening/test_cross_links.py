"""One product: the album page leads to vinyl, similar tracks, live recordings and song plans."""
import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture
def album(db):
    from django.utils import timezone

    from albums.models import Album, Track

    album = Album.objects.create(aoty_id=4242, title="Night Ferry", artist_name="Harbour Lights", year=2024,
                                 fetched_at=timezone.now(), similar_fetched_at=timezone.now())
    Track.objects.create(album=album, number=1, title="Fog Lifting")
    Track.objects.create(album=album, number=2, title="Quay")
    return album


def test_album_page_links_to_digger_prefilled(client, album, owner_client):
    html = client.get(f"/albums/{album.pk}/").content.decode()
    assert "/digger/searches/new/?artist=Harbour+Lights&amp;title=Night+Ferry" in html
    form = owner_client.get("/digger/searches/new/?artist=Harbour+Lights&title=Night+Ferry").content.decode()
    assert 'value="Harbour Lights"' in form and 'value="Night Ferry"' in form


def test_album_page_offers_tracks_like_this_where_features_exist(client, album):
    from recommend.models import Track as CatalogueTrack
    from recommend.models import TrackFeatures

    html = client.get(f"/albums/{album.pk}/").content.decode()
    assert "has audio features yet" in html
    track = CatalogueTrack.objects.create(title="Fog Lifting", artist_names="Harbour Lights", spotify_id="4uLU6hMCjMI75M1A2tKUQC")
    from django.utils import timezone

    TrackFeatures.objects.create(track=track, source="dataset", version=1, vector=b"\x00" * 52, values={},
                                 computed_at=timezone.now())
    html = client.get(f"/albums/{album.pk}/").content.decode()
    assert "/recommend/?url=spotify:track:4uLU6hMCjMI75M1A2tKUQC" in html


def test_album_page_lists_live_recordings_of_the_artist(client, album):
    from concerts.models import Concert

    html = client.get(f"/albums/{album.pk}/").content.decode()
    assert "has no concerts by Harbour Lights" in html
    concert = Concert.objects.create(artist="Harbour Lights", artist_key="harbour lights", artist_slug="harbour-lights",
                                     date_text="2023-05-01", year=2023, venue="The Lab")
    html = client.get(f"/albums/{album.pk}/").content.decode()
    assert f"/concerts/{concert.pk}/" in html and "The Lab" in html


def test_add_to_song_plans_creates_future_plans_song(owner_client, owner, album):
    from tracks.models import Song

    response = owner_client.post("/tracks/plans/add/", {"title": "Quay", "artist": "Harbour Lights", "album": "Night Ferry",
                                                        "year": "2024", "next": f"/albums/{album.pk}/"})
    assert response.status_code == 302 and response["Location"] == f"/albums/{album.pk}/"
    song = Song.objects.get(owner=owner)
    assert (song.title, song.artist, song.album, song.status) == ("Quay", "Harbour Lights", "Night Ferry", "Future Plans")
    again = owner_client.post("/tracks/plans/add/", {"title": "Quay", "artist": "Harbour Lights", "next": "https://evil.example.com/"})
    assert again["Location"] == "/tracks/songs/"  # duplicate refused with a message; no open redirect
    assert Song.objects.filter(owner=owner).count() == 1


def test_header_search_groups_sections_and_keeps_private_data_private(owner_client, outsider_client, owner, album):
    from tracks import services

    services.song_create(user=owner, data={"title": "Harbour Song", "artist": "Someone"})
    html = owner_client.get("/search/?q=harbour", HTTP_HX_REQUEST="true").content.decode()
    assert "Night Ferry" in html and "Harbour Song" in html
    assert "search-group--albums" in html and "search-group--tracks" in html
    other = outsider_client.get("/search/?q=harbour").content.decode()
    assert "Night Ferry" in other and "Harbour Song" not in other


def test_home_page_shows_cards_for_logged_in_user(owner_client, owner):
    from tracks import services

    services.song_create(user=owner, data={"title": "Card Song", "artist": "Someone", "status": "In Progress"})
    html = owner_client.get("/").content.decode()
    assert "home-card--song_progress" in html and "Card Song" in html


def test_concert_and_artist_pages_link_to_aoty_albums_and_audio_analysis(owner_client, album):
    from concerts.models import Concert

    concert = Concert.objects.create(artist="Harbour Lights", artist_key="harbour lights", artist_slug="harbour-lights",
                                     date_text="2023-05-01", year=2023, venue="The Lab")
    for path in (f"/concerts/{concert.pk}/", "/concerts/artists/harbour-lights/"):
        html = owner_client.get(path).content.decode()
        assert f'href="/albums/{album.pk}/"' in html, path
        assert 'action="/recommend/analyse/archive/"' in html


def test_find_on_vinyl_looks_up_discogs_releases_to_pick_from(owner_client, owner, replay, settings, data_dir):
    from digger.services import credentials_update
    from tests.digger.fixtures import reset_limiter

    url = "/digger/searches/new/?artist=The+Fall&title=Dragnet"
    html = owner_client.get(url).content.decode()
    assert "Discogs is not configured" in html and 'name="artist"' in html  # the form works without the lookup

    settings.DISCOGS_API_URL = settings.DISCOGS_WEB_URL = replay.url
    settings.DISCOGS_RATE_LIMIT_AUTH = settings.DISCOGS_RATE_LIMIT_ANON = 10_000
    reset_limiter()
    credentials_update(user=owner, discogs_username="digger", discogs_token="discogs-token-1234567890")
    replay.add("/database/search", query={"type": "release"}, file=data_dir / "discogs" / "search_the_fall.json")
    replay.add("/database/search", query={"type": "master"}, json_body={"pagination": {"page": 1, "pages": 1, "items": 0,
                                                                                       "per_page": 5}, "results": []})
    html = owner_client.get(url).content.decode()
    assert "release_id=372000" in html and "The Fall - Dragnet" in html
    searches = replay.requests_to("/database/search")
    assert {r.param("type") for r in searches} == {"master", "release"}
    assert all(r.param("artist") == "The Fall" and r.param("release_title") == "Dragnet" for r in searches)
    picked = owner_client.get(url + "&release_id=372000").content.decode()
    assert 'value="372000"' in picked and "discogs-lookup" not in picked  # chosen: no second lookup
