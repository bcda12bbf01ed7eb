"""Contract tests: the two real Subsonic client libraries (py-opensonic, py-sonic) against a live Stylus on
loopback. Every endpoint of the issue's table is called through a client, and the parsed answer checked."""
from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

import pytest

from tests.subsonic.conftest import APP_PASSWORD, ITEM, TRACKS, completed_download

pytestmark = pytest.mark.django_db(transaction=True)


def _upload(user, *, title: str = "Home demo", artist: str = "Garage Trio"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from recommend.models import AudioUpload

    return AudioUpload.objects.create(user=user, title=title, artist=artist, status=AudioUpload.Status.DONE,
                                      file=SimpleUploadedFile("demo.mp3", b"ID3" + b"\x00" * 4000))


@pytest.fixture
def live(asgi_server, library, owner, owner_app_password):
    download = completed_download(user=owner, identifier=ITEM, file_name=TRACKS[0], content=bytes(range(256)) * 40)
    upload = _upload(owner)
    parts = urlsplit(asgi_server.url)
    return {"host": f"{parts.scheme}://{parts.hostname}", "port": parts.port, "library": library,
            "download": download, "upload": upload}


def _read(conn, response) -> bytes:
    """py-opensonic hands back aiohttp responses for binary endpoints; their body is read on its loop."""
    return asyncio.run_coroutine_threadsafe(response.read(), conn._loop).result()


def _music_folders(conn) -> list:
    """py-opensonic 10.4.1's get_music_folders iterates `musicFolders` itself, where the spec (and every
    server) nests the list as musicFolders.musicFolder; so this one goes through the client's request and
    response handling and its MusicFolder parser, on the spec's shape."""
    from libopensonic.media.media_types import MusicFolder

    async def call() -> dict:
        response = await conn._async._do_request("getMusicFolders")
        return await conn._async._handle_info_res(response)

    data = asyncio.run_coroutine_threadsafe(call(), conn._loop).result()
    return [MusicFolder.from_dict(f) for f in data["musicFolders"]["musicFolder"]]


def test_py_opensonic_client_parses_every_endpoint(live, staff):
    from libopensonic import Connection

    from tests.subsonic.conftest import set_app_password

    library = live["library"]
    # plain paths (no .view) and form POSTs: py-opensonic's defaults apart from use_views
    conn = Connection(live["host"], username="owner", password=APP_PASSWORD, port=live["port"], use_views=False)
    try:
        assert conn.ping() is True
        assert conn.get_license()
        assert {e.name for e in conn.get_open_subsonic_extensions()} == {"apiKeyAuthentication", "formPost",
                                                                          "sonicSimilarity"}
        assert conn.get_scan_status().count == 2
        assert [f.name for f in _music_folders(conn)] == ["Concerts", "My uploads"]
        indexes = conn.get_indexes()
        assert {a.name for i in indexes.index for a in i.artist} == {"Garage Trio", "Test Tapers", "The Phonograph Jam"}
        artists = conn.get_artists()
        assert {a.id for i in artists.index for a in i.artist} >= {"ar-test-tapers", "ar-garage-trio"}
        artist = conn.get_artist("ar-test-tapers")
        assert [a.id for a in artist.album] == [f"al-{library.concert.pk}", f"rc-{library.other.identifier}"]
        directory = conn.get_music_directory("ar-test-tapers")
        assert len(directory.child) == 2
        album = conn.get_album(f"al-{library.concert.pk}")
        assert album.year == 2001 and [s.title for s in album.song][:3] == ["Intro", "Jam", "Outro"]
        song_id = album.song[0].id
        song = conn.get_song(song_id)
        assert (song.track, song.suffix, song.content_type, song.duration) == (1, "mp3", "audio/mpeg", 61)
        assert [g.value for g in conn.get_genres()] == ["Live"]
        assert "Test Tapers" in conn.get_artist_info2("ar-test-tapers").biography
        assert "The Lab" in conn.get_album_info2(f"al-{library.concert.pk}").notes
        for ltype in ("newest", "recent", "frequent", "random", "alphabeticalByName", "alphabeticalByArtist", "starred"):
            conn.get_album_list2(ltype, size=5)
        assert [a.year for a in conn.get_album_list2("byYear", from_year=2000, to_year=2002)] == [2001]
        assert conn.get_random_songs(size=3)
        assert conn.star(sids=[song_id], album_ids=[f"al-{library.concert.pk}"], artist_ids=["ar-test-tapers"])
        starred = conn.get_starred2()
        assert [s.id for s in starred.song] == [song_id] and len(starred.album) == 1 and len(starred.artist) == 1
        assert [a.id for a in conn.get_album_list2("starred")] == [f"al-{library.concert.pk}"]
        assert conn.unstar(sids=[song_id])
        assert conn.set_rating(song_id, 5)
        assert conn.scrobble(song_id, submission=False)
        assert conn.scrobble(song_id, submission=True, listen_time=1_700_000_000)
        assert [a.id for a in conn.get_album_list2("recent")] == [f"al-{library.concert.pk}"]
        conn.get_now_playing()
        result = conn.search3("lab")
        assert [a.id for a in result.album] == [f"al-{library.concert.pk}"]
        assert _read(conn, conn.stream(song_id)) == (bytes(range(256)) * 40)
        assert _read(conn, conn.download(song_id)) == (bytes(range(256)) * 40)
        assert _read(conn, conn.get_cover_art("ar-test-tapers", size=64))[:8] == b"\x89PNG\r\n\x1a\n"
        assert conn.save_play_queue([song_id, album.song[1].id], current=song_id, position=1500)
        queue = conn.get_play_queue()
        assert [e.id for e in queue.entry] == [song_id, album.song[1].id] and queue.position == 1500
        assert conn.create_playlist(name="Road trip", song_ids=[song_id])
        playlist = conn.get_playlists()[0]
        assert playlist.name == "Road trip" and playlist.song_count == 1
        assert conn.update_playlist(playlist.id, name="Road trip 2", song_ids_to_add=[album.song[2].id])
        full = conn.get_playlist(playlist.id)
        assert full.name == "Road trip 2" and [e.id for e in full.entry] == [song_id, album.song[2].id]
        assert conn.delete_playlist(playlist.id)
        assert conn.get_playlists() == []
        assert conn.get_user("owner").stream_role is True
        assert conn.get_similar_songs2(song_id) == []
        assert conn.get_sonic_similar_tracks(song_id) == []  # no feature vectors: empty, never an error
        assert conn.find_sonic_path(song_id, album.song[1].id) == []
    finally:
        conn.cleanup()
    set_app_password(staff, "staff-app-password")
    admin = Connection(live["host"], username="staffer", password="staff-app-password", port=live["port"])
    try:
        assert admin.start_scan().scanning is True
    finally:
        admin.cleanup()


def test_py_sonic_client_parses_every_endpoint(live, staff):
    import libsonic
    from libsonic.errors import AuthError

    from tests.subsonic.conftest import set_app_password

    library = live["library"]
    # .view paths and form POSTs (py-sonic's defaults), token + salt auth
    conn = libsonic.Connection(live["host"], "owner", APP_PASSWORD, port=live["port"])
    album_id = f"al-{library.concert.pk}"
    assert conn.ping() is True
    assert conn.getLicense()["license"]["valid"] is True
    assert conn.getScanStatus()["scanStatus"]["count"] == 2
    assert len(conn.getMusicFolders()["musicFolders"]["musicFolder"]) == 2
    assert conn.getIndexes()["indexes"]["index"]
    names = [a["name"] for i in conn.getArtists()["artists"]["index"] for a in i["artist"]]
    assert names == ["Garage Trio", "The Phonograph Jam", "Test Tapers"]  # sorted without "The"
    assert len(conn.getArtist("ar-test-tapers")["artist"]["album"]) == 2
    songs = conn.getMusicDirectory(album_id)["directory"]["child"]
    assert songs[0]["title"] == "Intro"
    album = conn.getAlbum(album_id)["album"]
    song_id = album["song"][0]["id"]
    assert conn.getSong(song_id)["song"]["bitRate"] > 0
    assert conn.getGenres()["genres"]["genre"][0]["value"] == "Live"
    assert conn.getArtistInfo2("ar-test-tapers")["artistInfo2"]["biography"]
    assert conn.getAlbumInfo2(album_id)["albumInfo"]["notes"].startswith("Recorded live at The Lab")
    for ltype in ("newest", "recent", "frequent", "random", "alphabeticalByName", "alphabeticalByArtist", "starred"):
        assert conn.getAlbumList2(ltype)["status"] == "ok"
    assert conn.getAlbumList2("byYear", fromYear=2004, toYear=2004)["albumList2"]["album"][0]["year"] == 2004
    assert conn.getRandomSongs(size=2)["randomSongs"]["song"]
    assert conn.star(sids=[song_id])["status"] == "ok"
    assert conn.getStarred2()["starred2"]["song"][0]["id"] == song_id
    assert conn.unstar(sids=[song_id])["status"] == "ok"
    assert conn.setRating(album_id, 4)["status"] == "ok"
    assert conn.getAlbum(album_id)["album"]["userRating"] == 4
    assert conn.scrobble(song_id)["status"] == "ok"
    assert conn.getAlbumList2("frequent")["albumList2"]["album"][0]["id"] == album_id
    assert conn.getNowPlaying()["status"] == "ok"
    assert conn.search3("tapers")["searchResult3"]["artist"][0]["id"] == "ar-test-tapers"
    assert conn.stream(song_id).read() == bytes(range(256)) * 40
    assert conn.download(song_id).read() == bytes(range(256)) * 40
    assert conn.getCoverArt(album_id).read()[:4] == b"\x89PNG"
    assert conn.savePlayQueue([song_id], current=song_id, position=10)["status"] == "ok"
    assert conn.getPlayQueue()["playQueue"]["current"] == song_id
    created = conn.createPlaylist(name="Set one", songIds=[song_id])
    playlist_id = created["playlist"]["id"]
    assert conn.getPlaylists()["playlists"]["playlist"][0]["name"] == "Set one"
    assert conn.updatePlaylist(playlist_id, songIndexesToRemove=[0])["status"] == "ok"
    assert conn.getPlaylist(playlist_id)["playlist"]["songCount"] == 0
    assert conn.deletePlaylist(playlist_id)["status"] == "ok"
    assert conn.getUser("owner")["user"]["username"] == "owner"
    assert conn.getSimilarSongs2("ar-test-tapers")["similarSongs2"] == {"song": []}
    assert conn.getSimilarSongs2(song_id)["similarSongs2"] == {"song": []}

    def call(method: str, **query: str) -> dict:
        """py-sonic 1.2.0 predates OpenSubsonic: these go through its own request builder (.view, token +
        salt, form POST) and its JSON handling and status check, exactly as its named methods do."""
        result = conn._doInfoReq(conn._getRequest(f"{method}.view", query))
        assert conn._checkStatus(result) is True
        return result

    extensions = call("getOpenSubsonicExtensions")["openSubsonicExtensions"]
    assert {e["name"] for e in extensions} == {"apiKeyAuthentication", "formPost", "sonicSimilarity"}
    assert call("getSonicSimilarTracks", id=song_id)["sonicMatch"] == []  # no feature vectors: empty
    assert call("findSonicPath", startSongId=song_id, endSongId=album["song"][1]["id"])["sonicMatch"] == []
    with pytest.raises(AuthError):  # startScan is for staff: error 50, which the client raises as AuthError
        conn.startScan()
    set_app_password(staff, "staff-app-password")
    admin = libsonic.Connection(live["host"], "staffer", "staff-app-password", port=live["port"])
    assert admin.startScan()["scanStatus"]["scanning"] is True
