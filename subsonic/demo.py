"""Demo content for Subsonic: a known app password for the demo user (so a Subsonic app can be pointed at
`make run` at once), two starred demo concerts and a playlist of one concert's songs. Every row is marked
is_demo, so unload removes exactly these."""
from __future__ import annotations

from typing import Any

DEMO_APP_PASSWORD = "stylus-subsonic-demo"


def load(*, user: Any, staff: Any, stdout: Any) -> None:
    from archive import selectors as archive_selectors

    from . import ids, selectors
    from .models import AppPassword, Playlist, PlaylistEntry, Star
    from .protocol import SubsonicError

    AppPassword.objects.update_or_create(user=user, defaults={"secret": DEMO_APP_PASSWORD, "is_demo": True})
    albums = selectors.album_list(user=user, list_type="alphabeticalByArtist", size=2, offset=0)
    for album in albums:
        Star.objects.get_or_create(user=user, kind=Star.Kind.ALBUM, item_id=album["id"], defaults={"is_demo": True})
    selectors.marks_forget(user=user)
    # The playlist comes from the concert the archive demo downloaded for this user: its metadata is a
    # pinned snapshot and its files are on disk, so nothing here reaches the network.
    songs: list[dict[str, Any]] = []
    for row in archive_selectors.library_for_user(user=user):
        try:
            context = selectors.album_context(user=user, album_id=ids.recording_album_id(row["identifier"]))
        except SubsonicError:
            continue
        songs = selectors.album_songs(user=user, context=context)
        if songs:
            break
    if songs and not Playlist.objects.filter(user=user, is_demo=True).exists():
        playlist = Playlist.objects.create(user=user, name="Demo: first set", is_demo=True,
                                           comment="Made by the demo loader from the demo concerts.")
        PlaylistEntry.objects.bulk_create(PlaylistEntry(playlist=playlist, position=i, song_id=s["id"])
                                          for i, s in enumerate(songs[:5]))
    stdout.write(f"  subsonic: app password '{DEMO_APP_PASSWORD}' for {user.get_username()}, "
                 f"{len(albums)} starred albums, playlist of {min(len(songs), 5)} songs")


def unload(*, stdout: Any) -> None:
    from . import selectors
    from .models import AppPassword, Play, Playlist, Star

    for user in {star.user for star in Star.objects.filter(is_demo=True).select_related("user")}:
        selectors.marks_forget(user=user)
    counts = [model.objects.filter(is_demo=True).delete()[0] for model in (AppPassword, Star, Playlist, Play)]
    stdout.write(f"  subsonic: removed {sum(counts)} demo rows")
