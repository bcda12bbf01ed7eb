"""The library's shape: artists are concert artists plus upload artists; an album is a concert (its best
recording) and each other recording is its own album with its source in the name and `version`; songs carry
the item metadata; year from the concert date, venue in the notes; lists, search and scrobbles."""
from __future__ import annotations

import datetime as dt

from subsonic import ids
from tests.subsonic.conftest import ITEM, OTHER, TRACKS, call_json, completed_download, outsider_auth, owner_auth


def _upload(owner, *, artist: str, title: str = "Basement take"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from recommend.models import AudioUpload

    return AudioUpload.objects.create(user=owner, title=title, artist=artist,
                                      file=SimpleUploadedFile("take.flac", b"fLaC" + b"\x00" * 1000))


def test_artists_merge_concert_artists_and_upload_artists(client, library, owner, owner_app_password):
    _upload(owner, artist="Test Tapers")  # same artist as the concerts: one entry, one more album
    _upload(owner, artist="Garage Trio")
    index = call_json(client, "getArtists", **owner_auth())["artists"]["index"]
    artists = {a["name"]: a["albumCount"] for i in index for a in i["artist"]}
    assert artists == {"Test Tapers": 2, "Garage Trio": 1, "The Phonograph Jam": 1}
    only_uploads = call_json(client, "getArtists", musicFolderId=2, **owner_auth())["artists"]["index"]
    assert {a["name"] for i in only_uploads for a in i["artist"]} == {"Test Tapers", "Garage Trio"}


def test_artist_albums_are_the_concert_and_each_other_recording(client, library, owner_app_password):
    albums = call_json(client, "getArtist", id="ar-test-tapers", **owner_auth())["artist"]["album"]
    assert [a["id"] for a in albums] == [f"al-{library.concert.pk}", f"rc-{OTHER}"]
    best, other = albums
    assert best["name"] == "2001-02-03 The Lab" and best["version"] == f"SBD · {ITEM}"
    assert other["name"] == f"2001-02-03 The Lab [AUD · {OTHER}]" and other["version"] == f"AUD · {OTHER}"
    assert best["year"] == other["year"] == 2001


def test_album_songs_carry_item_metadata(client, library, owner_app_password):
    album = call_json(client, "getAlbum", id=f"al-{library.concert.pk}", **owner_auth())["album"]
    first = album["song"][0]
    assert (first["title"], first["track"], first["duration"], first["size"], first["suffix"],
            first["contentType"]) == ("Intro", 1, 61, 61000, "mp3", "audio/mpeg")
    assert first["bitRate"] == round(61000 * 8 / 61 / 1000)
    assert first["year"] == 2001 and first["albumId"] == album["id"] and first["artistId"] == "ar-test-tapers"
    assert all(not s["path"].endswith(".flac") for s in album["song"])  # private FLACs are never offered


def test_album_info_notes_carry_the_venue(client, library, owner_app_password):
    notes = call_json(client, "getAlbumInfo2", id=f"al-{library.concert.pk}", **owner_auth())["albumInfo"]["notes"]
    assert notes.startswith("Recorded live at The Lab, Springfield, OR on 2001-02-03.")


def test_album_without_reachable_metadata_lists_the_users_downloads(client, library, owner, owner_app_password,
                                                                    replay):
    replay.reset()  # the archive is gone
    completed_download(user=owner, identifier=ITEM, file_name=TRACKS[1], content=b"x" * 500, track=2)
    album = call_json(client, "getAlbum", id=f"al-{library.concert.pk}", **owner_auth())
    assert album["status"] == "ok"
    assert [s["id"] for s in album["album"]["song"]] == [ids.file_song_id(ITEM, TRACKS[1])]


def test_album_prefers_the_format_the_user_downloaded(client, library, owner, owner_app_password, replay, tmp_path):
    import json

    data = json.loads((library.folder / "metadata_testtapers.json").read_text())
    for f in data["files"]:
        f.pop("private", None)  # the FLACs become downloadable
    edited = tmp_path / "meta.json"
    edited.write_text(json.dumps(data))
    replay.reset()
    replay.add(f"/metadata/{ITEM}", file=edited)
    without = call_json(client, "getAlbum", id=f"al-{library.concert.pk}", **owner_auth())["album"]["song"]
    assert {s["suffix"] for s in without} == {"mp3"}  # lossy first for streaming
    completed_download(user=owner, identifier=ITEM, file_name="tt2001-02-03d1t01.flac", content=b"f" * 10)
    songs = call_json(client, "getAlbum", id=f"al-{library.concert.pk}", **owner_auth())["album"]["song"]
    assert [s["suffix"] for s in songs] == ["flac", "flac", "flac"]


def test_album_list_types_order_as_the_spec_says(client, library, owner_app_password):
    def ids_of(**params):
        return [a["id"] for a in call_json(client, "getAlbumList2", **params, **owner_auth())["albumList2"]["album"]]

    first, later = f"al-{library.concert.pk}", f"al-{library.later.pk}"
    assert ids_of(type="newest") == [later, first]
    assert ids_of(type="alphabeticalByArtist") == [later, first]  # "the phonograph jam" < "test tapers"
    assert ids_of(type="alphabeticalByName") == [first, later]
    assert ids_of(type="byYear", fromYear=2010, toYear=1990) == [later, first]  # reversed range: newest first
    assert ids_of(type="byGenre", genre="Live") == [later, first]
    assert ids_of(type="newest", size=1, offset=1) == [first]
    assert ids_of(type="recent") == [] and ids_of(type="starred") == []


def test_search3_matches_venue_and_empty_query_lists_everything(client, library, owner, owner_app_password):
    _upload(owner, artist="Garage Trio", title="Red Rocks rehearsal")
    result = call_json(client, "search3", query="red rocks", **owner_auth())["searchResult3"]
    assert [a["id"] for a in result["album"]] == [f"al-{library.later.pk}"]
    assert [s["title"] for s in result["song"]] == ["Red Rocks rehearsal"]
    everything = call_json(client, "search3", query="", songCount=0, **owner_auth())["searchResult3"]
    assert len(everything["album"]) == 2 and len(everything["artist"]) == 3 and everything["song"] == []


def test_scrobble_records_a_listen_and_a_play_once(client, library, owner, owner_app_password):
    from listening.models import Listen
    from subsonic.models import Play

    song_id = ids.file_song_id(ITEM, TRACKS[0])
    when = 1_700_000_000_000
    for _ in range(2):  # clients retry: the same play twice is stored once
        body = call_json(client, "scrobble", id=song_id, time=when, **owner_auth())
        assert body["status"] == "ok"
    listen = Listen.objects.get(user=owner)
    assert (listen.track_title, listen.artist_name, listen.source, listen.recording_identifier, listen.filename) == (
        "Intro", "Test Tapers", "subsonic", ITEM, TRACKS[0])
    assert listen.listened_at == dt.datetime.fromtimestamp(when / 1000, tz=dt.UTC)
    play = Play.objects.get(user=owner)
    assert play.album_id == f"al-{library.concert.pk}" and play.forwarded is True
    frequent = call_json(client, "getAlbumList2", type="frequent", **owner_auth())["albumList2"]["album"]
    assert [a["id"] for a in frequent] == [f"al-{library.concert.pk}"]


def test_scrobble_now_playing_shows_in_get_now_playing(client, library, owner, owner_app_password):
    song_id = ids.file_song_id(ITEM, TRACKS[1])
    assert call_json(client, "scrobble", id=song_id, submission="false", **owner_auth())["status"] == "ok"
    entries = call_json(client, "getNowPlaying", **owner_auth())["nowPlaying"]["entry"]
    assert [(e["username"], e["title"]) for e in entries] == [("owner", "Jam")]


def test_get_now_playing_hides_a_private_listener_from_others(client, library, owner, owner_app_password,
                                                              outsider_app_password):
    from listening.models import ListeningProfile

    song_id = ids.file_song_id(ITEM, TRACKS[1])
    assert call_json(client, "scrobble", id=song_id, submission="false", **owner_auth())["status"] == "ok"
    assert call_json(client, "getNowPlaying", **outsider_auth())["nowPlaying"].get("entry", []) == []
    ListeningProfile.objects.update_or_create(user=owner, defaults={"history_public": True})
    entries = call_json(client, "getNowPlaying", **outsider_auth())["nowPlaying"]["entry"]
    assert [e["username"] for e in entries] == ["owner"]


def test_scrobble_unknown_song_is_70_and_stores_nothing(client, library, owner, owner_app_password):
    from subsonic.models import Play

    body = call_json(client, "scrobble", id=[ids.file_song_id(ITEM, TRACKS[0]), "so-bm9wZS9ub3BlLm1wMw"],
                     **owner_auth())
    assert body["error"]["code"] == 70
    assert not Play.objects.exists()


def test_playlist_limits_and_bad_indexes_are_clean_failures(client, library, owner, owner_app_password):
    from subsonic.models import Playlist

    body = call_json(client, "createPlaylist", name="x" * 501, **owner_auth())
    assert body["status"] == "failed" and "name" in body["error"]["message"]
    created = call_json(client, "createPlaylist", name="Ok", songId=ids.file_song_id(ITEM, TRACKS[0]), **owner_auth())
    playlist_id = created["playlist"]["id"]
    body = call_json(client, "updatePlaylist", playlistId=playlist_id, songIndexToRemove=5, **owner_auth())
    assert body["status"] == "failed"
    assert Playlist.objects.get(pk=playlist_id).entries.count() == 1


def test_search3_finds_upload_artists_and_songs_by_either_field_and_carries_marks(client, library, owner,
                                                                                 owner_app_password):
    theirs = _upload(owner, artist="Garage Trio", title="Basement take")
    _upload(owner, artist="Other Band", title="Garage sale")
    completed_download(user=owner, identifier=ITEM, file_name=TRACKS[1], content=b"jam", track=2)
    song_id = ids.upload_song_id(theirs.pk)
    assert call_json(client, "star", id=song_id, artistId="ar-garage-trio", albumId=f"al-{library.concert.pk}",
                     **owner_auth())["status"] == "ok"
    result = call_json(client, "search3", query="GARAGE basement", **owner_auth())["searchResult3"]
    assert [s["id"] for s in result["song"]] == [song_id]  # one term in the artist, the other in the title
    assert "starred" in result["song"][0]
    result = call_json(client, "search3", query="garage", **owner_auth())["searchResult3"]
    assert [a["name"] for a in result["artist"]] == ["Garage Trio"] and "starred" in result["artist"][0]
    assert sorted(s["title"] for s in result["song"]) == ["Basement take", "Garage sale"]
    result = call_json(client, "search3", query="lab", **owner_auth())["searchResult3"]
    assert [a["id"] for a in result["album"]] == [f"al-{library.concert.pk}"] and "starred" in result["album"][0]
    result = call_json(client, "search3", query=TRACKS[1].split(".")[0], **owner_auth())["searchResult3"]
    assert [s["id"] for s in result["song"]] == [ids.file_song_id(ITEM, TRACKS[1])]  # the user's download
