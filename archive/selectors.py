"""Reads for archive: downloads (always scoped to their user), item file groups, library, stats."""
from __future__ import annotations

import datetime as dt
import re
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db.models import Count, Max, Q, QuerySet, Sum
from django.http import Http404

from common.exceptions import Conflict
from common.types import AnyUser, AuthUser
from integrations.internet_archive.parser import (
    AUDIO_FORMATS,
    CHECKSUM_EXTENSIONS,
    CHECKSUM_FORMATS,
    IMAGE_FORMATS,
    LOSSLESS_FORMATS,
    TEXT_FORMATS,
    is_valid_identifier,
    safe_relative_path,
)
from integrations.internet_archive.types import ItemFile, ItemMetadata, Review

from . import cache as archive_cache
from .models import Download, ItemSnapshot, SearchHistory

FORMAT_LABELS = {"Flac": "FLAC", "24bit Flac": "24-bit FLAC", "VBR MP3": "VBR MP3", "Ogg Vorbis": "Ogg",
                 "Shorten": "SHN"}
AUDIO_EXTENSIONS = {"mp3", "flac", "ogg", "wav", "m4a", "shn", "opus"}


# -- downloads -------------------------------------------------------------------------------------
def download_list_for_user(*, user: AuthUser, status: str = "", identifier: str = "") -> QuerySet[Download]:
    qs = Download.objects.filter(user=user)
    if status:
        qs = qs.filter(status=status)
    if identifier:
        qs = qs.filter(identifier=identifier)
    return qs.order_by("-created_at", "-pk")


def download_get_for_user(*, user: AnyUser, download_id: int) -> Download:
    """The user's own download, or Http404 (another user's looks like it does not exist)."""
    download = None if isinstance(user, AnonymousUser) else Download.objects.filter(pk=download_id, user=user).first()
    if download is None:
        raise Http404("No such download.")
    return download


def download_file_get_for_user(*, user: AnyUser, download_id: int) -> Download:
    """A completed download whose file is on disk, the user's own, or Http404."""
    download = download_get_for_user(user=user, download_id=download_id)
    path = download.absolute_path
    if download.status != Download.Status.COMPLETED or path is None or not path.is_file():
        raise Http404("That file is not in your library.")
    return download


def download_verified_get_for_user(*, user: AnyUser, download_id: int) -> Download:
    """The user's own completed, verified download whose file is on disk; Http404 for another user's or a
    missing file, Conflict (409) while it is not downloaded and verified yet."""
    download = download_get_for_user(user=user, download_id=download_id)
    if download.status != Download.Status.COMPLETED:
        raise Conflict(f"That download is not complete and verified yet (it is {download.status}).")
    path = download.absolute_path
    if path is None or not path.is_file():
        raise Http404("That file is not in your library.")
    return download


def download_group_allowed(*, user: AuthUser, object_id: int) -> bool:
    return Download.objects.filter(pk=object_id, user=user).exists()


def download_counts_for_user(*, user: AuthUser) -> dict[str, int]:
    rows = Download.objects.filter(user=user).values_list("status").annotate(n=Count("id"))
    return {status: n for status, n in rows}


def downloads_for_item(*, user: AnyUser, identifier: str) -> dict[str, Download]:
    if isinstance(user, AnonymousUser):
        return {}
    return {d.file_name: d for d in Download.objects.filter(user=user, identifier=identifier)}


def quota_used(*, user: AuthUser) -> int:
    return Download.objects.filter(user=user, status__in=[Download.Status.COMPLETED, *Download.ACTIVE]).aggregate(
        n=Sum("bytes_total"))["n"] or 0


# -- library and player ------------------------------------------------------------------------------
def library_for_user(*, user: AuthUser) -> list[dict]:
    """The user's downloaded concerts: one entry per item with completed audio files."""
    rows = (Download.objects.filter(user=user, status=Download.Status.COMPLETED)
            .values("identifier").annotate(files=Count("id"), size=Sum("bytes_total"), last=Max("completed_at"),
                                           length=Sum("length"))
            .order_by("-last"))
    titles = {d.identifier: d for d in Download.objects.filter(user=user, status=Download.Status.COMPLETED)
              .order_by("identifier", "-completed_at")}
    return [{**row, "title": titles[row["identifier"]].title or row["identifier"],
             "creator": titles[row["identifier"]].creator} for row in rows]


def is_audio(download: Download) -> bool:
    return download.file_name.rsplit(".", 1)[-1].lower() in AUDIO_EXTENSIONS


# The archive names a track's derivatives after its original: gd77-05-08d1t01.flac, gd77-05-08d1t01.mp3,
# and in older items gd77-05-08d1t01_vbr.mp3 or ..._64kb.mp3. Stripping the extension and these suffixes
# gives one key per track.
_DERIVATIVE_SUFFIX = re.compile(r"_(vbr|64kb|128kb|256kb|320kb|sample)$", re.IGNORECASE)
_LOSSLESS_PLAYABLE = {"flac", "wav"}
_LOSSY_PLAYABLE = {"mp3", "ogg", "opus", "m4a"}


def track_key(download: Download) -> str:
    """One key for every format of the same track of an item."""
    stem = download.file_name.rsplit(".", 1)[0] if "." in download.file_name else download.file_name
    return f"{download.identifier}/{_DERIVATIVE_SUFFIX.sub('', stem).lower()}"


def format_rank(download: Download) -> tuple[int, float]:
    """Higher is better: FLAC (and WAV) over lossy formats, then the higher bitrate (bytes per second)."""
    extension = download.file_name.rsplit(".", 1)[-1].lower()
    kind = 2 if extension in _LOSSLESS_PLAYABLE else 1 if extension in _LOSSY_PLAYABLE else 0
    bitrate = download.bytes_total / download.length if download.length else 0.0
    return kind, bitrate


def best_files(*, downloads: Iterable[Download]) -> list[Download]:
    """Each track once, in the best format held (FLAC > highest-bitrate MP3/Ogg), in track order.

    Only completed audio files whose file is on disk count. The player, and any other queue of a
    user's downloads, plays these.
    """
    best: dict[str, Download] = {}
    for d in downloads:
        if d.status != Download.Status.COMPLETED or not is_audio(d):
            continue
        path = d.absolute_path
        if path is None or not path.is_file():
            continue
        key = track_key(d)
        if key not in best or format_rank(d) > format_rank(best[key]):
            best[key] = d
    return sorted(best.values(), key=lambda d: (d.identifier, d.track is None, d.track or 0, d.file_name))


def playlist_for_user(*, user: AnyUser, identifier: str) -> list[Download]:
    """The item's tracks for the player, each once in the best format held; Http404 when none."""
    if isinstance(user, AnonymousUser):
        raise Http404("No downloaded audio for that item.")
    tracks = best_files(downloads=Download.objects.filter(user=user, identifier=identifier,
                                                          status=Download.Status.COMPLETED))
    if not tracks:
        raise Http404("No downloaded audio for that item.")
    return tracks


def completed_audio_files(*, user: AuthUser) -> list[dict]:
    """The user's completed downloaded audio files, for other apps (recommend computes audio features).

    Each: {"path": absolute path str, "identifier", "file_name", "title", "creator", "download_id"}.
    """
    files = []
    for d in Download.objects.filter(user=user, status=Download.Status.COMPLETED).order_by("identifier", "track",
                                                                                          "file_name"):
        path = d.absolute_path
        if is_audio(d) and path is not None and path.is_file():
            files.append({"path": str(path), "identifier": d.identifier, "file_name": d.file_name,
                          "title": d.track_title or d.label, "creator": d.creator, "download_id": d.pk})
    return files


def verified_files_for_item(*, identifier: str) -> list[tuple[str, Path]]:
    """(file name, absolute path) of an item's verified files on disk, whoever downloaded them, by file name.

    A download is completed only after its checksums matched (download_run verifies before it moves the file
    into the library), so these are safe to read as the item's own audio. One copy per file name: the first
    completed. For jobs that read the files themselves, such as concerts' quality cards.
    """
    found: dict[str, Path] = {}
    for d in (Download.objects.filter(identifier=identifier, status=Download.Status.COMPLETED)
              .exclude(path="").order_by("completed_at", "pk")):
        path = d.absolute_path
        if d.file_name not in found and path is not None and path.is_file():
            found[d.file_name] = path
    return sorted(found.items())


# -- search history ------------------------------------------------------------------------------------
def search_history_for_user(*, user: AnyUser, limit: int = 10) -> QuerySet[SearchHistory]:
    if isinstance(user, AnonymousUser):
        return SearchHistory.objects.none()
    return SearchHistory.objects.filter(user=user).order_by("-last_used_at")[:limit]


# -- stored items ----------------------------------------------------------------------------------
def item_from_dict(data: dict[str, Any]) -> ItemMetadata:
    """ItemMetadata from its stored form (an ItemSnapshot's data)."""
    files = [ItemFile(**f) for f in data.get("files", [])]
    reviews = [Review(**r) for r in data.get("reviews", [])]
    return ItemMetadata(**{**data, "files": files, "reviews": reviews,
                           "collections": tuple(data.get("collections") or ())})


def item_stored(*, identifier: str) -> ItemMetadata | None:
    """The item's last stored metadata, without asking the archive; None when none is kept.

    For receivers of archive.signals.recordings_stored (concerts reads recordings through it).
    """
    snapshot = ItemSnapshot.objects.filter(identifier=identifier).first()
    return item_from_dict(snapshot.data) if snapshot is not None else None


def item_served_without_archive(*, identifier: str) -> bool:
    """Whether the item page can be served from stored data alone (cache or pinned snapshot): then the
    visitor spends no external budget. A bad identifier never reaches the archive either."""
    if not is_valid_identifier(identifier):
        return True
    return (archive_cache.contains(archive_cache.make_key("metadata", identifier))
            or ItemSnapshot.objects.filter(identifier=identifier, pinned=True).exists())


def search_served_without_archive(*, cache_key: str) -> bool:
    """Whether a search's page is in the cache (no call to the archive, no external budget spent)."""
    return archive_cache.contains(cache_key)


# -- item files -------------------------------------------------------------------------------------------
@dataclass
class AudioGroup:
    format: str
    label: str
    lossless: bool
    tracks: list[ItemFile]
    total_size: int
    total_length: float
    downloadable: bool


@dataclass
class FileGroups:
    audio: list[AudioGroup] = field(default_factory=list)
    checksums: list[ItemFile] = field(default_factory=list)
    text: list[ItemFile] = field(default_factory=list)
    images: list[ItemFile] = field(default_factory=list)
    other: list[ItemFile] = field(default_factory=list)


def _track_order(f: ItemFile) -> tuple:
    return (f.track is None, f.track or 0, f.name)


def item_file_groups(meta: ItemMetadata) -> FileGroups:
    """Files grouped as audio per format (in track order), checksums, text, images and the rest."""
    groups = FileGroups()
    audio: dict[str, list[ItemFile]] = OrderedDict((fmt, []) for fmt in AUDIO_FORMATS)
    for f in meta.files:
        if f.format in audio:
            audio[f.format].append(f)
        elif f.format in CHECKSUM_FORMATS or f.extension in CHECKSUM_EXTENSIONS:
            groups.checksums.append(f)
        elif f.format in TEXT_FORMATS or f.extension == "txt":
            groups.text.append(f)
        elif f.format in IMAGE_FORMATS or f.extension in ("jpg", "jpeg", "png", "gif"):
            groups.images.append(f)
        else:
            groups.other.append(f)
    for fmt, files in audio.items():
        if files:
            files.sort(key=_track_order)
            groups.audio.append(AudioGroup(
                format=fmt, label=FORMAT_LABELS.get(fmt, fmt), lossless=fmt in LOSSLESS_FORMATS, tracks=files,
                total_size=sum(f.size or 0 for f in files), total_length=round(sum(f.length or 0 for f in files), 2),
                downloadable=any(not f.private for f in files)))
    return groups


def item_directory(meta: ItemMetadata, path: str = "") -> tuple[list[str], list[ItemFile]]:
    """The sub-folders and files directly inside `path` of an item ('' is the top); Http404 if no such folder."""
    path = path.strip("/")
    prefix = f"{path}/" if path else ""
    dirs: set[str] = set()
    files: list[ItemFile] = []
    for f in meta.files:
        try:  # names like "/etc/x" or "a//b" have no place in a folder tree (and cannot be downloaded)
            safe_relative_path(f.name)
        except ValueError:
            continue
        if not f.name.startswith(prefix):
            continue
        rest = f.name[len(prefix):]
        if "/" in rest:
            dirs.add(rest.split("/", 1)[0])
        else:
            files.append(f)
    if path and not dirs and not files:
        raise Http404("No such folder in this item.")
    return sorted(dirs), sorted(files, key=lambda f: f.name)


# -- platform hooks ---------------------------------------------------------------------------------------
def downloads_statistics() -> dict:
    """Figures for the staff statistics page."""
    totals = Download.objects.aggregate(
        count=Count("id"),
        bytes=Sum("bytes_total", filter=Q(status=Download.Status.COMPLETED)),
        completed=Count("id", filter=Q(status=Download.Status.COMPLETED)),
        failed=Count("id", filter=Q(status=Download.Status.FAILED)),
        active=Count("id", filter=Q(status__in=Download.ACTIVE)),
        users=Count("user", distinct=True),
    )
    totals["bytes"] = totals["bytes"] or 0
    return totals


def home_card(*, user: AnyUser) -> dict[str, Any] | None:
    if isinstance(user, AnonymousUser):
        return None
    recent = list(Download.objects.filter(user=user).order_by("-updated_at")[:5])
    if not recent:
        return None
    from django.urls import reverse

    return {"title": "Recent downloads", "url": reverse("archive:downloads"), "template": "archive/_home_card.html",
            "downloads": recent}


def global_search(*, user: AnyUser, query: str, limit: int = 5) -> list[dict]:
    """The user's own downloaded items whose title, creator or identifier matches."""
    from django.urls import reverse

    query = (query or "").strip()
    if not query or isinstance(user, AnonymousUser):
        return []
    rows = (Download.objects.filter(user=user, status=Download.Status.COMPLETED)
            .filter(Q(title__icontains=query) | Q(creator__icontains=query) | Q(identifier__icontains=query))
            .values("identifier", "title", "creator").distinct().order_by("identifier")[:limit])
    return [{"kind": "download", "title": r["title"] or r["identifier"], "subtitle": r["creator"],
             "url": reverse("archive:player", args=[r["identifier"]])} for r in rows]


# -- live progress snapshots ---------------------------------------------------------------------------------
def download_progress_html(download: Download) -> str:
    """The download's bar as pushed over the socket (hx-swap-oob, same id as on the page)."""
    from common.realtime import render_progress

    return render_progress(dom_id=download.dom_id, done=download.bytes_done, total=download.bytes_total,
                           label=download.label, status=download.status, message=download.error, oob=True)


def download_snapshot(*, object_id) -> str | None:
    download = Download.objects.filter(pk=object_id).first()
    return download_progress_html(download) if download else None


def downloads_snapshot_for_user(*, user: AuthUser, minutes: int = 10, limit: int = 50) -> str:
    """Bars of the user's active downloads and those that changed lately, sent when a socket joins."""
    from django.utils import timezone

    since = timezone.now() - dt.timedelta(minutes=minutes)
    recent = Download.objects.filter(user=user).filter(Q(status__in=Download.ACTIVE) | Q(updated_at__gte=since))
    return "".join(download_progress_html(d) for d in recent.order_by("-updated_at")[:limit])
