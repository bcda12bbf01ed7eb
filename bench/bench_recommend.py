"""Recommend benchmarks.

1. ANN at the frontier, on realistic vectors: a Gaussian fitted to the fixtures' 3,866-track dataset
   (12 features standardised, covariance kept), 1M draws padded to 32 dims with 20 small noise features
   (σ 0.3) and L2-normalised. Held-out queries are fresh draws from the same Gaussian (not in the index).
   In one run: exact IndexFlatIP, IVFFlat, IVF-SQ8 + fp16 re-rank (each tuned at build time by
   recommend.index.build: the smallest nprobe, and re-rank depth, whose recall@10 lower confidence bound
   meets 0.95) and HNSW16 (ef tuned the same way here), with recall@10 (mean and bound), single-query
   p50/p99 on one thread (as in a web process) and bytes per vector. Floors printed beside them: exact
   search's p50 and the raw vectors' 128 bytes. The tight clustered set the first version used is kept as a
   second, labelled row: it is far easier and flatters IVF.
   Targets: recall@10 ≥ 0.95 on held-out queries, p50 ≥ 30× faster than exact, memory ≤ 1.3× raw.
2. End to end: POST /api/v1/recommend p50 on a 100k-track catalogue (database + index + explanations).

Run: .venv/bin/python bench/bench_recommend.py [--n 1000000] [--catalogue 100000] (--catalogue 0 skips 2)
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from _django import Timer, percentiles, setup_django

FEATURES = ("danceability", "energy", "key", "loudness", "mode", "speechiness", "acousticness", "instrumentalness",
            "liveness", "valence", "tempo", "duration_ms")
DATASET = "spotify_dataset/spotify_tracks_audio_features_3866_rows.csv"
DIM = 32
HNSW_EFS = (16, 24, 32, 48, 64, 96, 128, 192, 256)


def fixtures_dir() -> Path:
    from django.conf import settings

    return Path(os.environ.get("STYLUS_FIXTURES_DIR") or getattr(settings, "STYLUS_FIXTURES_DIR", "")
                or "/work/shared/fixtures")


def realistic(n: int, *, seed: int) -> np.ndarray:
    """n draws from the Gaussian fitted to the dataset's 12 standardised features, padded to 32 dims with
    small independent noise features and L2-normalised."""
    with (fixtures_dir() / DATASET).open(newline="") as fh:
        rows = np.array([[float(r[f]) for f in FEATURES] for r in csv.DictReader(fh)], dtype=np.float64)
    z = (rows - rows.mean(axis=0)) / rows.std(axis=0)
    cov = np.cov(z, rowvar=False)
    rng = np.random.default_rng(seed)
    out = np.empty((n, DIM), dtype=np.float32)
    step = 200_000
    for lo in range(0, n, step):
        hi = min(n, lo + step)
        out[lo:hi, :len(FEATURES)] = rng.multivariate_normal(np.zeros(len(FEATURES)), cov, size=hi - lo)
        out[lo:hi, len(FEATURES):] = 0.3 * rng.standard_normal(size=(hi - lo, DIM - len(FEATURES)))
    out /= np.linalg.norm(out, axis=1, keepdims=True)
    return out


def clustered(n: int, dim: int = DIM, *, clusters: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(clusters, dim)).astype(np.float32)
    out = np.empty((n, dim), dtype=np.float32)
    step = 200_000
    for lo in range(0, n, step):
        hi = min(n, lo + step)
        out[lo:hi] = centres[rng.integers(0, clusters, hi - lo)] + 0.35 * rng.normal(size=(hi - lo, dim))
    out /= np.linalg.norm(out, axis=1, keepdims=True)
    return out


def single_query_latencies(index, queries: np.ndarray, k: int = 10) -> list[float]:
    samples = []
    for q in queries:
        start = time.perf_counter()
        index.search(q.reshape(1, -1), k)
        samples.append(time.perf_counter() - start)
    return samples


def check(name: str, value: float, op: str, target: float, unit: str = "") -> bool:
    ok = value >= target if op == ">=" else value <= target
    print(f"recommend.{name}={value:.4g}{unit} target{op}{target:g} {'OK' if ok else 'MISS'}")
    return ok


def _row(label: str, index, queries: np.ndarray, truth: np.ndarray, *, n: int, exact_p50: float,
         setting: str, build_s: float) -> dict:
    import faiss

    from recommend import index as faiss_index

    faiss.omp_set_num_threads(2)
    _, found = index.search(queries, 10)
    per_query = faiss_index.per_query_recall(found, truth)
    faiss.omp_set_num_threads(1)  # a web process: one thread per query
    lat = percentiles(single_query_latencies(index, queries))
    row = {"label": label, "recall": float(per_query.mean()), "lcb": faiss_index.recall_lower_bound(per_query),
           "p50": lat["p50_ms"], "p99": lat["p99_ms"], "bytes": len(faiss.serialize_index(index)) / n,
           "speedup": exact_p50 / max(lat["p50_ms"], 1e-6)}
    print(f"recommend.ann.{label}: {setting} build_s={build_s:.1f} recall_at_10={row['recall']:.4f} "
          f"(lcb {row['lcb']:.4f}) p50_ms={row['p50']} p99_ms={row['p99']} speedup={row['speedup']:.1f}x "
          f"bytes_per_vector={row['bytes']:.1f} | floors: exact p50_ms={exact_p50} raw_bytes={DIM * 4}")
    return row


def _hnsw(data: np.ndarray, tune_q: np.ndarray, *, target: float):
    """HNSW16 (efConstruction 64) with the smallest ef whose recall bound meets the target on separate
    tuning draws. (Leave-one-out catalogue queries, which tune IVF well, flatter a graph index: a point
    already in the graph is found through its own links.)"""
    import faiss

    from recommend import index as faiss_index

    faiss.omp_set_num_threads(2)
    index = faiss.IndexHNSWFlat(DIM, 16, faiss.METRIC_INNER_PRODUCT)
    index.hnsw.efConstruction = 64
    with Timer() as t:
        index.add(data)
    truth = faiss_index.exact_neighbours(data, tune_q, 10)  # HNSW labels are positions
    chosen = HNSW_EFS[-1]
    for ef in HNSW_EFS:
        index.hnsw.efSearch = ef
        _, found = index.search(tune_q, 10)
        if faiss_index.recall_lower_bound(faiss_index.per_query_recall(found, truth)) >= target:
            chosen = ef
            break
    index.hnsw.efSearch = chosen
    return index, chosen, t.seconds


def bench_ann(n: int, queries: int = 1000, *, hnsw: bool = True) -> bool:
    import faiss

    from recommend import index as faiss_index

    target = 0.95
    ok = True
    for label, make in (("realistic", lambda: realistic(n + 2 * queries, seed=1)),
                        ("clustered", lambda: clustered(n + 2 * queries, clusters=max(100, n // 500), seed=1))):
        print(f"# ANN ({label}): {n:,} vectors × {DIM} dims, {queries} held-out queries")
        with Timer() as t:
            both = make()
        data, q = np.ascontiguousarray(both[:n]), np.ascontiguousarray(both[n:n + queries])
        tune_q = np.ascontiguousarray(both[n + queries:])  # HNSW's tuning draws, apart from the scored ones
        print(f"recommend.ann.{label}.generate_s={t.seconds:.1f}")
        ids = np.arange(n, dtype=np.int64) + 1
        faiss.omp_set_num_threads(2)
        truth = ids[faiss_index.exact_neighbours(data, q, 10)]

        with Timer() as t:
            flat, _ = faiss_index.build(data, ids, flat_max=n + 1)
        flat_build = t.seconds
        faiss.omp_set_num_threads(1)
        exact = percentiles(single_query_latencies(flat, q[:200]))
        print(f"recommend.ann.{label}.exact: IndexFlatIP build_s={flat_build:.1f} recall_at_10=1 p50_ms={exact['p50_ms']} "
              f"p99_ms={exact['p99_ms']} bytes_per_vector={len(faiss.serialize_index(flat)) / n:.1f}")
        del flat
        rows = {}
        kinds = (faiss_index.IVF_FLAT, faiss_index.IVF_SQ8_REFINE) if label == "realistic" else \
            (faiss_index.DEFAULT_IVF_KIND,)
        for kind in kinds:
            with Timer() as t:
                index, info = faiss_index.build(data, ids, flat_max=0, target_recall=target, kind=kind)
            setting = (f"{kind} nlist={info.nlist} nprobe={info.nprobe} k_factor={info.k_factor} "
                       f"(tuned: lcb {info.recall_lcb} on {info.tune_queries} queries)")
            rows[kind] = _row(f"{label}.{kind}", index, q, truth, n=n, exact_p50=exact["p50_ms"], setting=setting,
                              build_s=t.seconds)
            del index
        if hnsw and label == "realistic":
            index, ef, build_s = _hnsw(data, tune_q, target=target)
            rows["HNSW16"] = _row(f"{label}.HNSW16", index, q, truth - 1, n=n, exact_p50=exact["p50_ms"],
                                  setting=f"HNSW16 efConstruction=64 efSearch={ef}", build_s=build_s)
            del index
        if label == "realistic":
            chosen = rows[faiss_index.DEFAULT_IVF_KIND]
            print(f"# chosen for recommend.index.build: {faiss_index.DEFAULT_IVF_KIND}")
            ok &= check("ann.chosen.recall_at_10_lcb", chosen["lcb"], ">=", target)
            ok &= check("ann.chosen.p50_speedup_vs_exact", chosen["speedup"], ">=", 30.0, "x")
            ok &= check("ann.chosen.memory_ratio", chosen["bytes"] / (DIM * 4), "<=", 1.3, "x")
    return ok


def bench_end_to_end(n: int, requests: int = 200) -> bool:
    from django.conf import settings
    from django.test import Client
    from django.utils import timezone

    from recommend import features as fs
    from recommend import services
    from recommend.demo import GENRES, demo_track_id
    from recommend.models import Artist, Track, TrackArtist, TrackFeatures

    settings.RECOMMEND_INDEX_DIR = tempfile.mkdtemp(prefix="bench-index-")
    settings.ALLOWED_HOSTS = ["*"]
    rng = random.Random(5)
    genres = list(GENRES.items())
    print(f"# End to end: POST /api/v1/recommend on a {n:,}-track catalogue")
    with Timer() as t:
        artists = Artist.objects.bulk_create([Artist(name=f"Bench Artist {i}") for i in range(n // 8)])
        now = timezone.now()
        step = 10_000
        for lo in range(0, n, step):
            tracks, rows = [], []
            for i in range(lo, min(n, lo + step)):
                genre, (dance, energy, valence, acoustic, instr, speech, tempo, loud) = genres[i % len(genres)]
                values = {"danceability": min(1, max(0, rng.gauss(dance, .1))), "energy": min(1, max(0, rng.gauss(energy, .1))),
                          "valence": min(1, max(0, rng.gauss(valence, .15))), "acousticness": acoustic,
                          "instrumentalness": instr, "speechiness": speech, "liveness": .15,
                          "loudness": rng.gauss(loud, 1.5), "tempo": rng.gauss(tempo, 6), "key": rng.randint(0, 11),
                          "mode": rng.randint(0, 1), "year": rng.randint(1990, 2024)}
                tracks.append(Track(spotify_id=demo_track_id(1_000_000 + i), title=f"Bench Track {i}",
                                    artist_names=artists[i % len(artists)].name, genre=genre,
                                    match_key=f"bench track {i}|{i % len(artists)}", year=values["year"]))
                rows.append(values)
            Track.objects.bulk_create(tracks, batch_size=2000)
            TrackArtist.objects.bulk_create([TrackArtist(track=tr, artist=artists[(lo + j) % len(artists)])
                                             for j, tr in enumerate(tracks)], batch_size=2000)
            TrackFeatures.objects.bulk_create(
                [TrackFeatures(track=tr, source="dataset", version=fs.FEATURE_VERSION,
                               vector=fs.vector_from_values(v).tobytes(), values=v, computed_at=now)
                 for tr, v in zip(tracks, rows, strict=True)], batch_size=2000)
    print(f"recommend.e2e.catalogue_build_s={t.seconds:.1f}")
    from common.db import planner_statistics_refresh

    # as the dataset import does after a bulk load (without it the first minute's queries plan on no statistics)
    planner_statistics_refresh(Artist, Track, TrackArtist, TrackFeatures)
    with Timer() as t:
        build = services.index_rebuild(reason="bench")
    print(f"recommend.e2e.index_build_s={t.seconds:.1f} type={build.index_type} nlist={build.nlist} "
          f"nprobe={build.nprobe} recall_at_build={build.recall_at_10}")
    client = Client()
    seeds = [demo_track_id(1_000_000 + rng.randrange(n)) for _ in range(requests + 10)]
    samples = []
    for i, seed in enumerate(seeds):
        start = time.perf_counter()
        response = client.post("/api/v1/recommend", data=json.dumps({"url": f"spotify:track:{seed}", "limit": 15}),
                               content_type="application/json", REMOTE_ADDR=f"10.0.{i // 250}.{i % 250}")
        elapsed = time.perf_counter() - start
        if response.status_code != 200:
            print(f"unexpected {response.status_code}: {response.content[:200]!r}")
            return False
        if i >= 10:  # the first requests load the index and warm caches
            samples.append(elapsed)
    lat = percentiles(samples)
    print(f"recommend.e2e.p50_ms={lat['p50_ms']} p95_ms={lat['p95_ms']} p99_ms={lat['p99_ms']} (n={len(samples)})")
    return check("e2e.post_recommend_p50_ms", lat["p50_ms"], "<=", 100.0, "ms")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--catalogue", type=int, default=100_000)
    parser.add_argument("--no-hnsw", action="store_true", help="Skip HNSW (its 1M build takes minutes).")
    args = parser.parse_args()
    teardown = setup_django(database=True)
    try:
        from django.conf import settings

        settings.API_EXTERNAL_RATE = "100000/m"
        ok = bench_ann(args.n, hnsw=not args.no_hnsw)
        if args.catalogue:
            ok &= bench_end_to_end(args.catalogue)
    finally:
        teardown()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
