"""Writes for listening, split by what they do; callers import them from here (`listening.services`).

- listens: record listens (web, Subsonic, imports, ListenBrainz clients), delete them;
- matching: link listens to what Stylus knows (MBID, normalised artist and title, catalogue, albums);
- profile: privacy, scrobble targets, the player queue, now playing;
- scrobbling: sending listens and "now playing" out, and resending what failed;
- tallies: all-time play counts that the "all" stats read instead of grouping the whole history.
"""
from .listens import (
    COUNT_AFTER_SECONDS,
    EARLIEST,
    STATS_VERSION_KEY,
    ListenIn,
    ListenRejected,
    dedupe_key_for,
    listen_delete,
    listen_record,
    listens_delete_all,
    listens_import,
    play_counts,
)
from .matching import CATALOGUE_LOOKUPS_MAX, match_key_for, normalise
from .profile import (
    NOW_PLAYING_DEFAULT_SECONDS,
    QUEUE_MAX_ITEMS,
    lastfm_connect,
    lastfm_disconnect,
    listenbrainz_connect,
    listenbrainz_disconnect,
    now_playing_clear,
    now_playing_set,
    profile_for,
    profile_update,
    queue_save,
)
from .scrobbling import (
    RESEND_AFTER,
    RESEND_BATCH,
    now_playing_send,
    scrobble_lastfm,
    scrobble_listenbrainz,
    scrobbles_resend,
    settings_summary,
)
from .tallies import tallies_drop, tallies_fold_queued, tallies_refresh

__all__ = [
    "CATALOGUE_LOOKUPS_MAX", "COUNT_AFTER_SECONDS", "EARLIEST", "NOW_PLAYING_DEFAULT_SECONDS", "QUEUE_MAX_ITEMS",
    "RESEND_AFTER", "RESEND_BATCH", "STATS_VERSION_KEY", "ListenIn", "ListenRejected", "dedupe_key_for",
    "lastfm_connect", "lastfm_disconnect", "listen_delete", "listen_record", "listenbrainz_connect",
    "listenbrainz_disconnect", "listens_delete_all", "listens_import", "match_key_for", "normalise",
    "now_playing_clear", "now_playing_send", "now_playing_set", "play_counts", "profile_for", "profile_update",
    "queue_save", "scrobble_lastfm", "scrobble_listenbrainz", "scrobbles_resend", "settings_summary",
    "tallies_drop", "tallies_fold_queued", "tallies_refresh",
]
