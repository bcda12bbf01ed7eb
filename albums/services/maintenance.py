"""Maintenance: the periodic refresh of stale albums and the top-albums CSV import."""
from __future__ import annotations

import csv
import logging
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.db import transaction

from common.exceptions import InvalidInput
from integrations.aoty import client as aoty
from integrations.aoty import parser
from integrations.aoty.errors import AotyBlocked, AotyDisallowed, AotyParseError
from integrations.errors import NotFound as UpstreamNotFound
from integrations.errors import TransientError

from ..models import Album, AlbumGenre, Artist, Genre
from .catalogue import album_refresh

log = logging.getLogger(__name__)


# -- maintenance -----------------------------------------------------------------------------------------------------
def refresh_stale(*, limit: int | None = None, on_progress: Callable[[int, int], None] | None = None) -> dict[str, int]:
    """Refreshes the most-viewed stale albums (the periodic beat task and `manage.py refresh_stale`)."""
    from .. import selectors

    limit = limit or settings.AOTY_REFRESH_BATCH
    ids = list(selectors.stale_album_ids(limit=limit))
    done = failed = 0
    for i, album_id in enumerate(ids, 1):
        if aoty.block_status():
            break  # no point hammering a site that is refusing us
        try:
            album_refresh(album_id=album_id)
            done += 1
        except (TransientError, AotyBlocked, AotyParseError, UpstreamNotFound, AotyDisallowed) as error:
            failed += 1
            log.info("refresh of album %s failed: %s", album_id, error)
        if on_progress:
            on_progress(i, len(ids))
    return {"candidates": len(ids), "refreshed": done, "failed": failed}


def _csv_int(value: str | None) -> int | None:
    return parser.to_int(value or "")


def _csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    required = {"title", "artist", "album_link"}
    if rows and not required <= set(rows[0]):
        raise InvalidInput(f"CSV must have the columns {', '.join(sorted(required))}.", field="path")
    return rows


def import_aoty_csv(*, path: str | Path, on_progress: Callable[[int, int], None] | None = None,
                    batch: int = 500) -> dict[str, int]:
    """Loads the top-albums CSV (id,title,artist,release_date,genres,user_score,rating_count,album_link) as stubs.

    New albums are created in bulk; albums already stored keep their data, except that unfetched
    stubs take the CSV's newer scores. Idempotent on the AOTY id.
    """
    rows = _csv_rows(Path(path))
    created = updated = skipped = 0
    for start in range(0, len(rows), batch):
        chunk = rows[start:start + batch]
        parsed = []
        for row in chunk:
            ref = parser.album_ref(row.get("album_link"))
            if ref is None or not row.get("title"):
                skipped += 1
                continue
            release = parser.parse_date(row.get("release_date") or "")
            parsed.append((ref, row, release))
        with transaction.atomic():
            existing = {a.aoty_id: a for a in Album.objects.filter(aoty_id__in=[p[0][0] for p in parsed])}
            new_albums, stale_stubs = [], []
            for (aoty_id, slug), row, release in parsed:
                fields = {"user_score": _csv_int(row.get("user_score")),
                          "user_count": parser.to_count(row.get("rating_count") or "")}  # "13.4K ratings" too
                album = existing.get(aoty_id)
                if album is not None:
                    updated += 1
                    if album.is_stub:
                        for key, value in fields.items():
                            setattr(album, key, value)
                        stale_stubs.append(album)
                    continue
                existing[aoty_id] = album = Album(
                    aoty_id=aoty_id, slug=slug[:300], url=parser.http_url(row["album_link"])[:500], title=parser.clean(row["title"])[:400],
                    artist_name=parser.clean(row.get("artist"))[:400], release_date=release,
                    release_date_text=(row.get("release_date") or "")[:60], year=release.year if release else None, **fields)
                new_albums.append((album, row))
                created += 1
            Album.objects.bulk_create([a for a, _ in new_albums], ignore_conflicts=True)
            Album.objects.bulk_update(stale_stubs, ["user_score", "user_count"])
            ids = dict(Album.objects.filter(aoty_id__in=[a.aoty_id for a, _ in new_albums]).values_list("aoty_id", "pk"))
            names = {parser.clean(row.get("artist")) for _, row in new_albums if row.get("artist")}
            known = set(Artist.objects.filter(name__in=names).values_list("name", flat=True))
            Artist.objects.bulk_create([Artist(name=n[:300]) for n in names if n not in known], ignore_conflicts=True)
            artists = dict(Artist.objects.filter(name__in=names).values_list("name", "pk"))
            genre_names = {g.strip() for _, row in new_albums for g in (row.get("genres") or "").split(",") if g.strip()}
            Genre.objects.bulk_create([Genre(name=g[:120]) for g in genre_names], ignore_conflicts=True)
            genres = dict(Genre.objects.filter(name__in=genre_names).values_list("name", "pk"))
            through = Album.artists.through
            artist_links, genre_links = [], []
            for album, row in new_albums:
                album_pk = ids.get(album.aoty_id)
                if album_pk is None:
                    continue
                artist_pk = artists.get(parser.clean(row.get("artist")))
                if artist_pk:
                    artist_links.append(through(album_id=album_pk, artist_id=artist_pk))
                for n, g in enumerate(g.strip() for g in (row.get("genres") or "").split(",") if g.strip()):
                    genre_links.append(AlbumGenre(album_id=album_pk, genre_id=genres[g[:120]], primary=True, position=n))
            through.objects.bulk_create(artist_links, ignore_conflicts=True)
            AlbumGenre.objects.bulk_create(genre_links, ignore_conflicts=True)
        if on_progress:
            on_progress(min(start + batch, len(rows)), len(rows))
    return {"rows": len(rows), "created": created, "updated": updated, "skipped": skipped}

