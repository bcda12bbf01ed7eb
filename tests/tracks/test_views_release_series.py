"""Releasing packs, album series pages, deleting songs: who may do what on the pages."""
from __future__ import annotations

import pytest
from django.urls import reverse

from tracks import services
from tracks.models import Pack, Song, Status

pytestmark = pytest.mark.django_db


def test_pack_release_page_releases_songs(owner_client, make_pack, make_song):
    pack = make_pack("Drop")
    song = make_song("S", "A", pack_id=pack.pk)

    owner_client.post(reverse("tracks:pack_release", args=[pack.pk]))

    song.refresh_from_db()
    assert song.status == Status.RELEASED and Pack.objects.get(pk=pack.pk).status == Status.RELEASED


def test_pack_release_page_outsider_404_viewer_403(outsider_client, collaborator, collaborator_client, owner, make_pack):
    from tests.tracks.conftest import share

    pack = make_pack("Drop")
    share(owner=owner, user=collaborator, pack=pack, permission="pack_edit")

    assert outsider_client.post(reverse("tracks:pack_release", args=[pack.pk])).status_code == 404
    assert collaborator_client.post(reverse("tracks:pack_release", args=[pack.pk])).status_code == 403
    assert collaborator_client.post(reverse("tracks:pack_delete", args=[pack.pk])).status_code == 403
    assert Pack.objects.get(pk=pack.pk).status == Status.FUTURE


def test_series_page_add_missing_and_mark(owner_client, owner):
    series = services.album_series_create(user=owner, data={"artist": "Band", "album": "Record"})
    series.tracklist = [{"number": 1, "title": "Intro"}, {"number": 2, "title": "Single"}]
    series.save()

    html = owner_client.post(reverse("tracks:series_mark", args=[series.pk]), {"title": "Intro", "irrelevant": "1"},
                             HTTP_HX_REQUEST="true").content.decode()
    assert 'id="tracklist"' in html and "track-row--irrelevant" in html and "<html" not in html

    owner_client.post(reverse("tracks:series_add_missing", args=[series.pk]))
    assert list(Song.objects.filter(album_series=series).values_list("title", "status")) == [("Single", Status.FUTURE)]


def test_series_pages_outsider_404(outsider_client, owner):
    series = services.album_series_create(user=owner, data={"artist": "Band", "album": "Record"})

    for name in ("series_tracklist", "series_mark", "series_add_missing"):
        assert outsider_client.post(reverse(f"tracks:{name}", args=[series.pk]), {"title": "x"}).status_code == 404


def test_song_delete_page_outsider_404_editor_403(outsider_client, collaborator, collaborator_client, owner, make_song):
    from tests.tracks.conftest import share

    song = make_song("S", "A")
    share(owner=owner, user=collaborator, song=song)

    assert outsider_client.post(reverse("tracks:song_delete", args=[song.pk])).status_code == 404
    assert collaborator_client.post(reverse("tracks:song_delete", args=[song.pk])).status_code == 403
    assert Song.objects.filter(pk=song.pk).exists()
