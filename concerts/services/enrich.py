"""Writes that read each recording's item metadata: track counts and lengths, setlists, Essentia features.

Aggregation reads search results, which carry no file list; it queues these for the recordings it stored,
so track counts are filled when concerts are aggregated rather than when someone first opens a recording.
"""
from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from common.exceptions import StylusError
from integrations.errors import IntegrationError
from integrations.internet_archive.types import ItemMetadata

from ..models import Concert, Recording
from .setlists import _audio_files, concert_setlist_agree, recording_setlist_from_meta

log = logging.getLogger(__name__)

ENRICH_BATCH = 50  # identifiers per task: about a minute of metadata calls at the archive's pace
ESSENTIA_LOW = "Essentia Low GZ"
ESSENTIA_HIGH = "Essentia High GZ"


def recording_enrich(*, meta: ItemMetadata) -> bool:
    """Fills a recording's track count, length and audio size from its item metadata; True if changed."""
    recording = Recording.objects.filter(identifier=meta.identifier).first()
    if recording is None:
        return False
    audio = [f for f in meta.files if f.format == recording.format] if recording.format else []
    if not audio:
        return False
    values = {
        "track_count": len(audio),
        "length": round(sum(f.length or 0 for f in audio), 2) or None,
        "total_size": sum(f.size or 0 for f in audio) or recording.total_size,
        "taper": recording.taper or meta.taper[:300],
        "transferer": recording.transferer or meta.transferer[:300],
        "lineage": recording.lineage or meta.lineage,
    }
    if all(getattr(recording, k) == v for k, v in values.items()):
        return False
    Recording.objects.filter(pk=recording.pk).update(**values, updated_at=timezone.now())
    return True


def _metadata(identifier: str) -> ItemMetadata:
    from archive.services import archive_item_get

    return archive_item_get(identifier=identifier)


def recordings_enrich(*, identifiers: Iterable[str], setlists: bool = True) -> dict[str, int]:
    """For each recording: track count and length, then its setlist; then each touched concert's agreed setlist.

    Idempotent. A recording whose metadata cannot be read is skipped (its track count stays empty, and the
    next aggregation queues it again).
    """
    counts = {"enriched": 0, "setlists": 0, "failed": 0}
    concerts: set[int] = set()
    for identifier in dict.fromkeys(identifiers):
        recording = Recording.objects.select_related("concert").filter(identifier=identifier).first()
        if recording is None:
            continue
        try:
            meta = _metadata(identifier)
        except (IntegrationError, StylusError) as exc:  # archive maps upstream failures to its own errors
            counts["failed"] += 1
            log.warning("metadata of %s unavailable: %s", identifier, exc)
            continue
        counts["enriched"] += int(recording_enrich(meta=meta))
        if setlists:
            recording.refresh_from_db()
            try:
                counts["setlists"] += int(bool(recording_setlist_from_meta(recording=recording, meta=meta)))
            except IntegrationError as exc:
                log.warning("info file of %s unavailable: %s", identifier, exc)
            concerts.add(recording.concert_id)
    for concert in Concert.objects.filter(pk__in=concerts):
        concert_setlist_agree(concert=concert)
    return counts


RECENT = dt.timedelta(minutes=10)


def recordings_enrich_later(*, identifiers: Iterable[str], skip_recent: bool = False) -> None:
    """Queues enrichment in batches once the current transaction commits.

    With skip_recent, recordings enriched in the last few minutes are left out: enrichment reads metadata
    through archive, which announces what it stored, which would otherwise queue the same work again (and
    forever, were archive's cache unavailable).
    """
    from ..tasks import recordings_enrich_task

    ids = list(dict.fromkeys(identifiers))
    if skip_recent and ids:
        fresh = set(Recording.objects.filter(identifier__in=ids, setlist_extracted_at__gte=timezone.now() - RECENT)
                    .values_list("identifier", flat=True))
        ids = [i for i in ids if i not in fresh]
    if not ids:
        return

    def queue() -> None:
        for i in range(0, len(ids), ENRICH_BATCH):
            recordings_enrich_task.delay(ids[i:i + ENRICH_BATCH])

    transaction.on_commit(queue)


def recordings_needing_enrichment(*, limit: int = 1000) -> list[str]:
    """Recordings whose track count was never filled (metadata unreadable last time), oldest first."""
    return list(Recording.objects.filter(track_count__isnull=True, is_demo=False)
                .order_by("created_at").values_list("identifier", flat=True)[:limit])


def recording_features_import(*, identifier: str) -> int:
    """Imports the archive's Essentia descriptors of a recording's tracks into recommend; returns tracks imported."""
    from integrations.internet_archive.essentia import parse_essentia
    from integrations.internet_archive.textfiles import fetch_small_file
    from recommend.services import track_features_import_archive

    recording = Recording.objects.select_related("concert").filter(identifier=identifier).first()
    if recording is None:
        return 0
    meta = _metadata(identifier)
    audio = _audio_files(meta, recording.format)
    by_original = {}
    for f in meta.files:
        if f.format in (ESSENTIA_LOW, ESSENTIA_HIGH):
            by_original[(f.format, f.original)] = f
    imported = 0
    for track in audio:
        low = by_original.get((ESSENTIA_LOW, track.name)) or by_original.get((ESSENTIA_LOW, track.original))
        if low is None:
            continue
        high = by_original.get((ESSENTIA_HIGH, low.name))
        descriptors = parse_essentia(fetch_small_file(identifier, low.name),
                                     high=fetch_small_file(identifier, high.name) if high else None)
        track_features_import_archive(identifier=identifier, filename=track.name,
                                      title=track.title or track.basename, artist=recording.concert.artist,
                                      values={**descriptors.feature_values(), "date": recording.concert.date_text})
        imported += 1
    return imported
