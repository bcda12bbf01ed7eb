"""Packs and album series."""
from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from common.exceptions import InvalidInput
from common.types import AuthUser
from tracks import selectors
from tracks.fields import safe_date
from tracks.media import image_validate
from tracks.models import (
    AlbumSeries,
    Pack,
    Song,
    Status,
)
from tracks.permissions import OWNER_ONLY

from .covers import album_series_cover_schedule
from .profile import _evaluate, activity_record
from .songs import _apply_status, song_create
from .validation import (
    PACK_FIELDS,
    SERIES_FIELDS,
    _check_long_text,
    _check_priority,
    _check_spotify_album_id,
    _check_status,
    _clean_text,
    _clean_year,
)
from .workflow import workflow_ensure

log = logging.getLogger(__name__)


# -- packs ------------------------------------------------------------------------------------------------
def _pack_values(data: dict[str, Any], *, partial: bool) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for key, value in data.items():
        if key not in PACK_FIELDS:
            continue
        if key == "name":
            values[key] = _clean_text(value, field="name", required=True)
        elif key == "priority":
            values[key] = _check_priority(value)
        elif key == "status":
            values[key] = _check_status(value)
        elif key == "release_date":
            values[key] = safe_date(value)
        elif key in ("download_url", "video_url"):
            url = str(value or "").strip()
            if url and not url.startswith(("http://", "https://")):
                raise InvalidInput("Links must start with http:// or https://.", field=key)
            if len(url) > 500:
                raise InvalidInput("Links are at most 500 characters.", field=key)
            values[key] = url
        else:
            values[key] = _check_long_text(value, field=key)
    if not partial and "name" not in values:
        raise InvalidInput("Name is required.", field="name")
    return values


def pack_create(*, user: AuthUser, data: dict[str, Any], cover: UploadedFile | None = None) -> Pack:
    values = _pack_values(data, partial=False)
    if Pack.objects.filter(owner=user, name__iexact=values["name"]).exists():
        raise InvalidInput(f"You already have a pack called {values['name']!r}.", field="name")
    if cover is not None:
        values["cover"] = image_validate(upload=cover, field="cover")
    with transaction.atomic():
        pack = Pack.objects.create(owner=user, **values)
        activity_record(user=user, verb="pack_created", text=f"Created pack {pack.name}", pack=pack)
        _evaluate(user)
    return pack


def pack_update(*, user: AuthUser, pack: Pack, data: dict[str, Any], cover: UploadedFile | None = None) -> Pack:
    values = _pack_values(data, partial=True)
    if "name" in values and Pack.objects.filter(owner=pack.owner, name__iexact=values["name"]).exclude(pk=pack.pk).exists():
        raise InvalidInput(f"There is already a pack called {values['name']!r}.", field="name")
    if values.get("status") == Status.RELEASED and pack.status != Status.RELEASED:
        if pack.owner_id != user.pk:
            raise PermissionDenied(OWNER_ONLY)
        values.pop("status")
        pack_release(user=user, pack=pack)
    if cover is not None:
        values["cover"] = image_validate(upload=cover, field="cover")
    with transaction.atomic():
        for key, value in values.items():
            setattr(pack, key, value)
        pack.save()
        activity_record(user=user, verb="pack_updated", text=f"Edited pack {pack.name}", pack=pack)
        _evaluate(pack.owner)
    return pack


def pack_delete(*, user: AuthUser, pack: Pack) -> None:
    """Deletes the pack; its songs stay, out of any pack."""
    if pack.owner_id != user.pk:
        raise PermissionDenied(OWNER_ONLY)
    with transaction.atomic():
        name = pack.name
        pack.delete()
        activity_record(user=user, verb="pack_deleted", text=f"Deleted pack {name}")


@transaction.atomic
def pack_release(*, user: AuthUser, pack: Pack, release_date: dt.date | None = None) -> Pack:
    """Releases a pack and every song in it, stamping today's date where none is set."""
    if pack.owner_id != user.pk:
        raise PermissionDenied(OWNER_ONLY)
    day = release_date or pack.release_date or timezone.localdate()
    steps = workflow_ensure(user=pack.owner)
    songs = list(Song.objects.filter(pack=pack).exclude(status=Status.RELEASED).select_related("owner"))
    for song in songs:
        if not song.release_date:
            song.release_date = day
        _apply_status(song, Status.RELEASED, steps=steps if song.owner_id == pack.owner_id else None)
        song.save(update_fields=["status", "release_date", "updated_at"])
    pack.status = Status.RELEASED
    pack.release_date = day
    pack.save(update_fields=["status", "release_date", "updated_at"])
    activity_record(user=user, verb="pack_released", text=f"Released pack {pack.name}" + (f" and {len(songs)} songs" if songs else ""), pack=pack)
    _evaluate(pack.owner)
    return pack


# -- album series -----------------------------------------------------------------------------------------
def _series_values(data: dict[str, Any], *, partial: bool) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for key, value in data.items():
        if key not in SERIES_FIELDS:
            continue
        if key in ("artist", "album"):
            values[key] = _clean_text(value, field=key, required=True)
        elif key == "status":
            values[key] = _check_status(value)
        elif key == "year":
            values[key] = _clean_year(value)
        elif key == "series_number":
            if value in (None, ""):
                values[key] = None
            else:
                try:
                    values[key] = max(0, int(value))
                except (TypeError, ValueError):
                    raise InvalidInput("Series number must be a whole number.", field=key)
        elif key == "spotify_album_id":
            values[key] = _check_spotify_album_id(value)
        elif key == "cover_url":
            values[key] = _check_long_text(value, field=key, max_length=500)
        else:
            values[key] = _check_long_text(value, field=key)
    if not partial:
        for key in ("artist", "album"):
            if key not in values:
                raise InvalidInput(f"{key.capitalize()} is required.", field=key)
    return values


def album_series_create(*, user: AuthUser, data: dict[str, Any], cover: UploadedFile | None = None) -> AlbumSeries:
    values = _series_values(data, partial=False)
    if AlbumSeries.objects.filter(owner=user, artist__iexact=values["artist"], album__iexact=values["album"]).exists():
        raise InvalidInput("You already have a series for that album.", field="album")
    if values.get("series_number") is None:
        values["series_number"] = (AlbumSeries.objects.filter(owner=user).aggregate(n=Max("series_number"))["n"] or 0) + 1
    if cover is not None:
        values["cover"] = image_validate(upload=cover, field="cover")
    with transaction.atomic():
        series = AlbumSeries.objects.create(owner=user, **values)
        activity_record(user=user, verb="series_created", text=f"Started album series {series}")
        _evaluate(user)
        album_series_cover_schedule(series=series)  # after commit: a Spotify cover is fetched once, by a task
    return series


def album_series_update(*, user: AuthUser, series: AlbumSeries, data: dict[str, Any],
                        cover: UploadedFile | None = None) -> AlbumSeries:
    values = _series_values(data, partial=True)
    if cover is not None:
        values["cover"] = image_validate(upload=cover, field="cover")
    with transaction.atomic():
        for key, value in values.items():
            setattr(series, key, value)
        try:
            with transaction.atomic():
                series.save()
        except IntegrityError:
            raise InvalidInput("You already have a series for that album.", field="album")
        _evaluate(user)
        album_series_cover_schedule(series=series)
    return series


def album_series_delete(*, user: AuthUser, series: AlbumSeries) -> None:
    series.delete()


def album_series_mark_track(*, user: AuthUser, series: AlbumSeries, title: str, irrelevant: bool) -> AlbumSeries:
    """Marks a tracklist entry as not worth charting (or worth it again)."""
    key = selectors.normalise_title(title)
    if not key:
        raise InvalidInput("Name the track.", field="title")
    marks = [t for t in (series.irrelevant_tracks or []) if t != key]
    if irrelevant:
        marks.append(key)
    series.irrelevant_tracks = marks
    series.save(update_fields=["irrelevant_tracks", "updated_at"])
    return series


@transaction.atomic
def album_series_add_missing(*, user: AuthUser, series: AlbumSeries) -> list[Song]:
    """Adds every missing tracklist entry as a "Future Plans" song in the series."""
    comparison = selectors.album_series_comparison(series=series)
    created = []
    for row in comparison["rows"]:
        if row.state != "missing":
            continue
        existing = Song.objects.filter(owner=user, title__iexact=row.title, artist__iexact=series.artist).first()
        if existing:
            existing.album_series = series
            existing.save(update_fields=["album_series", "updated_at"])
            continue
        created.append(song_create(user=user, evaluate=False, data={
            "title": row.title, "artist": series.artist, "album": series.album, "year": series.year,
            "album_series_id": series.pk, "status": Status.FUTURE}))
    _evaluate(user)
    return created
