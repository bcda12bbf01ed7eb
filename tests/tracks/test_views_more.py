"""More page flows: invitations from pack pages, releasing, album series, workflow partials, profile images,
Spotify pages when the integration is off."""
from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.factories import UserFactory
from tracks import services
from tracks.models import Collaboration, Pack, Song, Status, TrackerProfile

pytestmark = pytest.mark.django_db


def test_pack_page_batch_invite_comma_separated(owner_client, make_pack):
    UserFactory(username="amy")
    UserFactory(username="bob")
    pack = make_pack("Team")

    owner_client.post(reverse("tracks:collaboration_invite"), {"pack": pack.pk, "username": "amy, bob",
                                                              "permission": "pack_edit"})

    assert sorted(Collaboration.objects.filter(pack=pack).values_list("user__username", "permission")) == [
        ("amy", "pack_edit"), ("bob", "pack_edit")]


def test_pack_page_invite_unknown_user_invites_nobody(owner_client, make_pack):
    UserFactory(username="amy")
    pack = make_pack("Team")

    response = owner_client.post(reverse("tracks:collaboration_invite"), {"pack": pack.pk, "username": "amy, ghost",
                                                                         "permission": "pack_view"}, follow=True)

    assert "No user called" in response.content.decode()
    assert not Collaboration.objects.filter(pack=pack).exists()


def test_outsider_cannot_invite_onto_someone_elses_pack(outsider_client, make_pack):
    pack = make_pack("Private")

    response = outsider_client.post(reverse("tracks:collaboration_invite"), {"pack": pack.pk, "username": "owner",
                                                                            "permission": "pack_view"})

    assert response.status_code == 404 and not Collaboration.objects.exists()


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


def test_workflow_htmx_returns_steps_partial_with_error(owner_client):
    owner_client.get(reverse("tracks:workflow"))

    response = owner_client.post(reverse("tracks:workflow"), {"action": "add", "name": "MIDI"}, HTTP_HX_REQUEST="true")

    assert response.status_code == 422
    html = response.content.decode()
    assert 'id="workflow-steps"' in html and "already a step" in html and "<html" not in html


def test_profile_page_rejects_non_image(owner_client, owner):
    upload = SimpleUploadedFile("me.png", b"definitely not a png", content_type="image/png")

    response = owner_client.post(reverse("tracks:profile_edit"), {"display_name": "Me", "image": upload})

    assert response.status_code == 422
    assert "image" in response.content.decode().lower()
    assert not TrackerProfile.objects.filter(user=owner, image__gt="").exists()


def test_enrich_all_without_spotify_config_explains(owner_client, make_song, settings):
    settings.SPOTIFY_CLIENT_ID = ""
    make_song("S", "A")

    response = owner_client.post(reverse("tracks:song_enrich_all"), follow=True)

    assert "not configured" in response.content.decode()


def test_song_enrich_page_without_spotify_config_explains(owner_client, make_song, settings):
    settings.SPOTIFY_CLIENT_ID = ""
    song = make_song("S", "A")

    html = owner_client.get(reverse("tracks:song_enrich", args=[song.pk])).content.decode()

    assert "not configured" in html


def test_enrich_job_page_is_private(owner_client, outsider_client, owner):
    from common.services import job_create

    job = job_create(user=owner, kind="tracks.enrich", label="Spotify details for 2 songs", total=2)

    assert owner_client.get(reverse("tracks:enrich_job", args=[job.pk])).status_code == 200
    assert outsider_client.get(reverse("tracks:enrich_job", args=[job.pk])).status_code == 404


def test_playlist_import_page_bad_link_is_form_error(owner_client):
    response = owner_client.post(reverse("tracks:playlist_import"), {"url": "not a link"})

    assert response.status_code == 200 and "not a Spotify link" in response.content.decode()


def test_song_delete_page_outsider_404_editor_403(outsider_client, collaborator, collaborator_client, owner, make_song):
    from tests.tracks.conftest import share

    song = make_song("S", "A")
    share(owner=owner, user=collaborator, song=song)

    assert outsider_client.post(reverse("tracks:song_delete", args=[song.pk])).status_code == 404
    assert collaborator_client.post(reverse("tracks:song_delete", args=[song.pk])).status_code == 403
    assert Song.objects.filter(pk=song.pk).exists()
