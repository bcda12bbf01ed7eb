"""Songs: create, edit, status and checklist, bulk actions."""
from __future__ import annotations

import logging
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone

from common.exceptions import InvalidInput
from common.types import AuthUser
from tracks import selectors
from tracks.fields import safe_date
from tracks.media import image_validate
from tracks.models import (
    Song,
    SongStep,
    Status,
    WorkflowStep,
)
from tracks.permissions import OWNER_ONLY, Role

from .covers import song_cover_schedule
from .profile import _evaluate, activity_record
from .validation import (
    SONG_FIELDS,
    _check_long_text,
    _check_priority,
    _check_status,
    _clean_text,
    _clean_year,
    _owned_pack,
    _owned_series,
)
from .workflow import workflow_ensure

log = logging.getLogger(__name__)


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


def _duplicate(*, owner: AuthUser, title: str, artist: str, exclude_pk: int | None = None) -> bool:
    qs = Song.objects.filter(owner=owner, title__iexact=title, artist__iexact=artist)
    if exclude_pk:
        qs = qs.exclude(pk=exclude_pk)
    return qs.exists()


def _song_values(*, user: AuthUser, data: dict[str, Any], partial: bool) -> dict[str, Any]:
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
            values[key] = _check_long_text(value, field=key)
        else:
            values[key] = value if value is not None else ("" if key != "spotify_duration_ms" else None)
    if not partial:
        for key in ("title", "artist"):
            if key not in values:
                raise InvalidInput(f"{key.capitalize()} is required.", field=key)
    return values


def song_create(*, user: AuthUser, data: dict[str, Any], cover: UploadedFile | None = None, evaluate: bool = True) -> Song:
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
        song_cover_schedule(song=song)  # after commit: a Spotify cover is fetched once, by a task
    return song


@transaction.atomic
def songs_batch_create(*, user: AuthUser, items: list[dict[str, Any]]) -> list[Song]:
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


def song_update(*, user: AuthUser, song: Song, data: dict[str, Any], cover: UploadedFile | None = None,
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
        song_cover_schedule(song=song)
    return song


def song_set_status(*, user: AuthUser, song: Song, status: str) -> Song:
    return song_update(user=user, song=song, data={"status": status})


@transaction.atomic
def song_step_set(*, user: AuthUser, song: Song, step_id: int, done: bool) -> SongStep:
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


def song_delete(*, user: AuthUser, song: Song) -> None:
    if song.owner_id != user.pk:
        raise PermissionDenied(OWNER_ONLY)
    with transaction.atomic():
        title = f"{song.title} by {song.artist}"
        song.delete()
        activity_record(user=user, verb="song_deleted", text=f"Deleted {title}")


@transaction.atomic
def songs_bulk_delete(*, user: AuthUser, song_ids: list[int]) -> int:
    """Deletes all the songs or none: any song that is not the caller's fails the whole request."""
    songs = selectors.songs_by_ids_for_user(user=user, song_ids=song_ids, need=Role.OWNER)
    Song.objects.filter(pk__in=[s.pk for s in songs]).delete()
    activity_record(user=user, verb="songs_deleted", text=f"Deleted {len(songs)} songs")
    return len(songs)


@transaction.atomic
def songs_bulk_status(*, user: AuthUser, song_ids: list[int], status: str) -> int:
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
def songs_bulk_add_to_pack(*, user: AuthUser, song_ids: list[int], pack_id: int | None) -> int:
    """Files the caller's own songs into one of their packs (or none), all or nothing."""
    pack = _owned_pack(user=user, pack_id=pack_id)
    songs = selectors.songs_by_ids_for_user(user=user, song_ids=song_ids, need=Role.OWNER)
    count = Song.objects.filter(pk__in=[s.pk for s in songs]).update(pack=pack, updated_at=timezone.now())
    activity_record(user=user, verb="songs_packed", pack=pack,
                    text=f"Added {count} songs to {pack.name}" if pack else f"Took {count} songs out of their pack")
    return count
