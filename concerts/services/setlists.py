"""Writes for setlists and songs: each recording's reconciled setlist, each concert's agreed one, songs per artist."""
from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.text import slugify

from common.exceptions import StylusError
from integrations.errors import IntegrationError
from integrations.internet_archive.types import ItemFile, ItemMetadata

from ..models import ArtistSongConfig, Concert, Performance, Recording, SetlistEntry, Song, SongAlias
from ..setlist_parse import AudioTrack, clean_text, split_segues
from ..setlist_reconcile import reconcile
from ..song_match import SongMatcher, is_non_song, normalise_title

log = logging.getLogger(__name__)

AUDIO_EXTENSIONS = ("flac", "mp3", "ogg", "shn", "wav", "m4a", "aiff", "aif")


# -- songs ------------------------------------------------------------------------------------------
class SongBook:
    """Resolves titles to songs for one artist: exact alias, else a rapidfuzz near match, else a new song."""

    def __init__(self, *, artist: str, artist_key: str, demo: bool = False) -> None:
        self.artist, self.artist_key, self.demo = artist, artist_key, demo
        aliases = dict(SongAlias.objects.filter(artist_key=artist_key).values_list("key", "song_id"))
        self.matcher = SongMatcher(aliases)
        config = ArtistSongConfig.objects.filter(artist_key=artist_key).first()
        self.extra_non_songs = config.non_song_titles if config else []

    def non_song(self, key: str) -> bool:
        return is_non_song(key, extra=self.extra_non_songs)

    def resolve(self, title: str) -> tuple[int | None, bool, bool]:
        """(song id or None for a non-song, reprise, non_song)."""
        normalised = normalise_title(title)
        if self.non_song(normalised.key):
            return None, normalised.reprise, True
        song_id = self.matcher.known.get(normalised.key)
        if song_id is None:
            song_id = self.matcher.match(normalised.key)
            if song_id is None:
                display = " ".join(clean_text(split_segues(title)[0][0] if split_segues(title) else title).split())
                song, _ = Song.objects.get_or_create(
                    artist_key=self.artist_key, key=normalised.key,
                    defaults={"artist": self.artist[:300], "artist_slug": (slugify(self.artist) or "artist")[:300],
                              "title": display[:200] or normalised.key, "is_demo": self.demo})
                song_id = song.pk
                self.matcher.add(normalised.key, song_id)
            SongAlias.objects.get_or_create(artist_key=self.artist_key, key=normalised.key,
                                            defaults={"song_id": song_id})
        return song_id, normalised.reprise, False


@transaction.atomic
def songs_merge(*, target: Song, others: Iterable[Song]) -> Song:
    """Staff: merges songs into `target` (aliases, setlist entries and performances move over)."""
    ids = [s.pk for s in others if s.pk != target.pk and s.artist_key == target.artist_key]
    SongAlias.objects.filter(song_id__in=ids).update(song=target)
    SetlistEntry.objects.filter(song_id__in=ids).update(song=target)
    Performance.objects.filter(song_id__in=ids).update(song=target)
    Song.objects.filter(pk__in=ids).delete()
    return target


@transaction.atomic
def song_alias_split(*, alias: SongAlias) -> Song:
    """Staff: moves one alias (and the lines written that way) out of its song into a new song of its own."""
    old = alias.song
    title = alias.key.title()
    song = Song.objects.create(artist=old.artist, artist_key=old.artist_key, artist_slug=old.artist_slug,
                               title=title[:200], key=alias.key, is_demo=old.is_demo)
    alias.song = song
    alias.save(update_fields=["song"])
    for model in (SetlistEntry, Performance):
        moved = [row.pk for row in model.objects.filter(song=old) if normalise_title(row.title).key == alias.key]
        model.objects.filter(pk__in=moved).update(song=song)
    return song


# -- a recording's setlist ----------------------------------------------------------------------------
def _audio_files(meta: ItemMetadata, fmt: str) -> list[ItemFile]:
    """The recording's audio files in its format, else the format whose files carry the most titles.

    Private (stream-only) files count: their titles and lengths are metadata, whoever may download them.
    """
    audio = [f for f in meta.files if f.extension in AUDIO_EXTENSIONS]
    chosen = [f for f in audio if fmt and f.format == fmt]
    if chosen or not audio:
        return chosen
    groups: dict[str, list[ItemFile]] = {}
    for f in audio:
        groups.setdefault(f.format, []).append(f)
    return max(groups.values(), key=lambda g: (sum(bool(f.title) for f in g), -sum(bool(f.original) for f in g)))


def audio_tracks(files: Iterable[ItemFile]) -> list[AudioTrack]:
    return [AudioTrack(name=f.name, title=f.title, track=f.track, length=f.length) for f in files]


def recording_setlist_store(*, recording: Recording, tracks: list[AudioTrack], description: str = "",
                            info_text: str = "", book: SongBook | None = None) -> int:
    """Reconciles the recording's sources and stores its setlist (replacing the old one); returns the lines."""
    result = reconcile(tracks=tracks, description=description, info_text=info_text)
    concert = recording.concert
    book = book or SongBook(artist=concert.artist, artist_key=concert.artist_key, demo=recording.is_demo)
    rows = []
    for line in result.lines:
        song_id, reprise, non_song = book.resolve(line.title)
        rows.append(SetlistEntry(recording=recording, position=line.position, set_label=line.set_label,
                                 title=line.title[:200], song_id=song_id, segue=line.segue, reprise=reprise,
                                 non_song=non_song, file_name=line.file_name[:500], length=line.length,
                                 source=result.source))
    with transaction.atomic():
        SetlistEntry.objects.filter(recording=recording).delete()
        SetlistEntry.objects.bulk_create(rows)
        Recording.objects.filter(pk=recording.pk).update(setlist_notes=result.notes[:200],
                                                         setlist_extracted_at=timezone.now())
    return len(rows)


def _info_file(meta: ItemMetadata) -> ItemFile | None:
    from integrations.internet_archive.textfiles import is_info_file

    texts = [f for f in meta.files if is_info_file(f.name, size=f.size) and not f.private]  # a private one would 403
    # the taper's file is usually the one named after the show, not the archive's own derivatives
    texts.sort(key=lambda f: (f.name.endswith(("_files.txt", "_meta.txt")), len(f.name)))
    return texts[0] if texts else None


def recording_info_text(*, recording: Recording, meta: ItemMetadata) -> str:
    """The taper's info .txt: fetched once (capped at 1 MB), then read from the row."""
    if recording.info_fetched:
        return recording.info_text
    from integrations.internet_archive.textfiles import MAX_BYTES, FileTooLarge, fetch_text_file

    info = _info_file(meta)
    text = ""
    if info is not None and (info.size or 0) <= MAX_BYTES:
        try:
            text = fetch_text_file(meta.identifier, info.name)
        except FileTooLarge:
            text = ""
        except IntegrationError as exc:
            if exc.transient:
                raise  # try again on the next run rather than remembering "no info file"
            text = ""
    Recording.objects.filter(pk=recording.pk).update(info_file=(info.name if info else "")[:300],
                                                     info_text=text, info_fetched=True)
    recording.info_text, recording.info_fetched = text, True
    return text


def recording_setlist_from_meta(*, recording: Recording, meta: ItemMetadata, fetch_info: bool = True) -> int:
    """Setlist from the item metadata: its description, its files' titles and its info file."""
    info = recording_info_text(recording=recording, meta=meta) if fetch_info else recording.info_text
    if meta.description and meta.description != recording.description:
        Recording.objects.filter(pk=recording.pk).update(description=meta.description)
        recording.description = meta.description
    return recording_setlist_store(recording=recording, tracks=audio_tracks(_audio_files(meta, recording.format)),
                                   description=meta.description, info_text=info)


# -- a concert's agreed setlist -------------------------------------------------------------------------
def concert_setlist_agree(*, concert: Concert) -> int:
    """The best recording with a setlist gives the concert's; where the others differ, it is recorded."""
    recordings = list(concert.recordings.order_by("rank", "-score", "identifier").prefetch_related("setlist"))
    with_setlists = [r for r in recordings if list(r.setlist.all())]
    with transaction.atomic():
        Performance.objects.filter(concert=concert).delete()
        if not with_setlists:
            Concert.objects.filter(pk=concert.pk).update(setlist_identifier="", setlist_disagreements=[])
            return 0
        best = with_setlists[0]
        entries = list(best.setlist.all())
        rows = []
        for i, entry in enumerate(entries):
            rows.append(Performance(
                concert=concert, song_id=entry.song_id, position=entry.position, set_label=entry.set_label,
                title=entry.title, segue_in=bool(i and entries[i - 1].segue), segue_out=entry.segue,
                reprise=entry.reprise, non_song=entry.non_song, length=entry.length, identifier=best.identifier,
                file_name=entry.file_name))
        Performance.objects.bulk_create(rows)
        agreed = [e.song_id for e in entries if e.song_id]
        titles = {e.song_id: e.title for r in with_setlists for e in r.setlist.all() if e.song_id}
        disagreements = []
        for other in with_setlists[1:]:
            songs = [e.song_id for e in other.setlist.all() if e.song_id]
            missing = [titles[s] for s in agreed if s not in songs]
            extra = [titles[s] for s in songs if s not in agreed]
            if missing or extra or songs != agreed:
                disagreements.append({"identifier": other.identifier, "missing": missing, "extra": extra,
                                      "order_differs": not missing and not extra})
        Concert.objects.filter(pk=concert.pk).update(setlist_identifier=best.identifier,
                                                     setlist_disagreements=disagreements[:50])
    return len(rows)


def setlists_extract(*, artist: str = "", fetch: Callable[[str], ItemMetadata] | None = None,
                     on_progress: Callable[[int], None] | None = None) -> dict[str, int]:
    """Extracts (again) every recording's setlist and agrees each concert's; idempotent (`--artist` filters)."""
    from ..aggregation import artist_key as make_key

    qs: QuerySet[Concert] = Concert.objects.all().order_by("pk")
    if artist:
        qs = qs.filter(artist_key=make_key(artist))
    counts = {"concerts": 0, "recordings": 0, "lines": 0, "failed": 0}
    books: dict[str, SongBook] = {}
    for concert in qs.iterator(chunk_size=200):
        book = books.setdefault(concert.artist_key, SongBook(artist=concert.artist, artist_key=concert.artist_key,
                                                             demo=concert.is_demo))
        for recording in concert.recordings.all():
            try:
                if fetch is not None:
                    counts["lines"] += _extract_one(recording=recording, fetch=fetch, book=book)
                elif recording.description or recording.info_text:
                    counts["lines"] += recording_setlist_store(recording=recording, tracks=_stored_tracks(recording),
                                                               description=recording.description,
                                                               info_text=recording.info_text, book=book)
                counts["recordings"] += 1
            except (IntegrationError, StylusError) as exc:
                # the archive is down or no longer has the item (archive's own errors arrive as domain errors):
                # the recording keeps the setlist it had, and the run goes on with the others
                counts["failed"] += 1
                log.warning("setlist of %s not extracted: %s", recording.identifier, exc)
        concert_setlist_agree(concert=concert)
        counts["concerts"] += 1
        if on_progress:
            on_progress(counts["concerts"])
    return counts


def _stored_tracks(recording: Recording) -> list[AudioTrack]:
    """The files the last extraction attached, so a re-run without the network keeps them; where the files'
    own titles were the setlist's source they are given back too, or the re-run would trust the description."""
    return [AudioTrack(name=e.file_name, title=(e.title + (" >" if e.segue else "")) if e.source == "files" else "",
                       track=e.position, length=e.length)
            for e in recording.setlist.exclude(file_name="")]


def _extract_one(*, recording: Recording, fetch: Callable[[str], ItemMetadata], book: SongBook) -> int:
    meta = fetch(recording.identifier)
    info = recording_info_text(recording=recording, meta=meta)
    if meta.description != recording.description:
        Recording.objects.filter(pk=recording.pk).update(description=meta.description)
    return recording_setlist_store(recording=recording, tracks=audio_tracks(_audio_files(meta, recording.format)),
                                   description=meta.description, info_text=info, book=book)
