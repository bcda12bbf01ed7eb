"""Writes for concerts: aggregating etree items into concerts and recordings, and ranking recordings."""
from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Sum
from django.utils import timezone
from django.utils.text import slugify

from common.locks import exclusive
from common.metrics import metrics
from integrations.internet_archive.parser import LOSSLESS_FORMATS, is_soundboard
from integrations.internet_archive.types import SearchDoc

from ..aggregation import CleanDate, artist_key, best_reason, clean_date, consensus, recording_score
from ..models import AggregationRun, Concert, Recording, RecordingQuality
from .enrich import recordings_enrich_later

log = logging.getLogger(__name__)

# The formats a recording is offered in, best first: its "format" is the first one it has.
FORMAT_PREFERENCE = ("24bit Flac", "Flac", "Shorten", "Apple Lossless Audio", "VBR MP3", "Ogg Vorbis", "128Kbps MP3",
                     "64Kbps MP3", "MP3")
# Fields a search result fills; track_count and length come from item metadata only.
_DOC_FIELDS = ("title", "raw_date", "venue", "location", "source_type", "source", "taper", "transferer", "lineage",
               "format", "lossless", "soundboard", "total_size", "avg_rating", "num_reviews", "downloads", "addeddate")
_RANK_FIELDS = ("score", "rank", "rank_reason")
_CONCERT_FIELDS = ("artist", "artist_slug", "venue", "location", "recordings_count", "best_identifier", "best_reason",
                   "latest_added", "date", "year")
_BATCH = 2000


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


def _doc_record(doc: SearchDoc) -> dict:
    fmt = _best_format(doc.formats)
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
    }


def _insert(rows: list[dict], model) -> None:
    """Inserts new rows given as {attname: value}: COPY on PostgreSQL (no model instances, several times
    faster than INSERT for 100k rows), bulk_create elsewhere."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        for chunk in _chunks(rows):
            model.objects.bulk_create([model(**row) for row in chunk])
        return
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    now = timezone.now()
    stamps = {f.attname: now for f in fields if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)}
    names = [f.attname for f in fields]
    defaults = {f.attname: f.get_default() for f in fields}
    with connection.cursor() as cursor:
        with cursor.cursor.copy(f"COPY {connection.ops.quote_name(model._meta.db_table)} ({columns}) FROM STDIN") as copy:
            for row in rows:
                merged = {**defaults, **row, **stamps}
                copy.write_row([merged[name] for name in names])


def _with_identifiers(qs, identifiers: list[str]):
    """qs filtered to these identifiers; on PostgreSQL one array parameter instead of thousands of placeholders."""
    if connection.vendor == "postgresql":
        return qs.extra(where=[f"{Recording._meta.db_table}.identifier = ANY(%s)"], params=[identifiers])
    return qs.filter(identifier__in=identifiers)


def _chunks(items: list, size: int = _BATCH) -> Iterable[list]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


def concerts_aggregate_items(*, docs: Iterable[SearchDoc], report: AggregateReport | None = None,
                             enrich: bool = True) -> AggregateReport:
    """Groups etree items into concerts by artist and date and upserts both, idempotently.

    Everything is computed in memory first (dates cleaned, venue and location by consensus, each
    concert's recordings ranked), then only rows whose values differ are written, in batches. Running
    it twice on the same items writes nothing the second time.
    """
    report = report or AggregateReport()
    incoming: dict[str, dict] = {}
    keys: dict[str, tuple[str, str]] = {}
    artist_names: dict[str, list[str]] = defaultdict(list)
    dates: dict[tuple[str, str], CleanDate] = {}
    for doc in docs:
        report.items_seen += 1
        if not doc.date or not doc.creator:
            report.items_undated += 1
            continue
        cleaned = clean_date(doc.date)
        if cleaned is None:
            report.items_bad_date += 1
            if len(report.bad_dates) < 20:
                report.bad_dates.append(f"{doc.identifier}: {doc.date}")
            continue
        key = (artist_key(doc.creator), cleaned.text)
        incoming[doc.identifier] = _doc_record(doc)
        keys[doc.identifier] = key
        artist_names[key[0]].append(doc.creator.strip())
        dates[key] = cleaned
    if not incoming:
        return report

    # -- what is stored already ------------------------------------------------------------------
    wanted_keys = set(keys.values())
    artists = sorted({k[0] for k in wanted_keys})
    concerts: dict[tuple[str, str], Any] = {}  # Concert, or a stand-in holding only the new row's id
    for chunk in _chunks(artists, 500):
        for concert in Concert.objects.filter(artist_key__in=chunk):
            concerts[(concert.artist_key, concert.date_text)] = concert
    by_id = {c.pk: c for c in concerts.values()}
    affected_ids = {concerts[k].pk for k in wanted_keys if k in concerts}

    stored: dict[str, dict] = {}  # identifier -> stored row
    columns = ("id", "identifier", "concert_id", "track_count", "length", *_DOC_FIELDS, *_RANK_FIELDS)
    for chunk in _chunks(sorted(affected_ids), 1000):  # every recording of the concerts this run touches
        for row in Recording.objects.filter(concert_id__in=chunk).values(*columns):
            stored[row["identifier"]] = row
    unseen = [i for i in incoming if i not in stored]
    for chunk in _chunks(unseen, 20000):  # new, or stored under a concert this run does not know yet (moved)
        for row in _with_identifiers(Recording.objects.all(), chunk).values(*columns):
            if row["concert_id"] not in by_id:
                moved_from = Concert.objects.get(pk=row["concert_id"])
                by_id[moved_from.pk] = moved_from
                concerts[(moved_from.artist_key, moved_from.date_text)] = moved_from
            if row["concert_id"] not in affected_ids:
                affected_ids.add(row["concert_id"])
                for sibling in Recording.objects.filter(concert_id=row["concert_id"]).values(*columns):
                    stored.setdefault(sibling["identifier"], sibling)
            stored[row["identifier"]] = row
    artist_totals: dict[str, list[float]] = defaultdict(lambda: [0.0, 0])
    for chunk in _chunks(artists, 500):
        rows = (Recording.objects.filter(concert__artist_key__in=chunk, avg_rating__isnull=False)
                .values("concert__artist_key").annotate(s=Sum("avg_rating"), c=Count("id")))
        for row in rows:
            artist_totals[row["concert__artist_key"]] = [row["s"] or 0.0, row["c"]]

    # -- the state after this run ------------------------------------------------------------------
    id_to_key = {c.pk: k for k, c in concerts.items()}
    final: dict[str, dict] = {}
    for identifier, row in stored.items():
        found: tuple[str, str] | None = keys.get(identifier) or id_to_key.get(row["concert_id"])
        if found is None:
            continue
        final[identifier] = {**{f: row[f] for f in (*_DOC_FIELDS, "track_count", "length")}, "_key": found}
    for identifier, record in incoming.items():
        previous = final.get(identifier, {})
        final[identifier] = {"track_count": previous.get("track_count"), "length": previous.get("length"),
                             **record, "_key": keys[identifier]}
        if "total_size" in previous and record["total_size"] is None:
            final[identifier]["total_size"] = previous["total_size"]
    for row in stored.values():  # keep the artist's average exact: swap old ratings for new
        if row["avg_rating"] is not None and row["concert_id"] in id_to_key:
            totals = artist_totals[id_to_key[row["concert_id"]][0]]
            totals[0] -= row["avg_rating"]
            totals[1] -= 1
    for record in final.values():
        if record["avg_rating"] is not None:
            totals = artist_totals[record["_key"][0]]
            totals[0] += record["avg_rating"]
            totals[1] += 1

    members: dict[tuple[str, str], list[str]] = defaultdict(list)
    for identifier, record in final.items():
        members[record["_key"]].append(identifier)
    measured = _measured(list(final))
    concert_values: dict[tuple[str, str], dict] = {}
    artist_display: dict[str, str] = {}
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
        cleaned = dates.get(key)
        artist = artist_display.get(key[0])
        if artist is None:
            names = artist_names.get(key[0]) or ([existing.artist] if existing else [key[0]])
            artist = artist_display[key[0]] = consensus(names) or key[0]
        concert_values[key] = {
            "artist": artist[:300],
            "artist_slug": (slugify(artist) or "artist")[:300],
            "venue": consensus(final[i]["venue"] for i in ordered)[:300],
            "location": consensus(final[i]["location"] for i in ordered)[:300],
            "recordings_count": len(ordered),
            "best_identifier": ordered[0],
            "best_reason": "; ".join(filter(None, (
                best_reason(source_type=best["source_type"], soundboard=best["soundboard"], format=best["format"],
                            avg=best["avg_rating"], n=best["num_reviews"]), best["rank_reason"])))[:200],
            "latest_added": max((final[i]["addeddate"] or "" for i in ordered), default="")[:32],
            "date": cleaned.date if cleaned else (existing.date if existing else None),
            "year": cleaned.year if cleaned else (existing.year if existing else int(key[1][:4])),
        }

    # -- write only what differs --------------------------------------------------------------------
    with transaction.atomic():
        new_concerts = [{"artist_key": key[0], "date_text": key[1], **values}
                        for key, values in concert_values.items() if key not in concerts]
        new_keys = {(c["artist_key"], c["date_text"]) for c in new_concerts}
        _insert(new_concerts, Concert)
        report.concerts_created += len(new_concerts)
        if new_keys:  # read the new ids back (COPY returns none)
            for chunk in _chunks(sorted({k[0] for k in new_keys}), 500):
                for pk, new_key, date_text in Concert.objects.filter(artist_key__in=chunk).values_list(
                        "pk", "artist_key", "date_text"):
                    if (new_key, date_text) in new_keys:
                        concerts[(new_key, date_text)] = SimpleNamespace(pk=pk)  # only the id is needed
        changed_concerts = []
        for key, values in concert_values.items():
            if key in new_keys:
                continue
            concert = concerts[key]
            if any(getattr(concert, f) != v for f, v in values.items()):
                for f, v in values.items():
                    setattr(concert, f, v)
                changed_concerts.append(concert)
        if changed_concerts:
            Concert.objects.bulk_update(changed_concerts, _CONCERT_FIELDS, batch_size=500)
        report.concerts_updated += len(changed_concerts)
        # concerts left without recordings (all moved away) are removed
        emptied = [c.pk for k, c in concerts.items() if c.pk in affected_ids and k not in members]
        if emptied:
            Concert.objects.filter(pk__in=emptied).delete()

        new_recordings, changed_recordings = [], []
        write_fields = (*_DOC_FIELDS, "track_count", "length", *_RANK_FIELDS)
        for identifier, record in final.items():
            concert_id = concerts[record["_key"]].pk
            values = {f: record[f] for f in write_fields}
            row = stored.get(identifier)
            if row is None:
                new_recordings.append({"identifier": identifier, "concert_id": concert_id, **values})
            elif row["concert_id"] != concert_id or any(row[f] != v for f, v in values.items()):
                changed_recordings.append(Recording(pk=row["id"], identifier=identifier, concert_id=concert_id, **values))
        _insert(new_recordings, Recording)
        if changed_recordings:
            Recording.objects.bulk_update(changed_recordings, ("concert_id", *write_fields), batch_size=500)
        report.recordings_created += len(new_recordings)
        report.recordings_updated += len(changed_recordings)
        # track counts and setlists come from each item's metadata, which search results lack: fetch them now
        # (after commit, in the background) rather than when someone first opens the recording
        if enrich:
            recordings_enrich_later(identifiers=[i for i, r in final.items() if r["track_count"] is None])
    return report


def _measured(identifiers: list[str]) -> dict[str, tuple[float, str]]:
    """{identifier: (score change, reasons)} from the quality cards of these recordings.

    Cards exist only for recordings someone downloaded, far fewer than the recordings a run touches: one read
    of all of them beats a thousand-identifier lookup per chunk.
    """
    wanted = set(identifiers)
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
