"""Song list page and API with 10,000 songs and 200 packs: p50/p95 latency and the query count per request.

Targets (PostgreSQL): page p50 <= 250 ms, API p50 <= 150 ms, and the same number of queries as with
10 songs. (A row's checklist loads when opened, so the page renders progress bars, not 750 checkboxes.) Set DATABASE_URL to a PostgreSQL database (as CI does); without it the figures are for SQLite.
"""
from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

from _django import Timer, percentiles, setup_django

if TYPE_CHECKING:  # Django is set up inside main(), after imports
    from common.types import AuthUser

SONGS, PACKS, RUNS = 10_000, 200, 30
TARGET_PAGE_P50_MS = 250.0
TARGET_API_P50_MS = 150.0


def seed(user: AuthUser, *, songs: int, packs: int) -> None:
    from tracks import services
    from tracks.models import Pack, Song, SongStep, Status

    statuses = [Status.FUTURE, Status.IN_PROGRESS, Status.RELEASED]
    steps = services.workflow_ensure(user=user)
    Pack.objects.bulk_create([Pack(owner=user, name=f"Pack {i}", priority=i % 5 + 1) for i in range(packs)])
    pack_ids = list(Pack.objects.filter(owner=user).values_list("id", flat=True))
    Song.objects.bulk_create([
        Song(owner=user, title=f"Song {i}", artist=f"Artist {i % 300}", album=f"Album {i % 900}",
             status=statuses[i % 3], priority=i % 5 + 1, pack_id=pack_ids[i % len(pack_ids)] if i % 2 else None)
        for i in range(songs)], batch_size=2000)
    started = Song.objects.filter(owner=user).exclude(status=Status.FUTURE).values_list("id", flat=True)
    SongStep.objects.bulk_create([SongStep(song_id=sid, step=step, done=(sid + step.position) % 3 == 0)
                                  for sid in started for step in steps], batch_size=5000)


def measure(client, url: str, **kwargs) -> tuple[dict, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(url, **kwargs)  # warm templates and caches
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, **kwargs)
    queries = len(ctx.captured_queries)  # read now: the next request resets the connection's query log
    assert response.status_code == 200, (url, response.status_code)
    samples = []
    for _ in range(RUNS):
        with Timer() as t:
            client.get(url, **kwargs)
        samples.append(t.seconds)
    return percentiles(samples), queries


def main() -> int:
    using_pg = bool(os.environ.get("DATABASE_URL"))
    teardown = setup_django()
    try:
        from django.conf import settings
        from django.contrib.auth import get_user_model
        from django.db import connection
        from django.test import Client

        from accounts.services import api_token_create
        from tracks.models import Pack, Song

        settings.ALLOWED_HOSTS = ["*"]
        backend = connection.vendor
        if not using_pg:
            print("NOTE: DATABASE_URL is not set, so these figures are for SQLite; the targets are for PostgreSQL.")
        user = get_user_model().objects.create_user(username="bench", password="bench-pass-123")
        client = Client()
        client.force_login(user)
        token = {"HTTP_AUTHORIZATION": f"Bearer {api_token_create(user=user, name='bench')[1]}"}
        urls = {"page": "/tracks/songs/?sort=artist", "page_filtered": "/tracks/songs/?status=In+Progress&q=Song+1&sort=progress",
                "api": "/api/v1/tracks/songs?page_size=50", "api_filtered": "/api/v1/tracks/songs?status=Released&search=Album"}

        seed(user, songs=10, packs=2)
        small = {name: measure(client, url, **(token if name.startswith("api") else {}))[1] for name, url in urls.items()}
        Song.objects.all().delete()
        Pack.objects.all().delete()
        with Timer() as seeding:
            seed(user, songs=SONGS, packs=PACKS)
        print(f"tracks.seed_seconds={seeding.seconds:.2f} ({SONGS} songs, {PACKS} packs, {backend})")

        ok = True
        for name, url in urls.items():
            stats, queries = measure(client, url, **(token if name.startswith("api") else {}))
            target = TARGET_API_P50_MS if name.startswith("api") else TARGET_PAGE_P50_MS
            constant = queries <= small[name]
            verdict = "OK" if stats["p50_ms"] <= target and constant else ("SLOW" if constant else "QUERIES GREW")
            ok = ok and (constant and (stats["p50_ms"] <= target or not using_pg))
            print(f"tracks.{name}_p50_ms={stats['p50_ms']:.1f} p95_ms={stats['p95_ms']:.1f} target<={target:.0f} "
                  f"queries={queries} (with 10 songs: {small[name]}) {verdict}")
        return 0 if ok else 1
    finally:
        teardown()


if __name__ == "__main__":
    sys.exit(main())
