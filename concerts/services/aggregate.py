"""Writes for concerts: aggregating etree items into concerts and recordings, and ranking recordings."""
from __future__ import annotations

import logging
import operator
import time
from collections import defaultdict
from collections.abc import Callable, Container, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Sum
from django.utils import timezone
from django.utils.text import slugify

from common.locks import exclusive
from common.metrics import metrics
from integrations.internet_archive.parser import LOSSLESS_FORMATS, is_soundboard
from integrations.internet_archive.types import SearchDoc

from ..aggregation import CleanDate, artist_key, best_reason, clean_date, consensus, recording_score
from ..models import AggregationRun, Concert, Recording, RecordingQuality
from .bulk import chunks, copy_insert, cyclic_gc_paused, filter_in
from .enrich import recordings_enrich_later

log = logging.getLogger(__name__)

# The formats a recording is offered in, best first: its "format" is the first one it has.
FORMAT_PREFERENCE = ("24bit Flac", "Flac", "Shorten", "Apple Lossless Audio", "VBR MP3", "Ogg Vorbis", "128Kbps MP3",
                     "64Kbps MP3", "MP3")
# Fields a search result fills; track_count and length come from item metadata only.
_DOC_FIELDS = ("title", "raw_date", "venue", "location", "source_type", "source", "taper", "transferer", "lineage",
               "format", "lossless", "soundboard", "total_size", "avg_rating", "num_reviews", "downloads", "addeddate")
_RANK_FIELDS = ("score", "rank", "rank_reason")
_WRITE_FIELDS = (*_DOC_FIELDS, "track_count", "length", *_RANK_FIELDS)
_CONCERT_FIELDS = ("artist", "artist_slug", "venue", "location", "recordings_count", "best_identifier", "best_reason",
                   "latest_added", "date", "year")

# A stored recording is read as one tuple: (id, identifier, concert_id, *_WRITE_FIELDS). Comparing it with what
# this run computed is then one tuple comparison, with no dict or model instance per row.
_STORED = ("id", "identifier", "concert_id", *_WRITE_FIELDS)
_ID, _CONCERT, _VALUES = 0, 2, 3
_AT = {name: i for i, name in enumerate(_STORED)}
_write_values = operator.itemgetter(*_WRITE_FIELDS)  # a computed record's values in stored order


@dataclass
class AggregateReport:
    items_seen: int = 0
    items_undated: int = 0
    items_bad_date: int = 0
    concerts_created: int = 0
    concerts_updated: int = 0
    recordings_created: int = 0
    recordings_updated: int = 0
    bad_dates: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k != "bad_dates"}


def _best_format(formats: Iterable[str]) -> str:
    available = set(formats)
    return next((f for f in FORMAT_PREFERENCE if f in available), "")


def _doc_record(doc: SearchDoc, *, fmt: str, key: tuple[str, str]) -> dict:
    """What this run knows of one recording, keyed by Recording field, plus its concert key as "_key"."""
    return {
        "title": doc.title[:500],
        "raw_date": doc.date[:40],
        "venue": doc.venue[:300],
        "location": doc.coverage[:300],
        "source_type": doc.source_type,
        "source": doc.source,
        "taper": doc.taper[:300],
        "transferer": doc.transferer[:300],
        "lineage": doc.lineage,
        "format": fmt,
        "lossless": fmt in LOSSLESS_FORMATS,
        "soundboard": is_soundboard(identifier=doc.identifier, title=doc.title, source=doc.source, lineage=doc.lineage),
        "total_size": doc.item_size or None,
        "avg_rating": doc.avg_rating if doc.num_reviews else None,
        "num_reviews": doc.num_reviews,
        "downloads": doc.downloads,
        "addeddate": doc.addeddate[:32],
        "track_count": None,  # from item metadata, kept from the stored row below
        "length": None,
        "_key": key,
    }


@dataclass
class _Incoming:
    """The items of one run, read once: records by identifier, and per concert key its cleaned date."""

    records: dict[str, dict] = field(default_factory=dict)
    artist_names: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    dates: dict[tuple[str, str], CleanDate] = field(default_factory=dict)


def _read_docs(docs: Iterable[SearchDoc], report: AggregateReport) -> _Incoming:
    incoming = _Incoming()
    # Recordings of one show share its date string, artists recur across thousands of items and there are a
    # handful of format lists: each is worked out once per distinct value.
    cleaned_dates: dict[str, CleanDate | None] = {}
    artist_keys: dict[str, str] = {}
    formats: dict[tuple[str, ...], str] = {}
    for doc in docs:
        report.items_seen += 1
        if not doc.date or not doc.creator:
            report.items_undated += 1
            continue
        if doc.date in cleaned_dates:
            cleaned = cleaned_dates[doc.date]
        else:
            cleaned = cleaned_dates[doc.date] = clean_date(doc.date)
        if cleaned is None:
            report.items_bad_date += 1
            if len(report.bad_dates) < 20:
                report.bad_dates.append(f"{doc.identifier}: {doc.date}")
            continue
        akey = artist_keys.get(doc.creator)
        if akey is None:
            akey = artist_keys[doc.creator] = artist_key(doc.creator)
        fmt = formats.get(doc.formats)
        if fmt is None:
            fmt = formats[doc.formats] = _best_format(doc.formats)
        key = (akey, cleaned.text)
        incoming.records[doc.identifier] = _doc_record(doc, fmt=fmt, key=key)
        incoming.artist_names[akey].append(doc.creator.strip())
        incoming.dates[key] = cleaned
    return incoming


def concerts_aggregate_items(*, docs: Iterable[SearchDoc], report: AggregateReport | None = None,
                             enrich: bool = True) -> AggregateReport:
    """Groups etree items into concerts by artist and date and upserts both, idempotently.

    Everything is computed in memory first (dates cleaned, venue and location by consensus, each
    concert's recordings ranked), then only rows whose values differ are written, in batches. Running
    it twice on the same items writes nothing the second time.
    """
    report = report or AggregateReport()
    # 100k items become a few hundred thousand dicts and tuples, none in a reference cycle: the cyclic collector
    # would walk them all again and again as they pile up (about a fifth of the run's CPU), and freeing them
    # needs only reference counts.
    with cyclic_gc_paused():
        _aggregate(docs=docs, report=report, enrich=enrich)
    return report


def _aggregate(*, docs: Iterable[SearchDoc], report: AggregateReport, enrich: bool) -> None:
    incoming = _read_docs(docs, report)
    if not incoming.records:
        return

    # -- what is stored already ------------------------------------------------------------------
    wanted_keys = {record["_key"] for record in incoming.records.values()}
    artists = sorted({k[0] for k in wanted_keys})
    concerts: dict[tuple[str, str], dict[str, Any]] = {}  # stored concert rows, with "pk"
    concert_columns = ("pk", "artist_key", "date_text", *_CONCERT_FIELDS)
    for qs in filter_in(Concert.objects.values(*concert_columns), "artist_key", artists):
        for concert in qs:
            concerts[(concert["artist_key"], concert["date_text"])] = concert
    by_id = {c["pk"]: c for c in concerts.values()}
    affected_ids = {concerts[k]["pk"] for k in wanted_keys if k in concerts}

    stored: dict[str, tuple] = {}  # identifier -> stored row (see _STORED)
    for qs in filter_in(Recording.objects.values_list(*_STORED), "concert_id", sorted(affected_ids)):
        for row in qs:  # every recording of the concerts this run touches
            stored[row[1]] = row
    unseen = [i for i in incoming.records if i not in stored]
    for qs in filter_in(Recording.objects.values_list(*_STORED), "identifier", unseen):
        for row in qs:  # stored under a concert this run does not know yet: the recording moves
            if row[_CONCERT] not in by_id:
                moved_from = Concert.objects.values(*concert_columns).get(pk=row[_CONCERT])
                by_id[moved_from["pk"]] = moved_from
                concerts[(moved_from["artist_key"], moved_from["date_text"])] = moved_from
            if row[_CONCERT] not in affected_ids:
                affected_ids.add(row[_CONCERT])
                for sibling in Recording.objects.filter(concert_id=row[_CONCERT]).values_list(*_STORED):
                    stored.setdefault(sibling[1], sibling)
            stored[row[1]] = row
    artist_totals: dict[str, list[float]] = defaultdict(lambda: [0.0, 0])
    for part in chunks(artists, 500):
        for total in (Recording.objects.filter(concert__artist_key__in=part, avg_rating__isnull=False)
                      .values("concert__artist_key").annotate(s=Sum("avg_rating"), c=Count("id"))):
            artist_totals[total["concert__artist_key"]] = [total["s"] or 0.0, total["c"]]

    # -- the state after this run ------------------------------------------------------------------
    id_to_key = {c["pk"]: k for k, c in concerts.items()}
    final: dict[str, dict] = {}
    for identifier, row in stored.items():
        if identifier in incoming.records:
            continue
        found = id_to_key.get(row[_CONCERT])
        if found is not None:
            final[identifier] = {**dict(zip(_WRITE_FIELDS, row[_VALUES:], strict=True)), "_key": found}
    for identifier, record in incoming.records.items():
        row = stored.get(identifier)
        if row is not None:  # what item metadata filled in stays
            record["track_count"], record["length"] = row[_AT["track_count"]], row[_AT["length"]]
            if record["total_size"] is None:
                record["total_size"] = row[_AT["total_size"]]
        final[identifier] = record
    for row in stored.values():  # keep the artist's average exact: swap old ratings for new
        if row[_AT["avg_rating"]] is not None and row[_CONCERT] in id_to_key:
            totals = artist_totals[id_to_key[row[_CONCERT]][0]]
            totals[0] -= row[_AT["avg_rating"]]
            totals[1] -= 1
    for record in final.values():
        if record["avg_rating"] is not None:
            totals = artist_totals[record["_key"][0]]
            totals[0] += record["avg_rating"]
            totals[1] += 1

    members: dict[tuple[str, str], list[str]] = defaultdict(list)
    for identifier, record in final.items():
        members[record["_key"]].append(identifier)
    measured = _measured(final)
    concert_values: dict[tuple[str, str], dict] = {}
    artist_display: dict[str, tuple[str, str]] = {}  # artist key -> (name, slug), agreed once per artist
    for key, identifiers in members.items():
        totals = artist_totals[key[0]]
        avg_all = totals[0] / totals[1] if totals[1] > 0 else 0.0
        for identifier in identifiers:
            r = final[identifier]
            delta, reasons = measured.get(identifier, (0.0, ""))
            r["score"] = round(recording_score(avg=r["avg_rating"], n=r["num_reviews"], avg_all=avg_all,
                                               soundboard=r["soundboard"], lossless=r["lossless"]) + delta, 6)
            r["rank_reason"] = reasons
        ordered = sorted(identifiers, key=lambda i: (-final[i]["score"], -(final[i]["downloads"] or 0), i))
        for rank, identifier in enumerate(ordered, start=1):
            final[identifier]["rank"] = rank
        best = final[ordered[0]]
        existing = concerts.get(key)
        cleaned = incoming.dates.get(key)
        display = artist_display.get(key[0])
        if display is None:
            names = incoming.artist_names.get(key[0]) or ([existing["artist"]] if existing else [key[0]])
            name = (consensus(names) or key[0])[:300]
            display = artist_display[key[0]] = (name, (slugify(name) or "artist")[:300])
        concert_values[key] = {
            "artist": display[0],
            "artist_slug": display[1],
            "venue": consensus(final[i]["venue"] for i in ordered)[:300],
            "location": consensus(final[i]["location"] for i in ordered)[:300],
            "recordings_count": len(ordered),
            "best_identifier": ordered[0],
            "best_reason": "; ".join(filter(None, (
                best_reason(source_type=best["source_type"], soundboard=best["soundboard"], format=best["format"],
                            avg=best["avg_rating"], n=best["num_reviews"]), best["rank_reason"])))[:200],
            "latest_added": max((final[i]["addeddate"] or "" for i in ordered), default="")[:32],
            "date": cleaned.date if cleaned else (existing["date"] if existing else None),
            "year": cleaned.year if cleaned else (existing["year"] if existing else int(key[1][:4])),
        }

    # -- write only what differs --------------------------------------------------------------------
    with transaction.atomic():
        concert_ids = {key: c["pk"] for key, c in concerts.items()}
        new_keys = [key for key in concert_values if key not in concerts]
        report.concerts_created += copy_insert(Concert, ("artist_key", "date_text", *_CONCERT_FIELDS), (
            (*key, *(concert_values[key][f] for f in _CONCERT_FIELDS)) for key in new_keys))
        if new_keys:  # read the new ids back (COPY returns none)
            wanted = set(new_keys)
            for qs in filter_in(Concert.objects.values_list("pk", "artist_key", "date_text"), "artist_key",
                                sorted({k[0] for k in wanted})):
                for pk, akey, date_text in qs:
                    if (akey, date_text) in wanted:
                        concert_ids[(akey, date_text)] = pk
        changed_concerts = [
            Concert(pk=concerts[key]["pk"], **values) for key, values in concert_values.items()
            if key in concerts and any(concerts[key][f] != v for f, v in values.items())]
        if changed_concerts:
            Concert.objects.bulk_update(changed_concerts, _CONCERT_FIELDS, batch_size=500)
        report.concerts_updated += len(changed_concerts)
        # concerts left without recordings (all moved away) are removed
        emptied = [c["pk"] for k, c in concerts.items() if c["pk"] in affected_ids and k not in members]
        if emptied:
            Concert.objects.filter(pk__in=emptied).delete()

        new_recordings, changed_recordings = [], []
        for identifier, record in final.items():
            concert_id = concert_ids[record["_key"]]
            values = _write_values(record)
            row = stored.get(identifier)
            if row is None:
                new_recordings.append((identifier, concert_id, *values))
            elif row[_CONCERT] != concert_id or row[_VALUES:] != values:
                changed_recordings.append(Recording(pk=row[_ID], identifier=identifier, concert_id=concert_id,
                                                    **dict(zip(_WRITE_FIELDS, values, strict=True))))
        report.recordings_created += copy_insert(Recording, ("identifier", "concert_id", *_WRITE_FIELDS),
                                                 new_recordings)
        if changed_recordings:
            Recording.objects.bulk_update(changed_recordings, ("concert_id", *_WRITE_FIELDS), batch_size=500)
        report.recordings_updated += len(changed_recordings)
        # track counts and setlists come from each item's metadata, which search results lack: fetch them now
        # (after commit, in the background) rather than when someone first opens the recording
        if enrich:
            recordings_enrich_later(identifiers=[i for i, r in final.items() if r["track_count"] is None])


def _measured(wanted: Container[str]) -> dict[str, tuple[float, str]]:
    """{identifier: (score change, reasons)} from the quality cards of these recordings.

    Cards exist only for recordings someone downloaded, far fewer than the recordings a run touches: one read
    of all of them beats a thousand-identifier lookup per chunk.
    """
    return {identifier: (delta, "; ".join(reasons)[:300])
            for identifier, delta, reasons in RecordingQuality.objects.values_list(
                "recording__identifier", "score_delta", "reasons").iterator(chunk_size=2000)
            if identifier in wanted}


def concerts_aggregate(*, docs: Iterable[SearchDoc], artist: str = "", since=None,
                       on_progress: Callable[[int], None] | None = None) -> AggregationRun:
    """Runs one recorded aggregation over `docs` (skipped when another run holds the lock)."""
    run = AggregationRun.objects.create(artist=artist[:300], since=since)
    start = time.perf_counter()
    with exclusive("concerts.aggregate", ttl=3600) as acquired:
        if not acquired:
            run.status = AggregationRun.Status.FAILED
            run.message = "Another aggregation is running."
            run.finished_at = timezone.now()
            run.save()
            return run
        try:
            collected = []
            for doc in docs:
                collected.append(doc)
                if on_progress and len(collected) % 1000 == 0:
                    on_progress(len(collected))
            report = concerts_aggregate_items(docs=collected)
        except Exception as exc:
            run.status = AggregationRun.Status.FAILED
            run.message = f"{exc.__class__.__name__}: {exc}"[:2000]
            run.duration = time.perf_counter() - start
            run.finished_at = timezone.now()
            run.save()
            raise
    for name, value in report.as_dict().items():
        setattr(run, name, value)
    run.status = AggregationRun.Status.SUCCEEDED
    run.duration = time.perf_counter() - start
    run.finished_at = timezone.now()
    if report.bad_dates:
        run.message = "Impossible dates: " + "; ".join(report.bad_dates)
    run.save()
    metrics.record_timing(name="concerts.aggregate", duration=run.duration)
    return run


def concerts_aggregate_from_archive(*, artist: str = "", since=None, limit: int | None = None,
                                    on_progress: Callable[[int], None] | None = None) -> AggregationRun:
    """Aggregates what the archive's etree search returns (scrape API, following the cursor)."""
    from integrations.internet_archive.client import InternetArchiveClient
    from integrations.internet_archive.query import etree_query

    query = etree_query(artist=artist, added_since=since)

    def docs():
        with InternetArchiveClient() as client:
            for page in client.scrape_all(query=query, count=settings.CONCERTS_SCRAPE_PAGE_SIZE, limit=limit):
                yield from page

    return concerts_aggregate(docs=docs(), artist=artist, since=since, on_progress=on_progress)
