"""Writes for concerts, split by what they do; every public name is re-exported here.

- aggregate: etree search results grouped into concerts and ranked recordings
- enrich: item metadata read per recording (track counts, setlists, Essentia features)
- setlists: reconciled setlists per recording, agreed setlists per concert, songs per artist
- quality: measured quality cards and the ranking that uses them
"""
from .aggregate import (
    FORMAT_PREFERENCE,
    AggregateReport,
    concerts_aggregate,
    concerts_aggregate_from_archive,
    concerts_aggregate_items,
)
from .enrich import (
    recording_enrich,
    recording_features_import,
    recordings_enrich,
    recordings_enrich_later,
    recordings_needing_enrichment,
)
from .quality import (
    concert_rerank,
    quality_job_run,
    recording_files_on_disk,
    recording_quality_measure,
    recording_quality_queue,
)
from .setlists import (
    SongBook,
    concert_setlist_agree,
    recording_setlist_from_meta,
    recording_setlist_store,
    setlists_extract,
    song_alias_split,
    songs_merge,
)

__all__ = [
    "FORMAT_PREFERENCE", "AggregateReport", "SongBook", "concert_rerank", "concert_setlist_agree",
    "concerts_aggregate", "concerts_aggregate_from_archive", "concerts_aggregate_items", "quality_job_run",
    "recording_enrich", "recording_features_import", "recording_files_on_disk", "recording_quality_measure",
    "recording_quality_queue", "recording_setlist_from_meta", "recording_setlist_store", "recordings_enrich",
    "recordings_enrich_later", "recordings_needing_enrichment", "setlists_extract", "song_alias_split",
    "songs_merge",
]
