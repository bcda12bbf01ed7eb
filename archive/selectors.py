"""Reads for archive: downloads (always scoped to their user), item file groups, library, stats."""
from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field

from django.db.models import Count, Max, Q, QuerySet, Sum
from django.http import Http404

from integrations.internet_archive.parser import (
    AUDIO_FORMATS,
    CHECKSUM_EXTENSIONS,
    CHECKSUM_FORMATS,
    IMAGE_FORMATS,
    LOSSLESS_FORMATS,
    TEXT_FORMATS,
)
from integrations.internet_archive.types import ItemFile, ItemMetadata

from .models import Download, SearchHistory

FORMAT_LABELS = {"Flac": "FLAC", "24bit Flac": "24-bit FLAC", "VBR MP3": "VBR MP3", "Ogg Vorbis": "Ogg",
                 "Shorten": "SHN"}
AUDIO_EXTENSIONS = {"mp3", "flac", "ogg", "wav", "m4a", "shn", "opus"}


# -- downloads -------------------------------------------------------------------------------------
def download_list_for_user(*, user, status: str = "", identifier: str = "") -> QuerySet[Download]:
    qs = Download.objects.filter(user=user)
    if status:
        qs = qs.filter(status=status)
    if identifier:
        qs = qs.filter(identifier=identifier)
    return qs.order_by("-created_at", "-pk")


def download_get_for_user(*, user, download_id: int) -> Download:
    """The user's own download, or Http404 (another user's looks like it does not exist)."""
    download = Download.objects.filter(pk=download_id, user=user).first() if user.is_authenticated else None
    if download is None:
        raise Http404("No such download.")
    return download


def download_file_get_for_user(*, user, download_id: int) -> Download:
    """A completed download whose file is on disk, the user's own, or Http404."""
    download = download_get_for_user(user=user, download_id=download_id)
    path = download.absolute_path
    if download.status != Download.Status.COMPLETED or path is None or not path.is_file():
        raise Http404("That file is not in your library.")
    return download


def download_group_allowed(*, user, object_id: int) -> bool:
    return Download.objects.filter(pk=object_id, user=user).exists()


def download_counts_for_user(*, user) -> dict[str, int]:
    rows = Download.objects.filter(user=user).values_list("status").annotate(n=Count("id"))
    return {status: n for status, n in rows}


def downloads_for_item(*, user, identifier: str) -> dict[str, Download]:
    if not user.is_authenticated:
        return {}
    return {d.file_name: d for d in Download.objects.filter(user=user, identifier=identifier)}


def quota_used(*, user) -> int:
    return Download.objects.filter(user=user, status__in=[Download.Status.COMPLETED, *Download.ACTIVE]).aggregate(
        n=Sum("bytes_total"))["n"] or 0


# -- library and player ------------------------------------------------------------------------------
def library_for_user(*, user) -> list[dict]:
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


def playlist_for_user(*, user, identifier: str) -> list[Download]:
    """The completed audio files of one item, in track order, for the player; Http404 when none."""
    tracks = [d for d in Download.objects.filter(user=user, identifier=identifier, status=Download.Status.COMPLETED)
              if is_audio(d) and d.absolute_path and d.absolute_path.is_file()]
    if not tracks:
        raise Http404("No downloaded audio for that item.")
    return sorted(tracks, key=lambda d: (d.track is None, d.track or 0, d.file_name))


def completed_audio_files(*, user) -> list[dict]:
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


# -- search history ------------------------------------------------------------------------------------
def search_history_for_user(*, user, limit: int = 10) -> QuerySet[SearchHistory]:
    if not user.is_authenticated:
        return SearchHistory.objects.none()
    return SearchHistory.objects.filter(user=user).order_by("-last_used_at")[:limit]


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


def home_card(*, user) -> dict | None:
    if not user.is_authenticated:
        return None
    recent = list(Download.objects.filter(user=user).order_by("-updated_at")[:5])
    if not recent:
        return None
    from django.urls import reverse

    return {"title": "Recent downloads", "url": reverse("archive:downloads"), "template": "archive/_home_card.html",
            "downloads": recent}


def global_search(*, user, query: str, limit: int = 5) -> list[dict]:
    """The user's own downloaded items whose title, creator or identifier matches."""
    from django.urls import reverse

    query = (query or "").strip()
    if not query or not user.is_authenticated:
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


def downloads_snapshot_for_user(*, user, minutes: int = 10, limit: int = 50) -> str:
    """Bars of the user's active downloads and those that changed lately, sent when a socket joins."""
    from django.utils import timezone

    since = timezone.now() - timezone.timedelta(minutes=minutes)
    recent = Download.objects.filter(user=user).filter(Q(status__in=Download.ACTIVE) | Q(updated_at__gte=since))
    return "".join(download_progress_html(d) for d in recent.order_by("-updated_at")[:limit])
