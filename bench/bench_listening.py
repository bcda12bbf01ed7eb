"""Listening benchmarks, each figure printed beside a floor measured in the same run.

1. Import of 100,000 listens through POST /apis/listenbrainz/1/submit-listens (listen_type "import", batches of
   1,000, the whole Django stack in process: auth by token, parsing, validation, idempotency, matching) against a
   bare bulk insert of the same rows into the same table. Target: >= 0.5x the bare insert's listens per second.
2. GET /api/v1/listens/stats?range=all for a user with 100,000 listens, computed afresh each time (cache cleared):
   p50 <= 150 ms on PostgreSQL. Floor: one COUNT(*) of the same user's listens, the least any stats query does.
   The cached figure (the common case: stats are cached until the user's history changes) is printed too.
   range=all reads the all-time tallies (listening.services.tallies); year, month and week group the listens in
   their window each time. An import queues a background fold of the tallies; Celery is eager under the benchmark's
   settings, which would run that fold inside the timed import, so here the queued folds are collected and run after
   the import, as a worker would, and timed on their own.
Without DATABASE_URL the figures are for SQLite.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import random
import sys
import time

from _django import Timer, percentiles, setup_django

N = int(os.environ.get("BENCH_LISTENS", "100000"))
BATCH = 1000
TARGET_RATIO = 0.5
TARGET_STATS_P50_MS = 150.0


def payloads(n: int, *, seed: int = 14) -> list[dict]:
    rng = random.Random(seed)
    artists = [f"Artist {i:04d}" for i in range(2000)]
    start = int(dt.datetime(2023, 1, 1, tzinfo=dt.UTC).timestamp())
    span = int(dt.datetime(2026, 11, 1, tzinfo=dt.UTC).timestamp()) - start
    rows = []
    for i in range(n):
        artist = rng.choice(artists)
        meta = {"artist_name": artist, "track_name": f"Song {rng.randrange(20000):05d}",
                "release_name": f"{artist} Live {rng.randrange(30)}", "additional_info": {"duration_ms": rng.randint(120, 1500) * 1000}}
        rows.append({"listened_at": start + (span * i) // n + rng.randrange(60), "track_metadata": meta})
    return rows


def main() -> int:
    teardown = setup_django()
    try:
        from django.db import connection
        from django.test import Client

        from accounts.services import api_token_create
        from listening import services
        from listening.models import Listen
        from tests.factories import UserFactory

        backend = connection.vendor
        print(f"# listening benchmarks on {backend} ({N:,} listens)")
        importer, bare_user = UserFactory(username="bench-import"), UserFactory(username="bench-bare")
        token = api_token_create(user=importer, name="bench")[1]
        data = payloads(N)
        client = Client()

        # 1a. submit-listens, 100 batches of 1,000; the tally folds they queue wait for "the worker" (below)
        from django.core.cache import cache as shared_cache

        from listening import tasks
        from listening.services.tallies import FOLD_QUEUED_KEY

        shared_cache.delete(FOLD_QUEUED_KEY.format(importer.pk))  # a rerun's fresh database reuses user ids
        queued_folds: list[int] = []
        tasks.tallies_fold_task.delay = queued_folds.append  # the broker, for this process
        with Timer() as t_api:
            for start in range(0, N, BATCH):
                body = json.dumps({"listen_type": "import", "payload": data[start:start + BATCH]})
                response = client.post("/apis/listenbrainz/1/submit-listens", body, content_type="application/json",
                                       HTTP_AUTHORIZATION=f"Token {token}")
                assert response.status_code == 200, response.content
        stored = Listen.objects.filter(user=importer).count()
        assert stored == N, stored

        # 1b. floor: the same rows, already built, bulk-inserted bare
        rows = []
        for raw in data:
            meta = raw["track_metadata"]
            at = dt.datetime.fromtimestamp(raw["listened_at"], tz=dt.UTC)
            rows.append(Listen(user=bare_user, listened_at=at, track_title=meta["track_name"], artist_name=meta["artist_name"],
                               release_name=meta["release_name"], duration_seconds=meta["additional_info"]["duration_ms"] // 1000,
                               source="listenbrainz", submitted=raw,
                               dedupe_key=services.dedupe_key_for(listened_at=at, track_title=meta["track_name"],
                                                                  artist_name=meta["artist_name"])))
        with Timer() as t_bare:
            for start in range(0, N, BATCH):
                Listen.objects.bulk_create(rows[start:start + BATCH])
        api_rate, bare_rate = N / t_api.seconds, N / t_bare.seconds
        ratio = api_rate / bare_rate
        print(f"import via submit-listens: {api_rate:,.0f} listens/s ({t_api.seconds:.2f} s)   "
              f"floor, bare bulk insert: {bare_rate:,.0f} listens/s ({t_bare.seconds:.2f} s)   "
              f"ratio {ratio:.2f} (target >= {TARGET_RATIO})  {'OK' if ratio >= TARGET_RATIO else 'MISSED'}")

        # 2. stats for a user with N listens
        from django.core.cache import cache

        headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
        with Timer() as t_fold:  # the worker's share, off every request's path
            for user_id in queued_folds:
                services.tallies_fold_queued(user_id=user_id)
        print(f"tally fold after the import, on the worker: {len(queued_folds)} queued, {t_fold.seconds:.2f} s")
        with Timer() as t_first:
            client.get("/api/v1/listens/stats?range=all", **headers)
        print(f"stats API, range=all, first request after the import and its fold: {t_first.seconds:.2f} s")
        cold, warm, floor = [], [], []
        for _ in range(15):
            cache.clear()
            with Timer() as t:
                response = client.get("/api/v1/listens/stats?range=all", **headers)
            assert response.status_code == 200 and response.json()["plays"] == N
            cold.append(t.seconds)
            with Timer() as t:
                client.get("/api/v1/listens/stats?range=all", **headers)
            warm.append(t.seconds)
            with Timer() as t:
                Listen.objects.filter(user=importer).count()
            floor.append(t.seconds)
        c, w, f = percentiles(cold), percentiles(warm), percentiles(floor)
        ok = c["p50_ms"] <= TARGET_STATS_P50_MS
        print(f"stats API, range=all, {N:,} listens, computed afresh: p50 {c['p50_ms']:.1f} ms, p95 {c['p95_ms']:.1f} ms "
              f"(target p50 <= {TARGET_STATS_P50_MS:.0f} ms on PostgreSQL)  {'OK' if ok else 'MISSED'}   "
              f"floor, COUNT(*) of the same listens: p50 {f['p50_ms']:.1f} ms   cached: p50 {w['p50_ms']:.1f} ms")
        for name in ("year", "month", "week"):
            samples = []
            for _ in range(10):
                cache.clear()
                with Timer() as t:
                    client.get(f"/api/v1/listens/stats?range={name}", **headers)
                samples.append(t.seconds)
            print(f"stats API, range={name}, computed afresh: p50 {percentiles(samples)['p50_ms']:.1f} ms")
        return 0
    finally:
        teardown()


if __name__ == "__main__":
    t0 = time.perf_counter()
    code = main()
    print(f"# done in {time.perf_counter() - t0:.1f} s")
    sys.exit(code)
