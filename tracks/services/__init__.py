"""Writes for tracks, split by what they do; the public names are re-exported here so callers keep using
`tracks.services.<name>`.

Permission checks happen in the `*_get_for_user` selectors the adapters call first; services trust
the objects they are given but re-check owner-only rules that depend on the arguments.
"""

from .collaborations import (  # noqa: F401
    collaboration_invite,
    collaboration_invite_batch,
    collaboration_remove,
    collaboration_respond,
    collaboration_update,
)
from .covers import (  # noqa: F401
    album_series_cover_schedule,
    album_series_cover_store,
    covers_queue_missing,
    song_cover_schedule,
    song_cover_store,
)
from .packs import (  # noqa: F401
    album_series_add_missing,
    album_series_create,
    album_series_delete,
    album_series_mark_track,
    album_series_update,
    pack_create,
    pack_delete,
    pack_release,
    pack_update,
)
from .profile import (  # noqa: F401
    achievements_evaluate,
    achievements_mark_seen,
    activity_record,
    profile_update,
)
from .songs import (  # noqa: F401
    song_create,
    song_delete,
    song_set_status,
    song_step_set,
    song_update,
    songs_batch_create,
    songs_bulk_add_to_pack,
    songs_bulk_delete,
    songs_bulk_status,
)
from .spotify import (  # noqa: F401
    EnrichResult,
    SpotifyMatch,
    album_series_fetch_tracklist,
    playlist_import,
    song_apply_spotify,
    song_enrich,
    songs_enrich_bulk,
    songs_enrich_bulk_start,
    spotify_candidates,
    spotify_errors,
    spotify_score,
)
from .validation import (  # noqa: F401
    PACK_FIELDS,
    SERIES_FIELDS,
    SONG_FIELDS,
    STATUSES,
)
from .workflow import (  # noqa: F401
    workflow_ensure,
    workflow_reorder,
    workflow_reset,
    workflow_step_create,
    workflow_step_delete,
    workflow_step_move,
    workflow_step_rename,
)
