"""Pages render for the owner and hide private objects from outsiders (404), with forms that explain errors."""
from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.tracks.conftest import png_bytes, share
from tracks import services
from tracks.models import Song, SongStep, Status

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(owner, make_song, make_pack):
    pack = make_pack("Pack One")
    song = make_song("Everlong", "Foo Fighters", status="In Progress", pack_id=pack.pk)
    make_song("Later", "Band")
    series = services.album_series_create(user=owner, data={"artist": "Foo Fighters", "album": "The Colour"})
    return {"song": song, "pack": pack, "series": series}


@pytest.mark.parametrize("name", ["index", "song_list", "song_create", "pack_board", "pack_create", "series_list",
                                  "series_create", "collaborations", "achievements", "workflow", "profile_edit",
                                  "playlist_import"])
def test_page_renders_for_owner(owner_client, world, name):
    response = owner_client.get(reverse(f"tracks:{name}"))

    assert response.status_code == 200


def test_pages_require_login(client):
    response = client.get(reverse("tracks:song_list"))

    assert response.status_code == 302 and "/accounts/login" in response["Location"]


@pytest.mark.parametrize("name, key", [("song_detail", "song"), ("pack_detail", "pack"), ("series_detail", "series")])
def test_detail_page_renders_for_owner_and_is_404_for_outsider(owner_client, outsider_client, world, name, key):
    url = reverse(f"tracks:{name}", args=[world[key].pk])

    assert owner_client.get(url).status_code == 200
    assert outsider_client.get(url).status_code == 404


def test_song_list_shows_only_visible_songs(outsider_client, owner_client, world):
    assert b"Everlong" in owner_client.get(reverse("tracks:song_list")).content
    assert b"Everlong" not in outsider_client.get(reverse("tracks:song_list")).content


def test_song_list_htmx_returns_results_partial(owner_client, world):
    response = owner_client.get(reverse("tracks:song_list") + "?status=In+Progress", HTTP_HX_REQUEST="true")

    html = response.content.decode()
    assert 'id="song-results"' in html and "Everlong" in html and "Later" not in html
    assert "<html" not in html


def test_song_inline_status_returns_row(owner_client, world):
    song = world["song"]

    response = owner_client.post(reverse("tracks:song_status", args=[song.pk]), {"status": "Released"},
                                 HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    assert f'id="song-{song.pk}"' in response.content.decode()
    song.refresh_from_db()
    assert song.status == Status.RELEASED


def test_song_inline_status_outsider_is_404(outsider_client, world):
    song = world["song"]

    response = outsider_client.post(reverse("tracks:song_status", args=[song.pk]), {"status": "Released"})

    assert response.status_code == 404
    song.refresh_from_db()
    assert song.status == Status.IN_PROGRESS


def test_song_step_toggle_updates_checklist_and_progress(owner_client, world):
    song = world["song"]
    box = SongStep.objects.filter(song=song).order_by("step__position").first()

    response = owner_client.post(reverse("tracks:song_step", args=[song.pk, box.step_id]), {"done": "1"},
                                 HTTP_HX_REQUEST="true")

    html = response.content.decode()
    assert f'id="checklist-{song.pk}"' in html and f'id="song-progress-{song.pk}" class="song-progress" hx-swap-oob' in html
    assert "7%" in html  # 1 of 15
    box.refresh_from_db()
    assert box.done


def test_song_step_viewer_collaborator_is_403(collaborator, collaborator_client, owner, world):
    share(owner=owner, user=collaborator, pack=world["pack"], permission="pack_view")
    song = world["song"]
    box = SongStep.objects.filter(song=song).first()

    assert collaborator_client.get(reverse("tracks:song_detail", args=[song.pk])).status_code == 200
    response = collaborator_client.post(reverse("tracks:song_step", args=[song.pk, box.step_id]), {"done": "1"})

    assert response.status_code == 403


def test_song_bulk_delete_from_page_is_all_or_nothing(owner_client, world, outsider, make_song):
    foreign = make_song("Theirs", "Band", user=outsider)
    mine = world["song"]

    owner_client.post(reverse("tracks:song_bulk"), {"ids": [mine.pk, foreign.pk], "action": "delete"})

    assert Song.objects.filter(pk__in=[mine.pk, foreign.pk]).count() == 2


def test_song_bulk_status_from_page(owner_client, world):
    ids = list(Song.objects.values_list("pk", flat=True))

    owner_client.post(reverse("tracks:song_bulk"), {"ids": ids, "action": "status", "status": "Released"})

    assert set(Song.objects.values_list("status", flat=True)) == {Status.RELEASED}


def test_song_create_form_duplicate_shows_field_error(owner_client, world):
    response = owner_client.post(reverse("tracks:song_create"), {"title": "Everlong", "artist": "Foo Fighters",
                                                                  "status": "Future Plans", "priority": 3})

    assert response.status_code == 422
    assert "already have" in response.content.decode()


def test_song_create_form_garbage_date_is_null(owner_client):
    response = owner_client.post(reverse("tracks:song_create"), {"title": "New", "artist": "Band",
                                                                  "status": "Future Plans", "priority": 2,
                                                                  "release_date": "not a date"})

    assert response.status_code == 302
    assert Song.objects.get(title="New").release_date is None


def test_song_create_form_released_without_date_is_stamped_today(owner_client):
    from django.utils import timezone

    owner_client.post(reverse("tracks:song_create"), {"title": "Out", "artist": "Band", "status": "Released",
                                                       "priority": 2, "release_date": ""})

    assert Song.objects.get(title="Out").release_date == timezone.localdate()


def test_song_cover_upload_too_large_is_form_error(owner_client, world, settings):
    settings.TRACKS_MAX_IMAGE_BYTES = 50
    song = world["song"]
    upload = SimpleUploadedFile("cover.png", png_bytes((32, 32)), content_type="image/png")

    response = owner_client.post(reverse("tracks:song_detail", args=[song.pk]), {
        "title": song.title, "artist": song.artist, "status": song.status, "priority": 3, "cover": upload})

    assert response.status_code == 422
    assert "Image too large" in response.content.decode()
    song.refresh_from_db()
    assert not song.cover


def test_song_cover_upload_wrong_type_is_form_error(owner_client, world):
    song = world["song"]
    upload = SimpleUploadedFile("cover.png", b"%PDF-1.4 not an image", content_type="image/png")

    response = owner_client.post(reverse("tracks:song_detail", args=[song.pk]), {
        "title": song.title, "artist": song.artist, "status": song.status, "priority": 3, "cover": upload})

    assert response.status_code == 422
    song.refresh_from_db()
    assert not song.cover


def test_song_cover_upload_is_stored_through_storage(owner_client, world):
    song = world["song"]
    upload = SimpleUploadedFile("cover.png", png_bytes(), content_type="image/png")

    response = owner_client.post(reverse("tracks:song_detail", args=[song.pk]), {
        "title": song.title, "artist": song.artist, "status": song.status, "priority": 3, "cover": upload})

    assert response.status_code == 302
    song.refresh_from_db()
    assert song.cover.name.startswith("tracks/song/") and song.cover.storage.exists(song.cover.name)


def test_workflow_editor_add_rename_move_delete(owner_client, owner, world):
    url = reverse("tracks:workflow")
    owner_client.post(url, {"action": "add", "name": "Playtest"})
    steps = services.workflow_ensure(user=owner)
    assert steps[-1].name == "Playtest" and len(steps) == 16
    assert SongStep.objects.filter(song=world["song"], step=steps[-1]).exists()

    owner_client.post(url, {"action": "up", "step": steps[-1].pk})
    owner_client.post(url, {"action": "rename", "step": steps[-1].pk, "name": "Play test"})
    names = [s.name for s in services.workflow_ensure(user=owner)]
    assert names[-2:] == ["Play test", "Compile"]

    owner_client.post(url, {"action": "delete", "step": steps[0].pk})
    assert len(services.workflow_ensure(user=owner)) == 15
    assert SongStep.objects.filter(song=world["song"]).count() == 15


def test_public_profile_404_until_opt_in(client, owner, world):
    url = reverse("tracks:profile_public", args=[owner.username])
    assert client.get(url).status_code == 404

    services.profile_update(user=owner, data={"is_public": True, "display_name": "Owner O."})
    services.song_set_status(user=owner, song=world["song"], status=Status.RELEASED)

    html = client.get(url).content.decode()
    assert "Owner O." in html and "Everlong" in html and "Later" not in html


def test_collaboration_page_accept_invitation(collaborator_client, collaborator, owner, world):
    collab = services.collaboration_invite(user=owner, username="collaborator", song=world["song"])

    html = collaborator_client.get(reverse("tracks:collaborations")).content.decode()
    assert "invites you" in html
    collaborator_client.post(reverse("tracks:collaboration_respond", args=[collab.pk]), {"action": "accept"})

    collab.refresh_from_db()
    assert collab.state == "accepted"
    assert collaborator_client.get(reverse("tracks:song_detail", args=[world["song"].pk])).status_code == 200


def test_home_card_and_global_search(owner_client, owner, world):
    from tracks.selectors import global_search

    html = owner_client.get("/").content.decode()
    assert "Song progress" in html

    results = global_search(user=owner, query="everl")
    assert results == [{"kind": "song", "title": "Everlong", "subtitle": "Foo Fighters · In Progress",
                        "url": reverse("tracks:song_detail", args=[world["song"].pk])}]


def test_global_search_never_returns_other_users_songs(outsider, world):
    from tracks.selectors import global_search

    assert global_search(user=outsider, query="everlong") == []


def test_song_list_artist_link_filters(owner_client, world):
    html = owner_client.get(reverse("tracks:song_list") + "?artist=foo+fighters").content.decode()

    assert "Everlong" in html and "Later" not in html and "Artist: foo fighters" in html


def test_song_checklist_partial_loads_for_owner_and_is_404_for_outsider(owner_client, outsider_client, world):
    url = reverse("tracks:song_checklist", args=[world["song"].pk])

    html = owner_client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert f'id="checklist-{world["song"].pk}"' in html and html.count('name="done"') == 15
    assert owner_client.get(url).status_code == 302  # without htmx: the song page
    assert outsider_client.get(url, HTTP_HX_REQUEST="true").status_code == 404


def test_song_checklist_partial_is_read_only_for_viewer(collaborator, collaborator_client, owner, world):
    share(owner=owner, user=collaborator, pack=world["pack"], permission="pack_view")

    html = collaborator_client.get(reverse("tracks:song_checklist", args=[world["song"].pk]),
                                   HTTP_HX_REQUEST="true").content.decode()

    assert html.count("disabled") == 15


def test_song_list_disables_inline_status_for_view_only_rows(collaborator, collaborator_client, owner, world,
                                                             make_song):
    share(owner=owner, user=collaborator, pack=world["pack"], permission="pack_view")
    editable = make_song("Editable", "Band")
    share(owner=owner, user=collaborator, song=editable)

    html = collaborator_client.get(reverse("tracks:song_list")).content.decode()

    viewer_row = html[html.index(f'id="song-{world["song"].pk}"'):]
    viewer_row = viewer_row[:viewer_row.index("</tr>")]
    editor_row = html[html.index(f'id="song-{editable.pk}"'):]
    editor_row = editor_row[:editor_row.index("</tr>")]
    assert 'title="View only"' in viewer_row and 'title="View only"' not in editor_row
