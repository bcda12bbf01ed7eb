"""Offline demo content for the archive: item snapshots, and a concert downloaded and playable.

The audio is generated here (short sine-tone WAV files written into MEDIA_ROOT); nothing is fetched.
"""
from __future__ import annotations

import hashlib
import math
import struct
import wave
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from integrations.internet_archive.types import ItemFile, ItemMetadata, Review, SearchDoc

# (artist, raw date, venue, location, [(identifier, source, formats, avg rating, reviews, downloads)])
DemoRecording = tuple[str, str, tuple[str, ...], float | None, int, int]
DEMO_CONCERTS: list[tuple[str, str, str, str, list[DemoRecording]]] = [
    ("The Stylus Band", "1977-05-08", "Barton Hall", "Ithaca, NY", [
        ("stylusband1977-05-08.sbd.demo.flac16", "Soundboard > Reel > DAT > FLAC", ("Flac", "VBR MP3", "WAVE"), 4.8, 24, 9120),
        ("stylusband1977-05-08.aud.demo.flac16", "Audience: Sony ECM-99A > cassette", ("Flac", "VBR MP3"), 4.1, 6, 1320),
        ("stylusband1977-05-08.mtx.demo.mp3", "Matrix of SBD and AUD", ("VBR MP3",), 4.5, 3, 800),
    ]),
    ("The Stylus Band", "1977-20-05", "Hollywood Sportatorium", "Pembroke Pines, FL", [  # day and month swapped
        ("stylusband1977-05-20.sbd.demo.shn", "SBD > master reel", ("Shorten", "VBR MP3"), 4.3, 11, 2400),
        ("stylusband1977-05-20.aud.demo.flac", "AUD > cassette master", ("Flac",), 3.9, 2, 300),
    ]),
    ("The Stylus Band", "1978-00-12", "Unknown venue", "Somewhere, USA", [  # month unknown: partial date
        ("stylusband1978-00-12.aud.demo.mp3", "Audience", ("VBR MP3",), None, 0, 95),
        ("stylusband1978-00-12.aud2.demo.mp3", "Audience, second taper", ("VBR MP3",), 3.0, 1, 40),
    ]),
    ("Phonograph Jam", "2004-07-03", "Red Rocks Amphitheatre", "Morrison, CO", [
        ("phonographjam2004-07-03.matrix.demo.flac16", "Matrix: SBD + Schoeps MK4", ("Flac", "Ogg Vorbis"), 4.6, 9, 3100),
        ("phonographjam2004-07-03.sbd.demo.flac16", "SBD > Mackie > DAT", ("Flac",), 4.4, 5, 1800),
        ("phonographjam2004-07-03.fob.demo.mp3", "FOB: AKG 480 > Edirol R-09", ("VBR MP3",), 4.9, 1, 260),
    ]),
    ("Phonograph Jam", "2004-07-04T00:00:00Z", "Red Rocks Amphitheatre", "Morrison, CO", [  # ISO timestamp trimmed
        ("phonographjam2004-07-04.sbd.demo.flac16", "SBD", ("Flac", "VBR MP3"), 4.2, 7, 2200),
        ("phonographjam2004-07-04.aud.demo.flac16", "AUD: Neumann KM184", ("Flac",), 4.7, 2, 500),
    ]),
    ("Needle Drop Orchestra", "2012-11-16", "The Fillmore", "San Francisco, CA", [
        ("needledrop2012-11-16.fm.demo.mp3", "Pre-FM broadcast", ("VBR MP3", "Ogg Vorbis"), 4.0, 4, 640),
        ("needledrop2012-11-16.aud.demo.flac24", "AUD: DPA 4061 > Sound Devices", ("24bit Flac", "Flac"), 4.5, 8, 990),
    ]),
]
PLAYABLE = "stylusband1977-05-08.sbd.demo.flac16"
TRACKS = [("Bertha", 196.0), ("Scarlet Begonias", 246.94), ("Fire on the Mountain", 293.66)]
SECONDS = 4
RATE = 22050


def demo_docs() -> list[SearchDoc]:
    """The demo catalogue as search results (the concerts demo aggregates these)."""
    docs = []
    for artist, date, venue, location, recordings in DEMO_CONCERTS:
        for identifier, source, formats, rating, reviews, downloads in recordings:
            docs.append(SearchDoc(
                identifier=identifier, title=f"{artist} Live at {venue} on {date[:10]}", creator=artist, date=date,
                venue=venue, coverage=location, source=source, taper="Demo Taper", transferer="Demo Transfer",
                lineage=source, formats=formats, avg_rating=rating, num_reviews=reviews, downloads=downloads,
                addeddate="2026-11-01T12:00:00Z", item_size=len(TRACKS) * SECONDS * RATE * 2,
                collections=("etree", "StylusBand")))
    # an undated item, which the aggregation leaves out and counts
    docs.append(SearchDoc(identifier="stylusband.undated.demo", title="Undated tape", creator="The Stylus Band"))
    return docs


def _tone(path: Path, freq: float) -> bytes:
    frames = bytearray()
    for i in range(SECONDS * RATE):
        fade = min(1.0, i / 2000, (SECONDS * RATE - i) / 2000)
        frames += struct.pack("<h", int(12000 * fade * math.sin(2 * math.pi * freq * i / RATE)))
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(bytes(frames))
    return path.read_bytes()


def _metadata(files: list[ItemFile]) -> ItemMetadata:
    artist, date, venue, location, _ = DEMO_CONCERTS[0]
    return ItemMetadata(
        identifier=PLAYABLE, title=f"{artist} Live at {venue} on {date}", creator=artist, date=date, year=1977,
        venue=venue, coverage=location, source="Soundboard > Reel > DAT > FLAC", taper="Demo Taper",
        transferer="Demo Transfer", lineage="SBD > Reel > DAT > CD > EAC > FLAC",
        notes="Demo recording for Stylus: three generated sine-tone tracks.", mediatype="etree",
        collections=("etree", "StylusBand"), files=files,
        reviews=[Review(title="Great demo", body="Crisp tones, excellent balance.", reviewer="demo", date="2026-11-01",
                        stars=5)],
    )


def load(*, user, staff, stdout) -> None:
    from archive.models import Download, ItemSnapshot
    from archive.services import final_path, item_snapshot_save

    files: list[ItemFile] = []
    for number, (title, freq) in enumerate(TRACKS, start=1):
        name = f"sb77-05-08d1t{number:02d}.wav"
        download, _ = Download.objects.get_or_create(user=user, identifier=PLAYABLE, file_name=name)
        path = final_path(download)
        data = path.read_bytes() if path.exists() else _tone(path, freq)
        md5 = hashlib.md5(data, usedforsecurity=False).hexdigest()
        sha1 = hashlib.sha1(data, usedforsecurity=False).hexdigest()
        files.append(ItemFile(name=name, format="WAVE", source="original", size=len(data), md5=md5, sha1=sha1,
                              length=float(SECONDS), title=title, creator=DEMO_CONCERTS[0][0], track=number))
        Download.objects.filter(pk=download.pk).update(
            title=_metadata([]).title, creator=DEMO_CONCERTS[0][0], track_title=title, track=number, format="WAVE",
            length=float(SECONDS), status=Download.Status.COMPLETED, bytes_done=len(data), bytes_total=len(data),
            md5=md5, sha1=sha1, path=str(path.relative_to(Path(settings.MEDIA_ROOT).resolve())),
            source_url=f"https://archive.org/download/{PLAYABLE}/{name}", error="",
            started_at=download.started_at or timezone.now(), completed_at=download.completed_at or timezone.now())
    files += [
        ItemFile(name="sb77-05-08.md5", format="Checksums", size=120, md5="0" * 32),
        ItemFile(name="sb77-05-08.txt", format="Text", size=900, md5="1" * 32),
        ItemFile(name="extras/setlist.txt", format="Text", size=300, md5="2" * 32),
    ]
    item_snapshot_save(meta=_metadata(files), pinned=True)
    failed, _ = Download.objects.get_or_create(
        user=user, identifier="stylusband1977-05-08.aud.demo.flac16", file_name="sb77-05-08aud-d1t01.flac",
        defaults={"title": "The Stylus Band Live at Barton Hall (audience)", "creator": "The Stylus Band",
                  "track_title": "Bertha", "track": 1, "format": "Flac", "bytes_total": 2_400_000,
                  "bytes_done": 1_100_000, "status": Download.Status.FAILED,
                  "error": "Transfer failed after 4 attempts (the demo is offline); 1100000 bytes kept, retry to resume."})
    stdout.write(f"  archive: {len(TRACKS)} playable demo tracks for {user.username}, "
                 f"{ItemSnapshot.objects.count()} item snapshot(s), 1 failed download")
