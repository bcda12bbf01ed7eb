"""Writes for recommend, split by what they do (see each module); the public names are re-exported here so
callers keep using `recommend.services.<name>`."""

from recommend.ranking import Recommendation  # noqa: F401
from recommend.text import match_key, normalise_genre, normalise_text  # noqa: F401

from .catalogue import (  # noqa: F401
    archive_values,
    artist_upsert,
    features_store,
    metadata_features,
    parse_year,
    spotify_values,
    to_float,
    track_features_import_archive,
    track_upsert_from_spotify,
)
from .covers import album_cover_needed, album_cover_schedule, album_cover_store, album_covers_queue_missing  # noqa: F401
from .index import (  # noqa: F401
    BUILD_LOCK,
    IndexBusy,
    Progress,
    index_add_later,
    index_add_tracks,
    index_rebuild,
    index_rebuild_run,
    index_rebuild_start,
    live_index,
    schedule_nightly_rebuild,
)
from .ingest import (  # noqa: F401
    DATASET_ALIASES,
    ImportResult,
    archive_downloads_analyse,
    audio_upload_analyse,
    audio_upload_create,
    dataset_import_run,
    dataset_import_start,
    dataset_mapping,
    features_from_archive_downloads,
    features_from_audio_file,
    track_features_import,
)
from .recommend import (  # noqa: F401
    REMEDY,
    SEED_KINDS,
    RecommendationResult,
    SeedHasNoFeatures,
    SeedNotInCatalogue,
    best_features,
    recommend_for_track,
    recommend_from_link,
    recommendations_save_to_spotify,
)
from .spotify import (  # noqa: F401
    IngestResult,
    enrich_from_spotify,
    library_import_run,
    library_import_start,
    playlist_ingest,
    playlist_ingest_run,
    playlist_ingest_start,
    spotify_client,
    spotify_token_for,
    upstream_error,
)
