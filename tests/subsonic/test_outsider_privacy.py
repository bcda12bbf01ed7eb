"""Privacy: a user sees public concerts plus their own downloads, uploads, stars, playlists and queue. Another
user's playlist, upload or private download answers 70 and nothing of theirs changes."""
from __future__ import annotations

from subsonic import ids
from tests.subsonic.conftest import ITEM, TRACKS, call_json, completed_download, outsider_auth, owner_auth

PRIVATE_ITEM = "ownerbootleg2019-01-01.aud"


def _owner_playlist(owner):
    from subsonic.models import Playlist, PlaylistEntry

    playlist = Playlist.objects.create(user=owner, name="Owner only")
    PlaylistEntry.objects.create(playlist=playlist, position=0, song_id=ids.file_song_id(ITEM, TRACKS[0]))
    return playlist


def _upload(owner):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from recommend.models import AudioUpload

    return AudioUpload.objects.create(user=owner, title="Rehearsal", artist="Garage Trio",
                                      file=SimpleUploadedFile("rehearsal.mp3", b"ID3" + b"\x01" * 2000))


def test_outsider_playlist_of_owner_is_70_for_read_update_delete(client, library, owner, outsider,
                                                                   outsider_app_password):
    playlist = _owner_playlist(owner)
    for method, params in (("getPlaylist", {"id": playlist.pk}),
                           ("updatePlaylist", {"playlistId": playlist.pk, "name": "Mine now"}),
                           ("deletePlaylist", {"id": playlist.pk}),
                           ("createPlaylist", {"playlistId": playlist.pk, "songId": ids.file_song_id(ITEM, TRACKS[1])})):
        body = call_json(client, method, **params, **outsider_auth())
        assert body["status"] == "failed" and body["error"]["code"] == 70, method
    playlist.refresh_from_db()
    assert playlist.name == "Owner only" and playlist.entries.count() == 1
    assert call_json(client, "getPlaylists", **outsider_auth())["playlists"] == {"playlist": []}


def test_owner_public_playlist_is_readable_not_writable_by_outsider(client, library, owner, outsider_app_password):
    playlist = _owner_playlist(owner)
    playlist.public = True
    playlist.save()
    body = call_json(client, "getPlaylist", id=playlist.pk, **outsider_auth())
    assert body["playlist"]["owner"] == "owner" and len(body["playlist"]["entry"]) == 1
    body = call_json(client, "deletePlaylist", id=playlist.pk, **outsider_auth())
    assert body["error"]["code"] == 50
    assert playlist.__class__.objects.filter(pk=playlist.pk).exists()


def test_outsider_cannot_stream_or_see_owner_upload(client, library, owner, outsider_app_password, owner_app_password):
    upload = _upload(owner)
    song_id = ids.upload_song_id(upload.pk)
    assert call_json(client, "getSong", id=song_id, **owner_auth())["song"]["title"] == "Rehearsal"
    for method in ("getSong", "stream", "download", "getCoverArt"):
        body = call_json(client, method, id=song_id, **outsider_auth())
        assert body["status"] == "failed" and body["error"]["code"] == 70, method
    artists = call_json(client, "getArtists", **outsider_auth())["artists"]["index"]
    assert "Garage Trio" not in {a["name"] for i in artists for a in i["artist"]}


def test_outsider_cannot_stream_owner_private_download(client, library, owner, outsider_app_password,
                                                       owner_app_password):
    completed_download(user=owner, identifier=PRIVATE_ITEM, file_name="t01.mp3", content=b"secret audio",
                       title="Owner's own bootleg")
    song_id = ids.file_song_id(PRIVATE_ITEM, "t01.mp3")
    response = client.get("/rest/stream", {**owner_auth(), "id": song_id})
    assert response.status_code == 200 and b"".join(response.streaming_content) == b"secret audio"
    for method, params in (("stream", {"id": song_id}), ("getSong", {"id": song_id}),
                           ("getAlbum", {"id": ids.recording_album_id(PRIVATE_ITEM)})):
        body = call_json(client, method, **params, **outsider_auth())
        assert body["status"] == "failed" and body["error"]["code"] == 70, method


def test_stars_ratings_and_queue_are_per_user(client, library, owner, outsider_app_password, owner_app_password):
    from subsonic.models import Star

    song_id = ids.file_song_id(ITEM, TRACKS[0])
    album_id = f"al-{library.concert.pk}"
    assert call_json(client, "star", id=song_id, albumId=album_id, **owner_auth())["status"] == "ok"
    assert call_json(client, "setRating", id=album_id, rating=5, **owner_auth())["status"] == "ok"
    assert call_json(client, "savePlayQueue", id=song_id, **owner_auth())["status"] == "ok"
    starred = call_json(client, "getStarred2", **outsider_auth())["starred2"]
    assert starred == {"artist": [], "album": [], "song": []}
    album = call_json(client, "getAlbum", id=album_id, **outsider_auth())["album"]
    assert "starred" not in album and "userRating" not in album
    assert "playQueue" not in call_json(client, "getPlayQueue", **outsider_auth())
    assert call_json(client, "unstar", id=song_id, **outsider_auth())["status"] == "ok"
    assert Star.objects.filter(user=owner).count() == 2  # the outsider's unstar touched nothing of the owner's


def test_outsider_starring_owner_upload_is_70_and_stores_nothing(client, library, owner, outsider,
                                                                 outsider_app_password):
    from subsonic.models import Star

    upload = _upload(owner)
    body = call_json(client, "star", id=[f"al-{library.concert.pk}", ids.upload_song_id(upload.pk)],
                     **outsider_auth())
    assert body["error"]["code"] == 70
    assert not Star.objects.filter(user=outsider).exists()


def test_other_users_are_not_readable_with_get_user(client, owner, outsider_app_password):
    body = call_json(client, "getUser", username="owner", **outsider_auth())
    assert body["status"] == "failed" and body["error"]["code"] == 50


def test_outsider_streams_a_concert_track_from_the_archive_never_the_owners_file(
        client, library, owner, outsider_app_password, owner_app_password, replay):
    completed_download(user=owner, identifier=ITEM, file_name=TRACKS[0], content=b"owner's verified copy")
    song_id = ids.file_song_id(ITEM, TRACKS[0])
    mine = client.get("/rest/stream", {**owner_auth(), "id": song_id})
    assert b"".join(mine.streaming_content) == b"owner's verified copy"
    assert not replay.requests_to(f"/download/{ITEM}/{TRACKS[0]}")
    theirs = client.get("/rest/stream", {**outsider_auth(), "id": song_id})
    assert b"".join(theirs.streaming_content) == (library.folder / TRACKS[0]).read_bytes()
    assert len(replay.requests_to(f"/download/{ITEM}/{TRACKS[0]}")) == 1


def test_owner_public_playlist_hides_owner_private_songs_from_outsider(client, library, owner, outsider_app_password,
                                                                       owner_app_password):
    from subsonic.models import PlaylistEntry

    playlist = _owner_playlist(owner)
    playlist.public = True
    playlist.save()
    upload = _upload(owner)
    PlaylistEntry.objects.create(playlist=playlist, position=1, song_id=ids.upload_song_id(upload.pk))
    owners = call_json(client, "getPlaylist", id=playlist.pk, **owner_auth())["playlist"]["entry"]
    assert [e["id"] for e in owners] == [ids.file_song_id(ITEM, TRACKS[0]), ids.upload_song_id(upload.pk)]
    theirs = call_json(client, "getPlaylist", id=playlist.pk, **outsider_auth())["playlist"]["entry"]
    assert [e["id"] for e in theirs] == [ids.file_song_id(ITEM, TRACKS[0])]


def test_outsider_cannot_queue_or_list_owner_upload(client, library, owner, outsider, outsider_app_password):
    from subsonic.models import Playlist, PlayQueue

    upload = _upload(owner)
    song_id = ids.upload_song_id(upload.pk)
    for method, params in (("createPlaylist", {"name": "Taken", "songId": song_id}),
                           ("savePlayQueue", {"id": song_id}),
                           ("getAlbum", {"id": ids.uploads_album_id("garage-trio")}),
                           ("setRating", {"id": song_id, "rating": 5})):
        body = call_json(client, method, **params, **outsider_auth())
        assert body["status"] == "failed" and body["error"]["code"] == 70, method
    assert not Playlist.objects.filter(user=outsider).exists() and not PlayQueue.objects.filter(user=outsider).exists()
