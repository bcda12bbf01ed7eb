"""Offline demo content for concerts: ranked concerts whose descriptions carry setlists, songs, a quality card.

The demo catalogue is written here (the identifiers match archive's demo items, so its playable tape plays);
every row is marked is_demo, and unload() removes exactly those.
"""
from __future__ import annotations

from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser

from integrations.internet_archive.types import SearchDoc

# (artist, date, venue, location, description, [(identifier, source, formats, rating, reviews, downloads)]); the
# same concerts as archive's demo catalogue, each description carrying a setlist in one of the archive's styles
DemoRecording = tuple[str, str, tuple[str, ...], float | None, int, int]
DEMO: list[tuple[str, str, str, str, str, list[DemoRecording]]] = [
    ("The Stylus Band", "1977-05-08", "Barton Hall", "Ithaca, NY",
     "Set 1\nBertha\nScarlet Begonias ->\nFire On The Mountain\n\nSet 2\nPlayin' In The Band >\nDrums >\nSpace >\n"
     "Playing In The Band (reprise)\n\nEncore\nOne More Saturday Night", [
         ("stylusband1977-05-08.sbd.demo.flac16", "Soundboard > Reel > DAT > FLAC", ("Flac", "VBR MP3", "WAVE"), 4.8,
          24, 9120),
         ("stylusband1977-05-08.aud.demo.flac16", "Audience: Sony ECM-99A > cassette", ("Flac", "VBR MP3"), 4.1, 6,
          1320),
         ("stylusband1977-05-08.mtx.demo.mp3", "Matrix of SBD and AUD", ("VBR MP3",), 4.5, 3, 800),
     ]),
    ("The Stylus Band", "1977-20-05", "Hollywood Sportatorium", "Pembroke Pines, FL",  # day and month swapped
     "Set I\n01. Bertha\n02. Jack Straw\n03. Jack-A-Roe\nSet II\n04. Scarlet Begonias &gt;\n05. Fire on the Mountain\n"
     "E: U.S. Blues", [
         ("stylusband1977-05-20.sbd.demo.shn", "SBD > master reel", ("Shorten", "VBR MP3"), 4.3, 11, 2400),
         ("stylusband1977-05-20.aud.demo.flac", "AUD > cassette master", ("Flac",), 3.9, 2, 300),
     ]),
    ("The Stylus Band", "1978-00-12", "Unknown venue", "Somewhere, USA",  # month unknown: partial date
     "A fine spring show.\n\nSet One\nSugaree\nJack Straw\nScarlet Begonias\nSet Two\nEstimated Prophet ->\n"
     "Eyes Of The World\nEncore:\nU.S. Blues", [
         ("stylusband1978-00-12.aud.demo.mp3", "Audience", ("VBR MP3",), None, 0, 95),
         ("stylusband1978-00-12.aud2.demo.mp3", "Audience, second taper", ("VBR MP3",), 3.0, 1, 40),
     ]),
    ("Phonograph Jam", "2004-07-03", "Red Rocks Amphitheatre", "Morrison, CO",
     "d1t01 Tuning\nd1t02 Needle Drop ->\nd1t03 Groove Theory\nd2t01 Runout Groove\nd2t02 Crowd", [
         ("phonographjam2004-07-03.matrix.demo.flac16", "Matrix: SBD + Schoeps MK4", ("Flac", "Ogg Vorbis"), 4.6, 9,
          3100),
         ("phonographjam2004-07-03.sbd.demo.flac16", "SBD > Mackie > DAT", ("Flac",), 4.4, 5, 1800),
         ("phonographjam2004-07-03.fob.demo.mp3", "FOB: AKG 480 > Edirol R-09", ("VBR MP3",), 4.9, 1, 260),
     ]),
    ("Phonograph Jam", "2004-07-04T00:00:00Z", "Red Rocks Amphitheatre", "Morrison, CO",  # ISO timestamp trimmed
     "Set 1: Needle Drop > Groove Theory\nSet 2: Runout Groove\nE: Needle Drop (reprise)", [
         ("phonographjam2004-07-04.sbd.demo.flac16", "SBD", ("Flac", "VBR MP3"), 4.2, 7, 2200),
         ("phonographjam2004-07-04.aud.demo.flac16", "AUD: Neumann KM184", ("Flac",), 4.7, 2, 500),
     ]),
    ("Needle Drop Orchestra", "2012-11-16", "The Fillmore", "San Francisco, CA",
     "Set 1\nOverture\nB-Side Blues -&gt;\nDeep Cut\nEncore\nOverture (reprise)", [
         ("needledrop2012-11-16.fm.demo.mp3", "Pre-FM broadcast", ("VBR MP3", "Ogg Vorbis"), 4.0, 4, 640),
         ("needledrop2012-11-16.aud.demo.flac24", "AUD: DPA 4061 > Sound Devices", ("24bit Flac", "Flac"), 4.5, 8, 990),
     ]),
]
PLAYABLE = "stylusband1977-05-08.sbd.demo.flac16"
PLAYABLE_TRACKS = [("sb77-05-08d1t01.wav", "Bertha", 4.0), ("sb77-05-08d1t02.wav", "Scarlet Begonias ->", 4.0),
                   ("sb77-05-08d1t03.wav", "Fire on the Mountain", 4.0)]
NON_SONGS = {"the stylus band": "Drums\nSpace"}


def _docs() -> list[SearchDoc]:
    return [SearchDoc(identifier=identifier, title=f"{artist} Live at {venue} on {date}", creator=artist, date=date,
                      venue=venue, coverage=location, source=source, taper="Demo Taper", lineage=source,
                      formats=formats, avg_rating=rating, num_reviews=reviews, downloads=downloads,
                      addeddate="2026-11-01T12:00:00Z", collections=("etree",))
            for artist, date, venue, location, _, recordings in DEMO
            for identifier, source, formats, rating, reviews, downloads in recordings]


def load(*, user: AbstractBaseUser, staff: AbstractBaseUser, stdout: Any) -> None:
    from common.exceptions import NotFound

    from .audio_quality import AudioDecodeError
    from .models import ArtistSongConfig, Concert, Recording
    from .services import concert_setlist_agree, concerts_aggregate_items, recording_quality_measure, recording_setlist_store
    from .setlist_parse import AudioTrack

    for key, titles in NON_SONGS.items():
        ArtistSongConfig.objects.get_or_create(artist_key=key, defaults={"non_songs": titles})
    report = concerts_aggregate_items(docs=_docs(), enrich=False)  # offline: no metadata to fetch
    identifiers = [i for *_, recordings in DEMO for i, *_ in recordings]
    Recording.objects.filter(identifier__in=identifiers).update(is_demo=True)
    Concert.objects.filter(recordings__identifier__in=identifiers).update(is_demo=True)
    lines = 0
    for *_, description, recordings in DEMO:
        for identifier, *_ in recordings:
            recording = Recording.objects.select_related("concert").get(identifier=identifier)
            tracks = [AudioTrack(name=n, title=t, track=i, length=s) for i, (n, t, s) in enumerate(PLAYABLE_TRACKS, 1)] \
                if identifier == PLAYABLE else []
            Recording.objects.filter(pk=recording.pk).update(description=description)
            lines += recording_setlist_store(recording=recording, tracks=tracks, description=description)
        concert_setlist_agree(concert=Recording.objects.get(identifier=recordings[0][0]).concert)
    try:  # archive's demo wrote the playable tape's WAV files; measure them like a verified download
        recording_quality_measure(identifier=PLAYABLE)
        measured = "1 quality card"
    except (NotFound, AudioDecodeError):
        measured = "no quality card (archive demo not loaded)"
    stdout.write(f"  concerts: {report.concerts_created} new concerts, {report.recordings_created} new recordings, "
                 f"{lines} setlist lines, {measured}")


def unload(*, stdout: Any) -> None:
    from .models import ArtistSongConfig, Concert, Song

    concerts = Concert.objects.filter(is_demo=True).delete()[0]
    songs = Song.objects.filter(is_demo=True).delete()[0]
    ArtistSongConfig.objects.filter(artist_key__in=list(NON_SONGS)).delete()
    stdout.write(f"  concerts: removed {concerts} demo concert rows and {songs} demo song rows")
