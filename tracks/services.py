"""Writes for tracks: songs and their checklist, the workflow template, packs, album series,
collaborations, achievements, profiles, and Spotify enrichment (through integrations/spotify).

Permission checks happen in the `*_get_for_user` selectors the adapters call first; services trust
the objects they are given but re-check owner-only rules that depend on the arguments.
"""
from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.http import Http404
from django.utils import timezone

from common.exceptions import Conflict, InvalidInput, NotFound, ServiceUnavailable
from common.models import Job

from . import achievements as catalogue
from . import selectors
from .fields import safe_date
from .media import image_validate
from .models import (
    DEFAULT_WORKFLOW,
    Achievement,
    Activity,
    AlbumSeries,
    Collaboration,
    Pack,
    Song,
    SongStep,
    Status,
    TrackerProfile,
    WorkflowStep,
)
from .permissions import OWNER_ONLY, Role

log = logging.getLogger(__name__)

STATUSES = [s.value for s in Status]
SONG_FIELDS = {"title", "artist", "album", "year", "status", "priority", "pack_id", "album_series_id", "notes",
               "release_date", "spotify_track_id", "spotify_album", "spotify_cover_url", "spotify_release_year",
               "spotify_duration_ms"}
PACK_FIELDS = {"name", "priority", "status", "release_date", "release_notes", "download_url", "video_url"}
SERIES_FIELDS = {"series_number", "artist", "album", "year", "description", "status", "spotify_album_id", "cover_url"}


# -- validation shared by pages, API and imports -------------------------------------------------------
def _check_status(status: Any, field: str = "status") -> str:
    if status not in STATUSES:
        raise InvalidInput(f"Status must be one of: {', '.join(STATUSES)}.", field=field)
    return status


def _check_priority(priority: Any, field: str = "priority") -> int:
    try:
        value = int(priority)
    except (TypeError, ValueError):
        raise InvalidInput("Priority must be a whole number from 1 to 5.", field=field)
    if not 1 <= value <= 5:
        raise InvalidInput("Priority must be between 1 and 5.", field=field)
    return value


def _clean_text(value: Any, *, field: str, required: bool = False, max_length: int = 200) -> str:
    text = " ".join(str(value or "").split())
    if required and not text:
        raise InvalidInput(f"{field.replace('_', ' ').capitalize()} is required.", field=field)
    if len(text) > max_length:
        raise InvalidInput(f"{field.replace('_', ' ').capitalize()} is longer than {max_length} characters.", field=field)
    return text


def _clean_year(value: Any, field: str = "year") -> int | None:
    if value in (None, ""):
        return None
    try:
        year = int(value)
    except (TypeError, ValueError):
        raise InvalidInput("Year must be a number like 1997.", field=field)
    if not 1000 <= year <= 2999:
        raise InvalidInput("Year must be between 1000 and 2999.", field=field)
    return year


def _owned_pack(*, user, pack_id: int | None) -> Pack | None:
    if not pack_id:
        return None
    pack = Pack.objects.filter(pk=pack_id, owner=user).first()
    if pack is None:
        raise InvalidInput("No such pack of yours.", field="pack_id")
    return pack


def _owned_series(*, user, series_id: int | None) -> AlbumSeries | None:
    if not series_id:
        return None
    series = AlbumSeries.objects.filter(pk=series_id, owner=user).first()
    if series is None:
        raise InvalidInput("No such album series of yours.", field="album_series_id")
    return series


def activity_record(*, user, verb: str, text: str, song: Song | None = None, pack: Pack | None = None) -> None:
    Activity.objects.create(user=user, verb=verb, text=text[:300], song=song, pack=pack)


def _evaluate(user) -> None:
    """Re-evaluates achievements inside the caller's transaction, so a rolled-back change awards nothing."""
    achievements_evaluate(user=user)


# -- workflow ----------------------------------------------------------------------------------------
def workflow_ensure(*, user) -> list[WorkflowStep]:
    """The user's workflow steps, creating the default 15 the first time."""
    steps = selectors.workflow_steps(user=user)
    if steps:
        return steps
    WorkflowStep.objects.bulk_create(
        [WorkflowStep(user=user, name=name, position=i) for i, name in enumerate(DEFAULT_WORKFLOW)],
        ignore_conflicts=True,
    )
    return selectors.workflow_steps(user=user)


def _songs_needing_steps(user):
    return Song.objects.filter(owner=user).exclude(status=Status.FUTURE)


@transaction.atomic
def workflow_step_create(*, user, name: str, position: int | None = None) -> WorkflowStep:
    """Adds a step (at the end unless a position is given) and an unticked box to every started song."""
    name = _clean_text(name, field="name", required=True, max_length=80)
    steps = workflow_ensure(user=user)
    if any(s.name.lower() == name.lower() for s in steps):
        raise InvalidInput(f"There is already a step called {name!r}.", field="name")
    step = WorkflowStep.objects.create(user=user, name=name, position=len(steps))
    if position is not None:
        workflow_reorder(user=user, step_ids=[s.pk for s in steps[:max(position, 0)]] + [step.pk]
                         + [s.pk for s in steps[max(position, 0):]])
    SongStep.objects.bulk_create([SongStep(song_id=sid, step=step) for sid in
                                  _songs_needing_steps(user).values_list("id", flat=True)], batch_size=1000)
    _evaluate(user)
    return step


def workflow_step_rename(*, user, step_id: int, name: str) -> WorkflowStep:
    name = _clean_text(name, field="name", required=True, max_length=80)
    step = WorkflowStep.objects.filter(pk=step_id, user=user).first()
    if step is None:
        raise Http404("No such step.")
    if WorkflowStep.objects.filter(user=user, name__iexact=name).exclude(pk=step.pk).exists():
        raise InvalidInput(f"There is already a step called {name!r}.", field="name")
    step.name = name
    step.save(update_fields=["name"])
    _evaluate(user)
    return step


@transaction.atomic
def workflow_step_delete(*, user, step_id: int) -> None:
    """Removes a step and its boxes from every song."""
    deleted, _ = WorkflowStep.objects.filter(pk=step_id, user=user).delete()
    if not deleted:
        raise Http404("No such step.")
    workflow_reorder(user=user, step_ids=[s.pk for s in selectors.workflow_steps(user=user)])
    _evaluate(user)


@transaction.atomic
def workflow_reorder(*, user, step_ids: list[int]) -> list[WorkflowStep]:
    """Puts the steps in the given order; every step of the user must appear exactly once."""
    steps = {s.pk: s for s in WorkflowStep.objects.select_for_update().filter(user=user)}
    if sorted(step_ids) != sorted(steps) or len(set(step_ids)) != len(step_ids):
        raise InvalidInput("Give every step of your workflow exactly once.", field="step_ids")
    for position, step_id in enumerate(step_ids):
        steps[step_id].position = position
    WorkflowStep.objects.bulk_update(steps.values(), ["position"])
    _evaluate(user)
    return selectors.workflow_steps(user=user)


def workflow_step_move(*, user, step_id: int, offset: int) -> list[WorkflowStep]:
    """Moves one step up (-1) or down (+1)."""
    ids = [s.pk for s in workflow_ensure(user=user)]
    if step_id not in ids:
        raise Http404("No such step.")
    i = ids.index(step_id)
    j = max(0, min(len(ids) - 1, i + offset))
    ids[i], ids[j] = ids[j], ids[i]
    return workflow_reorder(user=user, step_ids=ids)


@transaction.atomic
def workflow_reset(*, user) -> list[WorkflowStep]:
    """Back to the default 15 steps (boxes of removed steps go with them)."""
    WorkflowStep.objects.filter(user=user).exclude(name__in=DEFAULT_WORKFLOW).delete()
    existing = {s.name: s for s in WorkflowStep.objects.filter(user=user)}
    for position, name in enumerate(DEFAULT_WORKFLOW):
        step = existing.get(name) or WorkflowStep.objects.create(user=user, name=name, position=position)
        if step.position != position:
            step.position = position
            step.save(update_fields=["position"])
        if name not in existing:
            SongStep.objects.bulk_create([SongStep(song_id=sid, step=step) for sid in
                                          _songs_needing_steps(user).values_list("id", flat=True)], batch_size=1000)
    return selectors.workflow_steps(user=user)


# -- songs -------------------------------------------------------------------------------------------------
def _apply_status(song: Song, status: str, *, steps: list[WorkflowStep] | None = None) -> None:
    """Status side effects: a started song gets its checklist; "Future Plans" has none; release stamps a date."""
    song.status = status
    if status == Status.FUTURE:
        SongStep.objects.filter(song=song).delete()
        return
    steps = steps if steps is not None else workflow_ensure(user=song.owner)
    have = set(SongStep.objects.filter(song=song).values_list("step_id", flat=True))
    SongStep.objects.bulk_create([SongStep(song=song, step=s) for s in steps if s.pk not in have])
    if status == Status.RELEASED and not song.release_date:
        song.release_date = timezone.localdate()


def _duplicate(*, owner, title: str, artist: str, exclude_pk: int | None = None) -> bool:
    qs = Song.objects.filter(owner=owner, title__iexact=title, artist__iexact=artist)
    if exclude_pk:
        qs = qs.exclude(pk=exclude_pk)
    return qs.exists()


def _song_values(*, user, data: dict[str, Any], partial: bool) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for key, value in data.items():
        if key not in SONG_FIELDS:
            continue
        if key in ("title", "artist"):
            values[key] = _clean_text(value, field=key, required=True)
        elif key in ("album", "spotify_album"):
            values[key] = _clean_text(value, field=key)
        elif key == "status":
            values[key] = _check_status(value)
        elif key == "priority":
            values[key] = _check_priority(value)
        elif key in ("year", "spotify_release_year"):
            values[key] = _clean_year(value, key)
        elif key == "release_date":
            values[key] = safe_date(value)
        elif key == "pack_id":
            values["pack"] = _owned_pack(user=user, pack_id=value)
        elif key == "album_series_id":
            values["album_series"] = _owned_series(user=user, series_id=value)
        elif key == "notes":
            values[key] = str(value or "")[:20000]
        else:
            values[key] = value if value is not None else ("" if key != "spotify_duration_ms" else None)
    if not partial:
        for key in ("title", "artist"):
            if key not in values:
                raise InvalidInput(f"{key.capitalize()} is required.", field=key)
    return values


def song_create(*, user, data: dict[str, Any], cover: UploadedFile | None = None, evaluate: bool = True) -> Song:
    """Creates a song; a duplicate (same title and artist for this owner) is a 422 on title."""
    values = _song_values(user=user, data=data, partial=False)
    if _duplicate(owner=user, title=values["title"], artist=values["artist"]):
        raise InvalidInput(f"You already have {values['title']!r} by {values['artist']}.", field="title")
    status = values.pop("status", Status.FUTURE)
    values.setdefault("priority", 3)
    if cover is not None:
        values["cover"] = image_validate(upload=cover, field="cover")
    with transaction.atomic():
        song = Song(owner=user, **values)
        song.status = status
        if status == Status.RELEASED and not song.release_date:
            song.release_date = timezone.localdate()
        try:
            with transaction.atomic():
                song.save()
        except IntegrityError:
            raise InvalidInput(f"You already have {values['title']!r} by {values['artist']}.", field="title")
        if status != Status.FUTURE:
            _apply_status(song, status)
        activity_record(user=user, verb="song_created", text=f"Added {song.title} by {song.artist}", song=song)
        if evaluate:
            _evaluate(user)
    return song


@transaction.atomic
def songs_batch_create(*, user, items: list[dict[str, Any]]) -> list[Song]:
    """Creates several songs at once, in order; any invalid or duplicate item fails the whole batch."""
    if not items:
        raise InvalidInput("Send at least one song.", field="songs")
    seen: set[tuple[str, str]] = set()
    songs = []
    for index, data in enumerate(items):
        try:
            values = _song_values(user=user, data=data, partial=False)
        except InvalidInput as exc:
            raise InvalidInput(f"Song {index + 1}: {exc.detail}", field=f"songs.{index}.{exc.field}")
        key = (values["title"].lower(), values["artist"].lower())
        if key in seen or _duplicate(owner=user, title=values["title"], artist=values["artist"]):
            raise InvalidInput(f"Song {index + 1}: you already have {values['title']!r} by {values['artist']}.",
                               field=f"songs.{index}.title")
        seen.add(key)
        songs.append(song_create(user=user, data=data, evaluate=False))
    _evaluate(user)
    return songs


def song_update(*, user, song: Song, data: dict[str, Any], cover: UploadedFile | None = None,
                clear_cover: bool = False) -> Song:
    """Changes a song the caller may edit; moving it to a pack or series is the owner's call."""
    values = _song_values(user=song.owner, data=data, partial=True)
    if song.owner_id != user.pk and ("pack" in values and values["pack"] is not None or "album_series" in values):
        raise PermissionDenied(OWNER_ONLY)
    title = values.get("title", song.title)
    artist = values.get("artist", song.artist)
    if (title, artist) != (song.title, song.artist) and _duplicate(owner=song.owner, title=title, artist=artist,
                                                                   exclude_pk=song.pk):
        raise InvalidInput(f"There is already {title!r} by {artist}.", field="title")
    if cover is not None:
        values["cover"] = image_validate(upload=cover, field="cover")
    status = values.pop("status", None)
    old_status = song.status
    with transaction.atomic():
        for key, value in values.items():
            setattr(song, key, value)
        if clear_cover:
            song.cover = ""
        if status and status != old_status:
            _apply_status(song, status)
        try:
            with transaction.atomic():
                song.save()
        except IntegrityError:
            raise InvalidInput(f"There is already {title!r} by {artist}.", field="title")
        if status and status != old_status:
            verb = "song_released" if status == Status.RELEASED else "song_status"
            activity_record(user=user, verb=verb, text=f"{song.title}: {old_status} → {status}", song=song)
        else:
            activity_record(user=user, verb="song_updated", text=f"Edited {song.title}", song=song)
        _evaluate(song.owner)
    return song


def song_set_status(*, user, song: Song, status: str) -> Song:
    return song_update(user=user, song=song, data={"status": status})


@transaction.atomic
def song_step_set(*, user, song: Song, step_id: int, done: bool) -> SongStep:
    """Ticks or unticks one checklist box of a started song."""
    if song.status == Status.FUTURE:
        raise InvalidInput("Start the song (In Progress) before ticking its checklist.", field="status")
    box = SongStep.objects.select_related("step").filter(song=song, step_id=step_id).first()
    if box is None:
        raise Http404("No such step on this song.")
    if box.done != done:
        box.done = done
        box.done_at = timezone.now() if done else None
        box.save(update_fields=["done", "done_at"])
        Song.objects.filter(pk=song.pk).update(updated_at=timezone.now())
        activity_record(user=user, verb="step_done" if done else "step_undone",
                        text=f"{song.title}: {box.step.name} {'done' if done else 'reopened'}", song=song)
        _evaluate(song.owner)
    return box


def song_delete(*, user, song: Song) -> None:
    if song.owner_id != user.pk:
        raise PermissionDenied(OWNER_ONLY)
    with transaction.atomic():
        title = f"{song.title} by {song.artist}"
        song.delete()
        activity_record(user=user, verb="song_deleted", text=f"Deleted {title}")


@transaction.atomic
def songs_bulk_delete(*, user, song_ids: list[int]) -> int:
    """Deletes all the songs or none: any song that is not the caller's fails the whole request."""
    songs = selectors.songs_by_ids_for_user(user=user, song_ids=song_ids, need=Role.OWNER)
    Song.objects.filter(pk__in=[s.pk for s in songs]).delete()
    activity_record(user=user, verb="songs_deleted", text=f"Deleted {len(songs)} songs")
    return len(songs)


@transaction.atomic
def songs_bulk_status(*, user, song_ids: list[int], status: str) -> int:
    """Moves all the songs to a status, or none of them."""
    _check_status(status)
    songs = selectors.songs_by_ids_for_user(user=user, song_ids=song_ids, need=Role.EDITOR)
    steps_by_owner: dict[int, list[WorkflowStep]] = {}
    changed = 0
    for song in songs:
        if song.status == status:
            continue
        if song.owner_id not in steps_by_owner:
            steps_by_owner[song.owner_id] = workflow_ensure(user=song.owner)
        _apply_status(song, status, steps=steps_by_owner[song.owner_id])
        song.save(update_fields=["status", "release_date", "updated_at"])
        changed += 1
    if changed:
        activity_record(user=user, verb="songs_status", text=f"Moved {changed} songs to {status}")
        for owner_id in {s.owner_id for s in songs}:
            _evaluate(get_user_model()(pk=owner_id))
    return changed


@transaction.atomic
def songs_bulk_add_to_pack(*, user, song_ids: list[int], pack_id: int | None) -> int:
    """Files the caller's own songs into one of their packs (or none), all or nothing."""
    pack = _owned_pack(user=user, pack_id=pack_id)
    songs = selectors.songs_by_ids_for_user(user=user, song_ids=song_ids, need=Role.OWNER)
    count = Song.objects.filter(pk__in=[s.pk for s in songs]).update(pack=pack, updated_at=timezone.now())
    activity_record(user=user, verb="songs_packed", pack=pack,
                    text=f"Added {count} songs to {pack.name}" if pack else f"Took {count} songs out of their pack")
    return count


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
            values[key] = url[:500]
        else:
            values[key] = str(value or "")[:20000]
    if not partial and "name" not in values:
        raise InvalidInput("Name is required.", field="name")
    return values


def pack_create(*, user, data: dict[str, Any], cover: UploadedFile | None = None) -> Pack:
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


def pack_update(*, user, pack: Pack, data: dict[str, Any], cover: UploadedFile | None = None) -> Pack:
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


def pack_delete(*, user, pack: Pack) -> None:
    """Deletes the pack; its songs stay, out of any pack."""
    if pack.owner_id != user.pk:
        raise PermissionDenied(OWNER_ONLY)
    with transaction.atomic():
        name = pack.name
        pack.delete()
        activity_record(user=user, verb="pack_deleted", text=f"Deleted pack {name}")


@transaction.atomic
def pack_release(*, user, pack: Pack, release_date: dt.date | None = None) -> Pack:
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
        else:
            values[key] = str(value or "")[:20000]
    if not partial:
        for key in ("artist", "album"):
            if key not in values:
                raise InvalidInput(f"{key.capitalize()} is required.", field=key)
    return values


def album_series_create(*, user, data: dict[str, Any], cover: UploadedFile | None = None) -> AlbumSeries:
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
    return series


def album_series_update(*, user, series: AlbumSeries, data: dict[str, Any],
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
    return series


def album_series_delete(*, user, series: AlbumSeries) -> None:
    series.delete()


def album_series_mark_track(*, user, series: AlbumSeries, title: str, irrelevant: bool) -> AlbumSeries:
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
def album_series_add_missing(*, user, series: AlbumSeries) -> list[Song]:
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


# -- collaborations ---------------------------------------------------------------------------------------
def _user_by_name(username: str):
    user = get_user_model().objects.filter(username__iexact=(username or "").strip(), is_active=True).first()
    if user is None:
        raise InvalidInput(f"No user called {username!r}.", field="username")
    return user


def collaboration_invite(*, user, username: str, song: Song | None = None, pack: Pack | None = None,
                         permission: str | None = None, message: str = "") -> Collaboration:
    """Invites another user onto the caller's song (song_edit) or pack (pack_view / pack_edit)."""
    if (song is None) == (pack is None):
        raise InvalidInput("Invite onto either a song or a pack.", field="song_id")
    target_owner = song.owner_id if song else pack.owner_id
    if target_owner != user.pk:
        raise PermissionDenied(OWNER_ONLY)
    permission = permission or (Collaboration.Permission.SONG_EDIT if song else Collaboration.Permission.PACK_VIEW)
    allowed = [Collaboration.Permission.SONG_EDIT] if song else [Collaboration.Permission.PACK_VIEW,
                                                                 Collaboration.Permission.PACK_EDIT]
    if permission not in allowed:
        raise InvalidInput(f"Permission must be one of: {', '.join(allowed)}.", field="permission")
    invitee = _user_by_name(username)
    if invitee.pk == user.pk:
        raise InvalidInput("You cannot invite yourself.", field="username")
    existing = Collaboration.objects.filter(user=invitee, **({"song": song} if song else {"pack": pack})).first()
    with transaction.atomic():
        if existing:
            if existing.state == Collaboration.State.ACCEPTED and existing.permission == permission:
                raise Conflict(f"{invitee.username} already collaborates with that permission.")
            existing.permission = permission
            if existing.state == Collaboration.State.DECLINED:
                existing.state = Collaboration.State.PENDING
                existing.responded_at = None
            existing.message = message[:300]
            existing.save()
            return existing
        collab = Collaboration.objects.create(song=song, pack=pack, user=invitee, invited_by=user,
                                              permission=permission, message=message[:300])
        activity_record(user=user, verb="invited", text=f"Invited {invitee.username} to {song or pack}", song=song,
                        pack=pack)
    return collab


@transaction.atomic
def collaboration_invite_batch(*, user, pack: Pack, usernames: Iterable[str], permission: str = "pack_view",
                               message: str = "") -> list[Collaboration]:
    """Invites several users onto a pack at once: all of them, or none if any name is wrong."""
    names = [n.strip() for n in usernames if n and n.strip()]
    if not names:
        raise InvalidInput("Name at least one user.", field="usernames")
    result = []
    for name in dict.fromkeys(n.lower() for n in names):
        try:
            result.append(collaboration_invite(user=user, username=name, pack=pack, permission=permission,
                                               message=message))
        except InvalidInput as exc:
            raise InvalidInput(exc.detail, field="usernames")
        except Conflict:
            continue
    return result


def collaboration_respond(*, user, collaboration: Collaboration, accept: bool) -> Collaboration:
    """The invitee accepts or declines; only they can."""
    if collaboration.user_id != user.pk:
        raise PermissionDenied("Only the invited user can answer an invitation.")
    if collaboration.state != Collaboration.State.PENDING:
        raise Conflict("This invitation was already answered.")
    with transaction.atomic():
        collaboration.state = Collaboration.State.ACCEPTED if accept else Collaboration.State.DECLINED
        collaboration.responded_at = timezone.now()
        collaboration.save(update_fields=["state", "responded_at", "updated_at"])
        if accept:
            target = collaboration.song or collaboration.pack
            activity_record(user=user, verb="collab_joined", text=f"Joined {target}", song=collaboration.song,
                            pack=collaboration.pack)
            _evaluate(user)
            _evaluate(collaboration.invited_by)
    return collaboration


def collaboration_update(*, user, collaboration: Collaboration, permission: str) -> Collaboration:
    owner_id = collaboration.song.owner_id if collaboration.song_id else collaboration.pack.owner_id
    if owner_id != user.pk:
        raise PermissionDenied(OWNER_ONLY)
    allowed = ["song_edit"] if collaboration.song_id else ["pack_view", "pack_edit"]
    if permission not in allowed:
        raise InvalidInput(f"Permission must be one of: {', '.join(allowed)}.", field="permission")
    collaboration.permission = permission
    collaboration.save(update_fields=["permission", "updated_at"])
    return collaboration


def collaboration_remove(*, user, collaboration: Collaboration) -> None:
    """The owner removes a collaborator, or the collaborator leaves."""
    owner_id = collaboration.song.owner_id if collaboration.song_id else collaboration.pack.owner_id
    if user.pk not in (owner_id, collaboration.user_id):
        raise PermissionDenied(OWNER_ONLY)
    collaboration.delete()


# -- achievements -------------------------------------------------------------------------------------------
def achievements_evaluate(*, user) -> list[catalogue.AchievementDef]:
    """Awards every achievement whose rule now holds and the user lacks; each exactly once."""
    have = set(Achievement.objects.filter(user=user).values_list("code", flat=True))
    if len(have) == len(catalogue.CATALOGUE):
        return []
    stats = selectors.tracker_stats(user=user)
    new = [a for a in catalogue.CATALOGUE if a.code not in have and a.rule(stats)]
    awarded = []
    for definition in new:
        _, created = Achievement.objects.get_or_create(user=user, code=definition.code,
                                                       defaults={"points": definition.points})
        if created:
            awarded.append(definition)
    if awarded:
        Activity.objects.create(user=user, verb="achievement",
                                text="Unlocked " + ", ".join(a.name for a in awarded)[:280])
    return awarded


def achievements_mark_seen(*, user) -> int:
    """Clears the "new achievement" notifications."""
    return Achievement.objects.filter(user=user, seen_at__isnull=True).update(seen_at=timezone.now())


# -- profile ------------------------------------------------------------------------------------------------
def profile_update(*, user, data: dict[str, Any], image: UploadedFile | None = None,
                   clear_image: bool = False) -> TrackerProfile:
    profile, _ = TrackerProfile.objects.get_or_create(user=user)
    if "display_name" in data:
        profile.display_name = _clean_text(data["display_name"], field="display_name", max_length=80)
    if "bio" in data:
        profile.bio = str(data["bio"] or "")[:5000]
    if "is_public" in data:
        profile.is_public = bool(data["is_public"])
    if image is not None:
        profile.image = image_validate(upload=image, field="image")
    elif clear_image:
        profile.image = ""
    profile.save()
    return profile


# -- Spotify enrichment (the one shared client in integrations/spotify) ---------------------------------------
@dataclass
class SpotifyMatch:
    track_id: str
    title: str
    artists: str
    album: str
    year: int | None
    cover_url: str
    duration_ms: int | None
    score: float


@dataclass
class EnrichResult:
    applied: bool
    song: Song | None
    candidates: list[SpotifyMatch] = field(default_factory=list)
    detail: str = ""


@contextmanager
def spotify_errors(action: str = "Spotify") -> Iterator[None]:
    """Turns the client's typed errors into the platform's domain errors, with messages for people."""
    from integrations.errors import AuthFailed, IntegrationError, NotConfigured, RateLimited
    from integrations.errors import NotFound as RemoteNotFound
    from integrations.spotify.errors import InvalidSpotifyLink

    try:
        yield
    except InvalidSpotifyLink as exc:
        raise InvalidInput(str(exc), field=getattr(exc, "field", "url"))
    except NotConfigured:
        raise ServiceUnavailable("Spotify is not configured on this server (SPOTIFY_CLIENT_ID and "
                                 "SPOTIFY_CLIENT_SECRET are unset), so enrichment is off.", retry_after=3600)
    except RateLimited as exc:
        wait = int(exc.retry_after or 30) + 1
        raise ServiceUnavailable(f"Spotify is rate limiting us; try again in {wait} seconds.", retry_after=wait)
    except AuthFailed as exc:
        what = "refused access (403)" if exc.status == 403 else "rejected our credentials (401)"
        raise ServiceUnavailable(f"Spotify {what}; {action} is unavailable until an administrator fixes it.",
                                 retry_after=3600)
    except RemoteNotFound:
        raise NotFound(f"Spotify has no such item ({action}).")
    except IntegrationError as exc:
        raise ServiceUnavailable(f"Spotify is unavailable right now ({exc.__class__.__name__}); try again later.",
                                 retry_after=int(getattr(exc, "retry_after", None) or 60))


def _spotify_user_token(user) -> str | None:
    """The user's own Spotify access token (reads private playlists), from accounts."""
    from accounts.services import spotify_token_for

    return spotify_token_for(user=user)


def _spotify_client(user=None):
    """The shared client: with the user's Spotify login when they have one, else the app's credentials."""
    from integrations.spotify.client import SpotifyClient

    return SpotifyClient(user_token=_spotify_user_token(user))


def _match_from_track(track, *, score: float = 0.0) -> SpotifyMatch:
    album = track.album
    return SpotifyMatch(track_id=track.id, title=track.name, artists=", ".join(track.artist_names),
                        album=album.name if album else "", year=album.year if album else None,
                        cover_url=album.image_url if album else "", duration_ms=track.duration_ms or None,
                        score=round(score, 1))


def spotify_score(*, title: str, artist: str, track) -> float:
    """0–100: how well a Spotify track matches a song's title and artist (title weighs more)."""
    from rapidfuzz import fuzz

    title_score = fuzz.ratio(selectors.normalise_title(title), selectors.normalise_title(track.name))
    artists = [selectors.normalise_title(a) for a in track.artist_names] or [""]
    artist_score = max(fuzz.token_set_ratio(selectors.normalise_title(artist), a) for a in artists)
    return 0.6 * title_score + 0.4 * artist_score


def spotify_candidates(*, song: Song, limit: int = 5) -> list[SpotifyMatch]:
    """Spotify's top matches for "{title} {artist}", best first."""
    client = _spotify_client()
    with spotify_errors("search"):
        tracks = client.search_tracks(f"{song.title} {song.artist}", limit=limit)
    scored = [_match_from_track(t, score=spotify_score(title=song.title, artist=song.artist, track=t)) for t in tracks]
    return sorted(scored, key=lambda m: -m.score)


def _confident(candidates: list[SpotifyMatch]) -> bool:
    """Apply without asking only when the best match is good and clearly ahead of a different song."""
    if not candidates or candidates[0].score < settings.TRACKS_SPOTIFY_MATCH_THRESHOLD:
        return False
    if len(candidates) == 1:
        return True
    best, second = candidates[0], candidates[1]
    same_song = (selectors.normalise_title(best.title) == selectors.normalise_title(second.title)
                 and best.artists == second.artists)
    return same_song or best.score - second.score >= 5


def song_apply_spotify(*, user, song: Song, match: SpotifyMatch) -> Song:
    """Stores a chosen Spotify track on the song, filling album and year when the song has none."""
    song.spotify_track_id = match.track_id
    song.spotify_album = match.album[:200]
    song.spotify_cover_url = match.cover_url[:500]
    song.spotify_release_year = match.year
    song.spotify_duration_ms = match.duration_ms
    if not song.album:
        song.album = match.album[:200]
    if not song.year and match.year:
        song.year = match.year
    song.enriched_at = timezone.now()
    with transaction.atomic():
        song.save()
        activity_record(user=user, verb="song_enriched", text=f"{song.title}: matched on Spotify", song=song)
        _evaluate(song.owner)
    return song


def song_enrich(*, user, song: Song, track_id: str | None = None) -> EnrichResult:
    """Fills album, cover, year and track id from Spotify: the given track, or the confident best search match.

    When unsure, nothing is stored and the top matches come back for the user to pick from.
    """
    if track_id:
        from integrations.spotify.client import parse_spotify_link

        with spotify_errors("track lookup"):
            ident = track_id if len(track_id) == 22 and track_id.isalnum() else parse_spotify_link(
                track_id, kinds=("track",)).id
            track = _spotify_client().get_track(ident)
        match = _match_from_track(track, score=spotify_score(title=song.title, artist=song.artist, track=track))
        return EnrichResult(applied=True, song=song_apply_spotify(user=user, song=song, match=match),
                            candidates=[match], detail=f"Matched {match.title} by {match.artists}.")
    candidates = spotify_candidates(song=song)
    if not candidates:
        return EnrichResult(applied=False, song=song, detail="Spotify found nothing for this title and artist.")
    if _confident(candidates):
        best = candidates[0]
        return EnrichResult(applied=True, song=song_apply_spotify(user=user, song=song, match=best),
                            candidates=candidates, detail=f"Matched {best.title} by {best.artists}.")
    return EnrichResult(applied=False, song=song, candidates=candidates,
                        detail="Not sure which of these it is: pick one.")


def songs_enrich_bulk_start(*, user, song_ids: list[int] | None = None) -> Job:
    """A background job enriching the given songs (default: the user's songs not yet enriched)."""
    from common import services as common_services

    from .tasks import enrich_songs

    if song_ids:
        ids = [s.pk for s in selectors.songs_by_ids_for_user(user=user, song_ids=song_ids, need=Role.EDITOR)]
    else:
        ids = list(Song.objects.filter(owner=user, enriched_at__isnull=True).order_by("priority", "id")
                   .values_list("id", flat=True)[:1000])
    if not ids:
        raise InvalidInput("No songs to enrich: every song already has Spotify details.", field="ids")
    if not _spotify_client().configured():
        raise ServiceUnavailable("Spotify is not configured on this server (SPOTIFY_CLIENT_ID and "
                                 "SPOTIFY_CLIENT_SECRET are unset), so enrichment is off.", retry_after=3600)
    return common_services.job_start(user=user, kind="tracks.enrich", label=f"Spotify details for {len(ids)} songs",
                                     task=enrich_songs, total=len(ids), result={"song_ids": ids})


def songs_enrich_bulk(*, job_id: int) -> None:
    """Runs a bulk enrichment job: confident matches are applied, unsure ones left for the user to pick."""
    from common import services as common_services
    from common.models import Job as JobModel

    if not common_services.job_claim(job_id=job_id):
        return
    job = JobModel.objects.select_related("user").get(pk=job_id)
    ids = list(job.result.get("song_ids") or [])
    applied, unsure, failed = [], [], []
    status, message = JobModel.Status.SUCCEEDED, ""
    for index, song_id in enumerate(ids, start=1):
        song = Song.objects.filter(pk=song_id).first()
        if song is None:
            failed.append(song_id)
        else:
            try:
                result = song_enrich(user=job.user, song=song)
            except ServiceUnavailable as exc:
                status, message = JobModel.Status.FAILED, exc.detail
                break
            except NotFound:
                failed.append(song_id)
            else:
                (applied if result.applied else unsure).append(song_id)
        common_services.job_progress(job=job, done=index, total=len(ids),
                                     message=f"{len(applied)} matched, {len(unsure)} to pick")
    summary = f"{len(applied)} matched, {len(unsure)} need a pick, {len(failed)} failed."
    common_services.job_finish(job=job, status=status, message=f"{message} {summary}".strip(),
                               result={"song_ids": ids, "applied": applied, "unsure": unsure, "failed": failed})


def playlist_import(*, user, url: str) -> tuple[list[Song], int]:
    """Adds a Spotify playlist's tracks as "Future Plans" songs; ones already tracked are skipped.

    With the user's Spotify login their private playlists work too; otherwise the app token reads public ones.
    """
    from integrations.spotify.client import parse_spotify_link

    with spotify_errors("playlist import"):
        ref = parse_spotify_link(url, kinds=("playlist",))
        items = _spotify_client(user).get_playlist_items(ref.id)
    created: list[Song] = []
    skipped = 0
    seen: set[tuple[str, str]] = set()
    with transaction.atomic():
        for item in items:
            track = item.track
            if track is None or getattr(track, "is_local", False) or not track.name or not track.artists:
                skipped += 1
                continue
            title, artist = track.name[:200], track.artists[0].name[:200]
            key = (title.lower(), artist.lower())
            if key in seen or _duplicate(owner=user, title=title, artist=artist):
                skipped += 1
                continue
            seen.add(key)
            song = song_create(user=user, evaluate=False, data={
                "title": title, "artist": artist, "album": track.album.name if track.album else "",
                "year": track.album.year if track.album else None, "status": Status.FUTURE,
                "spotify_track_id": track.id, "spotify_album": track.album.name if track.album else "",
                "spotify_cover_url": track.album.image_url if track.album else "",
                "spotify_release_year": track.album.year if track.album else None,
                "spotify_duration_ms": track.duration_ms or None})
            Song.objects.filter(pk=song.pk).update(enriched_at=timezone.now())
            created.append(song)
        activity_record(user=user, verb="playlist_imported",
                        text=f"Imported {len(created)} songs from a Spotify playlist")
        _evaluate(user)
    return created, skipped


def album_series_fetch_tracklist(*, user, series: AlbumSeries, album: str = "") -> AlbumSeries:
    """Stores the album's Spotify tracklist (and cover and year) on the series.

    The album comes from `album` (a Spotify album link or id), the series' stored id, or a track search
    "album:<album> artist:<artist>" (the shared client has no album search; a track search names the album).
    """
    from integrations.spotify.client import parse_spotify_link

    client = _spotify_client()
    with spotify_errors("album tracklist"):
        album_id = ""
        if album.strip():
            text = album.strip()
            album_id = text if len(text) == 22 and text.isalnum() else parse_spotify_link(text, kinds=("album",)).id
        album_id = album_id or series.spotify_album_id
        if not album_id:
            wanted = selectors.normalise_title(series.album)
            tracks = client.search_tracks(f"album:{series.album} artist:{series.artist}", limit=10)
            albums = [t.album for t in tracks if t.album]
            best = next((a for a in albums if selectors.normalise_title(a.name) == wanted), None) or (
                albums[0] if albums else None)
            if best is None:
                raise NotFound(f"Spotify found no album called {series.album!r} by {series.artist}.")
            album_id = best.id
        info = client.get_album(album_id)
        tracks = client.get_album_tracks(album_id)
    series.spotify_album_id = album_id
    series.tracklist = [{"number": t.track_number or i, "disc": t.disc_number or 1, "title": t.name,
                         "spotify_id": t.id, "duration_ms": t.duration_ms or None}
                        for i, t in enumerate(tracks, start=1)]
    series.tracklist_fetched_at = timezone.now()
    if info.image_url and not series.cover_url:
        series.cover_url = info.image_url[:500]
    if not series.year and info.year:
        series.year = info.year
    series.save()
    return series
