"""Offline demo catalogue: a few hundred generated tracks with features in the dataset format, a demo
playlist, and a built index, so recommending from a demo track or playlist link works with no network.

The tracks are made up (names, artists and features), generated deterministically per genre profile.
"""
from __future__ import annotations

import csv
import hashlib
import random
import tempfile
from io import TextIOBase
from pathlib import Path

from django.utils import timezone

from common.types import AuthUser

BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
DEMO_PLAYLIST_ID = "0DemoPlaylistStylus001"  # 22 base62 characters

# genre: (danceability, energy, valence, acousticness, instrumentalness, speechiness, tempo, loudness)
GENRES: dict[str, tuple[float, float, float, float, float, float, float, float]] = {
    "indie rock": (0.50, 0.75, 0.45, 0.10, 0.10, 0.05, 128, -6.0),
    "deep house": (0.78, 0.70, 0.45, 0.05, 0.70, 0.06, 123, -7.5),
    "hip hop": (0.80, 0.65, 0.55, 0.12, 0.01, 0.28, 94, -6.0),
    "folk": (0.50, 0.30, 0.45, 0.85, 0.05, 0.04, 104, -11.0),
    "ambient": (0.25, 0.15, 0.15, 0.85, 0.90, 0.04, 72, -20.0),
    "metal": (0.35, 0.95, 0.25, 0.01, 0.15, 0.09, 150, -4.0),
    "jazz": (0.55, 0.35, 0.55, 0.75, 0.50, 0.05, 112, -12.0),
    "pop": (0.70, 0.70, 0.65, 0.15, 0.01, 0.06, 118, -5.5),
}
WORDS = ("Night", "Glass", "River", "Echo", "Velvet", "Static", "Golden", "Paper", "Neon", "Silver", "Hollow",
         "Quiet", "Electric", "Summer", "Winter", "Ghost", "Signal", "Ocean", "Dust", "Fire", "Wild", "Slow",
         "Blue", "Crimson", "Lantern", "Motion", "Orbit", "Harbor", "Saint", "Atlas")
NOUNS = ("Lights", "Waves", "Hearts", "Roads", "Dreams", "Lines", "Rooms", "Birds", "Bells", "Machines", "Stars",
         "Rivers", "Letters", "Engines", "Gardens")
COLUMNS = ("Index", "Unnamed: 0", "artist_name", "track_name", "track_id", "popularity", "year", "genre",
           "danceability", "energy", "key", "loudness", "mode", "speechiness", "acousticness", "instrumentalness",
           "liveness", "valence", "tempo", "duration_ms", "time_signature")


def demo_track_id(n: int) -> str:
    digest = int(hashlib.sha256(f"stylus-demo-track-{n}".encode()).hexdigest(), 16)
    chars = []
    for _ in range(22):
        digest, rem = divmod(digest, 62)
        chars.append(BASE62[rem])
    return "".join(chars)


def demo_rows(*, per_genre: int = 36, seed: int = 2024) -> list[dict]:
    rng = random.Random(seed)
    rows, n = [], 0
    for g_index, (genre, (dance, energy, valence, acoustic, instr, speech, tempo, loud)) in enumerate(GENRES.items()):
        artists = [f"The {rng.choice(WORDS)} {rng.choice(NOUNS)}" for _ in range(per_genre // 4)]
        for i in range(per_genre):
            def jitter(value: float, spread: float = 0.08) -> float:
                return round(min(1.0, max(0.0, rng.gauss(value, spread))), 4)

            rows.append({
                "Index": n, "Unnamed: 0": n, "artist_name": artists[i % len(artists)],
                "track_name": f"{rng.choice(WORDS)} {rng.choice(NOUNS)}" + (f" {i}" if i % 5 == 0 else ""),
                "track_id": demo_track_id(n), "popularity": rng.randint(20, 90), "year": rng.randint(2000, 2023),
                "genre": genre.replace(" ", "-"), "danceability": jitter(dance), "energy": jitter(energy),
                "key": rng.randint(0, 11), "loudness": round(rng.gauss(loud, 1.5), 2), "mode": rng.randint(0, 1),
                "speechiness": jitter(speech, 0.03), "acousticness": jitter(acoustic), "instrumentalness": jitter(instr),
                "liveness": jitter(0.15, 0.05), "valence": jitter(valence, 0.12),
                "tempo": round(rng.gauss(tempo, 4 + g_index % 3), 3), "duration_ms": rng.randint(150_000, 320_000),
                "time_signature": 4,
            })
            n += 1
    return rows


def write_demo_csv(path: Path, rows: list[dict]) -> None:
    with path.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)


def load(*, user: AuthUser, staff: AuthUser, stdout: TextIOBase) -> None:
    """Idempotent: upserts the generated catalogue, the demo playlist, and (re)builds the index."""
    from . import services
    from .models import Playlist, PlaylistTrack, SavedTrack, Track

    rows = demo_rows()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "demo_catalogue.csv"
        write_demo_csv(path, rows)
        result = services.track_features_import(path=path)
    Track.objects.filter(spotify_id__in=[r["track_id"] for r in rows]).update(is_demo=True)
    playlist, _ = Playlist.objects.update_or_create(
        spotify_id=DEMO_PLAYLIST_ID,
        defaults={"name": "Stylus demo: late-night house", "owner_name": "Stylus", "snapshot_id": "demo-1",
                  "ingested_snapshot_id": "demo-1", "last_ingested_at": timezone.now(), "is_demo": True},
    )
    house = list(Track.objects.filter(spotify_id__in=[r["track_id"] for r in rows if r["genre"] == "deep-house"])
                 .order_by("pk")[:8])
    PlaylistTrack.objects.filter(playlist=playlist).delete()
    PlaylistTrack.objects.bulk_create([PlaylistTrack(playlist=playlist, track=t, position=i) for i, t in enumerate(house)])
    Playlist.objects.filter(pk=playlist.pk).update(total_tracks=len(house))
    if user is not None:
        playlist.imported_by.add(user)
    if user is not None:
        for track in house[:2]:
            SavedTrack.objects.get_or_create(user=user, track=track)
        _demo_audio(user=user, stdout=stdout)
    _mark_demo_artists()
    build = services.index_rebuild(reason="demo")
    first = rows[0]
    stdout.write(f"recommend: {result.summary()}; index v{build.version} ({build.size} vectors). "
                 f"Try https://open.spotify.com/track/{first['track_id']} or spotify:playlist:{DEMO_PLAYLIST_ID}\n")


def _demo_audio(*, user: AuthUser, stdout: TextIOBase) -> None:
    """One analysed recording for the demo user: a generated 10-second groove at 124 BPM, analysed by librosa
    exactly like an upload (skipped when it already exists)."""
    import numpy as np
    import soundfile as sf

    from . import services
    from .audio import AudioError
    from .models import Track

    if Track.objects.filter(owner=user, audio_ref="demo:groove").exists():
        return
    sr, seconds, bpm = 22050, 10.0, 124.0
    t = np.arange(int(sr * seconds)) / sr
    beats = np.zeros_like(t)
    for start in np.arange(0.0, seconds, 60.0 / bpm):
        idx = int(start * sr)
        n = min(len(t) - idx, int(0.08 * sr))
        beats[idx:idx + n] += np.sin(2 * np.pi * 60 * t[:n]) * np.exp(-t[:n] * 40)  # a kick drum
    pad = 0.05 * (np.sin(2 * np.pi * 220 * t) + np.sin(2 * np.pi * 261.63 * t) + np.sin(2 * np.pi * 329.63 * t))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "demo-groove.wav"
        sf.write(path, (0.7 * beats + pad).astype(np.float32), sr)
        try:
            track = services.features_from_audio_file(user=user, path=path, title="Demo groove (generated)",
                                                      artist="Stylus", audio_ref="demo:groove")
            Track.objects.filter(pk=track.pk).update(is_demo=True)
        except AudioError as exc:  # never break the demo over the optional recording
            stdout.write(f"recommend: demo audio skipped: {exc}\n")


def _mark_demo_artists() -> None:
    """Artists credited on demo tracks only (an artist a real import also credits stays real)."""
    from .models import Artist

    Artist.objects.filter(tracks__is_demo=True).exclude(tracks__is_demo=False).update(is_demo=True)


def unload(*, stdout: TextIOBase) -> None:
    """Removes exactly the demo rows: demo tracks (with their features, playlist entries and saved rows), the
    demo playlist and demo-only artists, then rebuilds the index without them. Idempotent."""
    from . import services
    from .models import Artist, Playlist, Track

    tracks, _ = Track.objects.filter(is_demo=True).delete()
    playlists, _ = Playlist.objects.filter(is_demo=True).delete()
    # a demo artist that a real import has since credited is real now: keep it, unmarked
    Artist.objects.filter(is_demo=True, tracks__isnull=False).update(is_demo=False)
    artists, _ = Artist.objects.filter(is_demo=True).delete()
    if tracks or playlists:
        services.index_rebuild(reason="demo unloaded")
    stdout.write(f"recommend: removed {tracks + playlists + artists} demo rows\n")
