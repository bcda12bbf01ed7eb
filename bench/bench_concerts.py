"""Concert aggregation speed: 10k and 100k synthetic etree items, first run and idempotent re-run.

Targets: 100k items in <= 10 s on PostgreSQL, and a 100k/10k time ratio <= 12. Set DATABASE_URL to a
PostgreSQL database (as CI does); without it the figures are for SQLite and say so.
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
            with Timer() as first:
                report = concerts_aggregate_items(docs=docs)
            cpu = time.process_time() - cpu
            with Timer() as again:
                rerun = concerts_aggregate_items(docs=docs)
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
        return 0 if (ok_time and ok_ratio) or not using_pg else 1
    finally:
        teardown()


if __name__ == "__main__":
    sys.exit(main())
