"""Concert benchmarks, each figure printed beside a floor measured in the same run.

1. Aggregation: 10k and 100k synthetic etree items, first run and idempotent re-run. Targets: 100k items in
   <= 10 s on PostgreSQL, and a 100k/10k time ratio <= 12. Without DATABASE_URL the figures are for SQLite.
2. Setlist extraction and song grouping over 10k and 100k synthetic items (descriptions in the archive's
   styles, a third with titled audio files): 100k <= 30 s, 100k/10k <= 12. Floor: splitting and unescaping
   the same texts, the least any parser must do.
3. Quality analysis of a 60-minute FLAC: CPU seconds per hour of audio against a bare decode of the same
   file in the same run; target <= 3x the decode.
4. A song page with 2,000 performances: p50 <= 60 ms. Floor: the same page for a song played once.
"""
from __future__ import annotations

import os
import random
import sys
import time

from _django import Timer, setup_django

TARGET_100K_SECONDS = 10.0
TARGET_RATIO = 12.0


def synthetic_docs(n: int, *, seed: int):
    from integrations.internet_archive.types import SearchDoc

    rng = random.Random(seed)
    artists = [f"Band {i:04d}" for i in range(max(20, n // 250))]
    venues = ["Barton Hall", "Red Rocks Amphitheatre", "The Fillmore", "Madison Square Garden", "Boston Garden"]
    cities = ["Ithaca, NY", "Morrison, CO", "San Francisco, CA", "New York, NY", "Boston, MA"]
    sources = ["SBD > DAT", "AUD: Schoeps MK4", "Matrix", "Pre-FM", "AUD"]
    formats = [("Flac", "VBR MP3"), ("VBR MP3",), ("Shorten", "VBR MP3"), ("24bit Flac", "Flac"), ("Ogg Vorbis",)]
    docs = []
    shows = max(1, n // 3)
    for i in range(n):
        show = rng.randrange(shows)
        srng = random.Random(show * 7919 + seed)
        artist = artists[show % len(artists)]
        year, month, day = srng.randint(1965, 2020), srng.randint(1, 12), srng.randint(1, 28)
        date = f"{year}-{month:02d}-{day:02d}"
        roll = rng.random()
        if roll < 0.01:
            date = ""  # undated
        elif roll < 0.02:
            date = f"{year}-09-31"  # impossible
        elif roll < 0.04:
            date = f"{year}-{day + 12 if day <= 12 else day:02d}-{month:02d}" if day <= 12 else f"{year}-00-{day:02d}"
        reviews = rng.choice([0, 0, 1, 3, 8, 20])
        v = srng.randrange(len(venues))
        docs.append(SearchDoc(
            identifier=f"{artist.replace(' ', '').lower()}{date or 'x'}.{i}", title=f"{artist} Live on {date}",
            creator=artist, date=date, venue=venues[v], coverage=cities[v], source=rng.choice(sources),
            formats=rng.choice(formats), avg_rating=round(rng.uniform(3, 5), 2) if reviews else None,
            num_reviews=reviews, downloads=rng.randint(0, 5000), addeddate=f"20{rng.randint(10, 25)}-01-01T00:00:00Z",
            item_size=rng.randint(10**7, 10**9)))
    return docs


def main() -> int:
    using_pg = bool(os.environ.get("DATABASE_URL"))
    teardown = setup_django()
    try:
        from django.db import connection

        from concerts.models import Concert, Recording
        from concerts.services import concerts_aggregate_items

        backend = connection.vendor
        if not using_pg:
            print("NOTE: DATABASE_URL is not set, so these figures are for SQLite; the 10 s target is for PostgreSQL "
                  "(run with DATABASE_URL=postgres://...).")
        figures = {}
        for n in (10_000, 100_000):
            Recording.objects.all().delete()
            Concert.objects.all().delete()
            docs = synthetic_docs(n, seed=n)
            cpu = time.process_time()
            with Timer() as first:  # enrichment (metadata calls) is queued work, not part of aggregation
                report = concerts_aggregate_items(docs=docs, enrich=False)
            cpu = time.process_time() - cpu
            with Timer() as again:
                rerun = concerts_aggregate_items(docs=docs, enrich=False)
            figures[n] = first.seconds
            changed = rerun.concerts_created + rerun.concerts_updated + rerun.recordings_created + rerun.recordings_updated
            print(f"concerts.aggregate_{n // 1000}k_seconds={first.seconds:.2f} (client cpu {cpu:.2f}s; {backend}; "
                  f"{report.concerts_created} concerts, {report.recordings_created} recordings, "
                  f"{report.items_undated} undated, {report.items_bad_date} bad dates)")
            print(f"concerts.rerun_{n // 1000}k_seconds={again.seconds:.2f} rows_changed={changed} "
                  f"{'OK' if changed == 0 else 'FAIL'}")
        ratio = figures[100_000] / figures[10_000]
        ok_time = figures[100_000] <= TARGET_100K_SECONDS
        ok_ratio = ratio <= TARGET_RATIO
        suffix = "" if using_pg else " (SQLite: target is for PostgreSQL)"
        print(f"concerts.aggregate_100k_seconds={figures[100_000]:.2f} target<={TARGET_100K_SECONDS:.0f} "
              f"{'OK' if ok_time else 'FAIL'}{suffix}")
        print(f"concerts.ratio_100k_10k={ratio:.2f} target<={TARGET_RATIO:.0f} {'OK' if ok_ratio else 'FAIL'}")
        print(f"load average during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        ok_aggregate = (ok_time and ok_ratio) or not using_pg
        ok_setlists = bench_setlists()
        ok_quality = bench_quality()
        ok_song_page = bench_song_page()
        return 0 if ok_aggregate and ok_setlists and ok_quality and ok_song_page else 1
    finally:
        teardown()


# -- setlists and songs ---------------------------------------------------------------------------------------
SONGS = ["Bertha", "Scarlet Begonias", "Fire On The Mountain", "Playing In The Band", "Jack Straw", "Jack-A-Roe",
         "Sugaree", "Estimated Prophet", "Eyes Of The World", "Morning Dew", "Not Fade Away", "Sugar Magnolia",
         "Truckin'", "Goin' Down The Road Feeling Bad", "St. Stephen", "The Other One", "Dark Star", "Deal",
         "Franklin's Tower", "Help On The Way", "Terrapin Station", "Stella Blue", "U.S. Blues", "Tennessee Jed"]


def _variant(rng, title: str) -> str:
    roll = rng.random()
    if roll < 0.1:
        return title.lower()
    if roll < 0.2:
        return title.replace("ing ", "in' ")
    if roll < 0.25:
        return title + " (reprise)"
    return title


def synthetic_setlists(n: int, *, seed: int) -> list[tuple[str, str, list]]:
    """(artist, description, audio tracks) per item, in the styles the archive has."""
    from concerts.setlist_parse import AudioTrack

    rng = random.Random(seed)
    artists = [f"Band {i:03d}" for i in range(max(5, n // 2000))]
    own = {a: [f"{s} {a[-3:]}" if i % 3 else s for i, s in enumerate(SONGS * 8)][:150] for a in artists}
    items = []
    for i in range(n):
        artist = artists[i % len(artists)]
        songs = rng.sample(own[artist], 18)
        style = i % 4
        lines = []
        for k, song in enumerate(songs):
            title = _variant(rng, song) + (" -&gt;" if rng.random() < 0.2 else "")
            if k in (0, 9, 16):
                lines.append({0: "Set 1", 9: rng.choice(["Set II", "Set 2:", "Second Set"]), 16: "Encore"}[k])
            lines.append(f"d{1 + k // 9}t{1 + k % 9:02d} {title}" if style == 2 else title)
        description = ("Recorded live. Thanks to the taper.\n\n" if style == 1 else "") + "\n".join(lines)
        tracks = [AudioTrack(name=f"t{k:02d}.flac", title=song, track=k + 1, length=300.0)
                  for k, song in enumerate(songs)] if style == 3 else []
        items.append((artist, description, tracks))
    return items


def bench_setlists() -> bool:
    import html

    from concerts.setlist_reconcile import reconcile
    from concerts.song_match import SongMatcher, normalise_title

    figures, floors = {}, {}
    for n in (10_000, 100_000):
        items = synthetic_setlists(n, seed=n)
        with Timer() as floor:
            for _, description, _ in items:
                [html.unescape(line).strip() for line in description.split("\n")]
        with Timer() as run:
            matchers: dict[str, SongMatcher] = {}
            songs = lines = 0
            for artist, description, tracks in items:
                matcher = matchers.setdefault(artist, SongMatcher())
                for line in reconcile(tracks=tracks, description=description).lines:
                    key = normalise_title(line.title).key
                    lines += 1
                    if matcher.match(key) is None:
                        songs += 1
                        matcher.add(key, songs)
        figures[n], floors[n] = run.seconds, floor.seconds
        print(f"concerts.setlists_{n // 1000}k_seconds={run.seconds:.2f} floor_split_unescape={floor.seconds:.2f} "
              f"({lines} lines, {songs} songs over {len(matchers)} artists)")
    ratio = figures[100_000] / figures[10_000]
    ok = figures[100_000] <= 30.0 and ratio <= 12.0
    print(f"concerts.setlists_100k_seconds={figures[100_000]:.2f} target<=30 "
          f"{'OK' if figures[100_000] <= 30.0 else 'FAIL'}")
    print(f"concerts.setlists_ratio_100k_10k={ratio:.2f} target<=12 {'OK' if ratio <= 12.0 else 'FAIL'} "
          f"(floor ratio {floors[100_000] / floors[10_000]:.2f})")
    return ok


# -- quality analysis ---------------------------------------------------------------------------------------
QUALITY_MINUTES = int(os.environ.get("BENCH_QUALITY_MINUTES", "60"))


def _write_flac(path, minutes: int) -> None:
    """A stereo 44.1 kHz FLAC: tones under quiet noise, so it compresses like music rather than like noise."""
    import numpy as np
    import soundfile as sf

    rate, block = 44100, 44100 * 10
    rng = np.random.default_rng(7)
    with sf.SoundFile(str(path), "w", samplerate=rate, channels=2, subtype="PCM_16", format="FLAC") as out:
        for start in range(0, rate * 60 * minutes, block):
            t = (start + np.arange(block)) / rate
            tone = 0.3 * np.sin(2 * np.pi * 220 * t) + 0.1 * np.sin(2 * np.pi * 3520 * t)
            noise = rng.standard_normal((block, 2)) * 0.003
            out.write((tone[:, None] + noise).astype(np.float32))


def bench_quality() -> bool:
    import tempfile
    from pathlib import Path

    import soundfile as sf

    from concerts.audio_quality import measure_file

    with tempfile.TemporaryDirectory(prefix="stylus-bench-quality-") as folder:
        path = Path(folder) / "hour.flac"
        _write_flac(path, QUALITY_MINUTES)
        hours = QUALITY_MINUTES / 60
        cpu = time.process_time()
        with sf.SoundFile(str(path)) as handle:
            for _ in handle.blocks(blocksize=4410 * 16, dtype="float32", always_2d=True):
                pass
        decode = time.process_time() - cpu
        cpu = time.process_time()
        measure = measure_file(path)
        analysis = time.process_time() - cpu
    ratio = analysis / decode if decode else float("inf")
    print(f"concerts.quality_cpu_s_per_hour={analysis / hours:.2f} floor_bare_decode_cpu_s_per_hour="
          f"{decode / hours:.2f} ratio={ratio:.2f} target<=3 {'OK' if ratio <= 3.0 else 'FAIL'} "
          f"({QUALITY_MINUTES} min FLAC; {measure.loudness_lufs} LUFS, {measure.bandwidth_hz:.0f} Hz)")
    return ratio <= 3.0


# -- song page -----------------------------------------------------------------------------------------------
def bench_song_page() -> bool:
    from _django import percentiles
    from django.test import Client

    from concerts.models import Concert, Performance, Recording, Song

    Concert.objects.filter(artist_key="bench band").delete()
    concerts = Concert.objects.bulk_create([
        Concert(artist="Bench Band", artist_key="bench band", artist_slug="bench-band",
                date_text=f"{1960 + i // 300}-{1 + (i // 28) % 12:02d}-{1 + i % 28:02d}", year=1960 + i // 300,
                venue=f"Venue {i}", location="Somewhere, USA", recordings_count=1, best_identifier=f"bench{i}")
        for i in range(2001)])
    Recording.objects.bulk_create([Recording(identifier=f"bench{i}", concert=c, rank=1)
                                   for i, c in enumerate(concerts)])
    song = Song.objects.create(artist="Bench Band", artist_key="bench band", artist_slug="bench-band",
                               title="Bench Jam", key="bench jam")
    once = Song.objects.create(artist="Bench Band", artist_key="bench band", artist_slug="bench-band",
                               title="Rarity", key="rarity")
    Performance.objects.bulk_create(
        [Performance(concert=c, song=song, position=1, set_label="1", title="Bench Jam", length=300.0 + i,
                     segue_out=i % 3 == 0, identifier=f"bench{i}", file_name=f"bench{i}d1t01.flac")
         for i, c in enumerate(concerts[:2000])]
        + [Performance(concert=concerts[2000], song=once, position=1, set_label="1", title="Rarity", length=200.0,
                       identifier="bench2000", file_name="t.flac")])
    client = Client()

    def sample(url: str, n: int = 30) -> list[float]:
        client.get(url)  # warm
        out = []
        for _ in range(n):
            start = time.perf_counter()
            response = client.get(url)
            out.append(time.perf_counter() - start)
            assert response.status_code == 200
        return out

    full = percentiles(sample(f"/concerts/songs/{song.pk}/"))
    floor = percentiles(sample(f"/concerts/songs/{once.pk}/"))
    ok = full["p50_ms"] <= 60.0
    print(f"concerts.song_page_2000_p50_ms={full['p50_ms']:.1f} p95_ms={full['p95_ms']:.1f} "
          f"floor_one_performance_p50_ms={floor['p50_ms']:.1f} target<=60 {'OK' if ok else 'FAIL'}")
    return ok


if __name__ == "__main__":
    sys.exit(main())
