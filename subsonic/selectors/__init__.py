"""Reads for Subsonic clients: who is calling, and the library shaped as OpenSubsonic artists, albums and songs.

The library is what Stylus already holds, read through the owning apps' selectors and services:
- artists: concert artists, plus the artists of the user's uploaded audio;
- albums: a concert (its best recording), each other recording as its own album with its source in the
  name and `version`, and the user's uploads by one artist;
- songs: the audio files of a recording (item metadata: title, track, length, size, bitrate, format), and
  uploaded files.
A user sees public concerts plus their own downloads, uploads, stars, playlists and queue.

The parts, each building only on those before it: `base` (constants, the concerts query, the library memo),
`auth` (who is calling), `marks` (stars and ratings), `albums` (albums, songs and where their bytes are),
`artists`, `lists`, `searching` (search3), `user_data` (playlists, queue, now playing), `similarity` and `system` (genres,
cover art). Callers use the names re-exported here.
"""
from .albums import (
    AlbumContext,
    SongSource,
    album_context,
    album_songs,
    concert_album,
    concert_name,
    download_song,
    file_song,
    recording_album,
    song_source,
    songs_by_ids,
    upload_song,
    uploads_album,
)
from .artists import artist_get, artist_index, artist_rows
from .auth import app_password_for, app_password_forget, user_from_params
from .base import (
    AUDIO_EXTENSIONS,
    CONTENT_TYPES,
    FOLDER_CONCERTS,
    FOLDER_UPLOADS,
    FORMAT_PREFERENCE,
    GENRE,
    IGNORED_ARTICLES,
    LIBRARY_MEMO_SECONDS,
    iso_time,
    library_memo_clear,
    sort_name,
)
from .lists import ALBUM_LIST_TYPES, album_list, item_exists, play_counts, random_songs, starred
from .marks import Marks, marks_for, marks_forget, user_marks
from .searching import search
from .similarity import sonic_path, sonic_similar
from .system import COVER_FORMATS, cover_for, genres, library_size, now
from .user_data import (
    now_playing,
    play_queue_for_user,
    playlist_get_for_user,
    playlist_songs,
    playlist_summary,
    playlists_for_user,
)

__all__ = [
    "ALBUM_LIST_TYPES", "AUDIO_EXTENSIONS", "CONTENT_TYPES", "COVER_FORMATS", "FOLDER_CONCERTS", "FOLDER_UPLOADS",
    "FORMAT_PREFERENCE", "GENRE", "IGNORED_ARTICLES", "LIBRARY_MEMO_SECONDS", "AlbumContext", "Marks",
    "SongSource", "album_context", "album_list", "album_songs", "app_password_for", "app_password_forget",
    "artist_get", "artist_index", "artist_rows", "concert_album", "concert_name", "cover_for", "download_song",
    "file_song", "genres", "item_exists", "iso_time", "library_memo_clear", "library_size", "marks_for",
    "marks_forget", "now", "now_playing", "play_counts", "play_queue_for_user", "playlist_get_for_user",
    "playlist_songs", "playlist_summary", "playlists_for_user", "random_songs", "recording_album", "search",
    "song_source", "songs_by_ids", "sonic_path", "sonic_similar", "sort_name", "starred", "upload_song",
    "uploads_album", "user_from_params", "user_marks",
]
