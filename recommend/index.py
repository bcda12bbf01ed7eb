"""The FAISS index: build (Flat below a size, IVF above), a versioned manifest on disk, and a lazy
per-process load that swaps atomically when a new version appears.

Layout of RECOMMEND_INDEX_DIR:
    manifest.json      {"version", "file", "sha256", "index_type", "size", "dim", "nlist", "nprobe", ...}
    v000012.faiss      one file per version; the manifest names the current one

A build writes its file under a temporary name, renames it into place, then replaces manifest.json
with os.replace: readers see the old manifest or the new one, never a half-written index. Each
process holds one loaded index and re-reads the manifest when its mtime changes; the loaded index
object is never mutated, so a query in flight keeps using the version it started with.

FAISS pitfalls (../shared/notes/pitfalls.md): nothing is loaded at import (web workers fork after
import), and OpenMP threads are capped with RECOMMEND_OMP_THREADS in every process that loads.
"""
from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from django.conf import settings

log = logging.getLogger(__name__)

MANIFEST = "manifest.json"
MANIFEST_FORMAT = 1
KEEP_VERSIONS = 2  # the current file and the one before (processes may still be reading it)
TUNE_MARGIN = 0.02  # tune a little above the target so held-out queries still reach it
NPROBE_STEPS = (1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1024, 2048, 4096)

Progress = Callable[[str, int, int], None]


class IndexUnavailable(Exception):
    """No index has been built yet (or it is empty)."""


class IndexCorrupt(Exception):
    """The index file does not match its manifest or cannot be read."""


@dataclass
class Manifest:
    version: int
    file: str
    sha256: str
    index_type: str
    size: int
    dim: int
    built_at: str
    feature_version: int
    nlist: int | None = None
    nprobe: int | None = None
    recall_at_10: float | None = None
    format: int = MANIFEST_FORMAT

    @property
    def built_at_dt(self) -> datetime:
        return datetime.fromisoformat(self.built_at)


@dataclass
class BuildInfo:
    index_type: str
    size: int
    dim: int
    nlist: int | None
    nprobe: int | None
    recall_at_10: float | None
    train_seconds: float
    build_seconds: float


def _faiss():
    import faiss  # imported lazily: never before a fork

    return faiss


def cap_threads(threads: int | None = None) -> None:
    _faiss().omp_set_num_threads(max(1, threads or settings.RECOMMEND_OMP_THREADS))


def index_dir() -> Path:
    path = Path(settings.RECOMMEND_INDEX_DIR)
    path.mkdir(parents=True, exist_ok=True)
    return path


# -- building ---------------------------------------------------------------------------------
def choose_nlist(n: int, factor: float | None = None) -> int:
    """nlist = factor·√N with factor clamped to [4, 16] (the usual IVF guidance). Below ~25k vectors that would
    leave fewer than the 39 training points per list FAISS wants, so nlist is capped at N/39 there (IVF is only
    chosen above RECOMMEND_FLAT_MAX, 50k by default, where the cap never applies)."""
    factor = min(16.0, max(4.0, factor if factor is not None else settings.RECOMMEND_NLIST_FACTOR))
    return max(1, min(n // 39 or 1, int(round(factor * math.sqrt(n)))))  # FAISS wants ≥39 points per list


def exact_neighbours(vectors: np.ndarray, queries: np.ndarray, k: int) -> np.ndarray:
    faiss = _faiss()
    _, ids = faiss.knn(queries, vectors, k, metric=faiss.METRIC_INNER_PRODUCT)
    return ids


def recall_at_k(found: np.ndarray, truth: np.ndarray, k: int = 10) -> float:
    hits = sum(len(set(f[:k]) & set(t[:k])) for f, t in zip(found, truth, strict=True))
    return hits / float(len(truth) * k)


def tune_nprobe(index: Any, vectors: np.ndarray, ids: np.ndarray, *, target: float, queries: int = 200,
                seed: int = 7) -> tuple[int, float]:
    """The smallest nprobe whose recall@10 against exact search reaches `target` (on sampled queries)."""
    faiss = _faiss()
    ivf = faiss.extract_index_ivf(index)
    rng = np.random.default_rng(seed)
    sample = rng.choice(len(vectors), size=min(queries, len(vectors)), replace=False)
    # half the queries are catalogue vectors (track seeds), half are nudged off them (playlist centroids,
    # audio analysed by Stylus), so the tuned nprobe holds for queries that are not in the index
    q = vectors[sample].copy()
    half = len(q) // 2
    q[half:] += 0.05 * rng.standard_normal(size=q[half:].shape).astype(np.float32)
    q[half:] /= np.linalg.norm(q[half:], axis=1, keepdims=True)
    k = min(10, len(vectors))
    truth = ids[exact_neighbours(vectors, q, k)]
    best = (ivf.nlist, 1.0)
    for nprobe in (*[s for s in NPROBE_STEPS if s < ivf.nlist], ivf.nlist):
        ivf.nprobe = nprobe
        _, found = index.search(q, k)
        recall = recall_at_k(found, truth, k)
        if recall >= min(1.0, target + TUNE_MARGIN):
            best = (nprobe, recall)
            break
    ivf.nprobe = best[0]
    return best


def build(vectors: np.ndarray, ids: np.ndarray, *, flat_max: int | None = None, nlist_factor: float | None = None,
          target_recall: float | None = None, progress: Progress | None = None,
          threads: int | None = None) -> tuple[Any, BuildInfo]:
    """An ID-mapped index over L2-normalised vectors: exact IndexFlatIP below `flat_max`, else IndexIVFFlat
    (inner product) trained on a sample with nprobe tuned for recall@10 ≥ target."""
    faiss = _faiss()
    flat_max = settings.RECOMMEND_FLAT_MAX if flat_max is None else flat_max
    target = settings.RECOMMEND_TARGET_RECALL if target_recall is None else target_recall
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    ids = np.ascontiguousarray(ids, dtype=np.int64)
    n, dim = vectors.shape
    cap_threads(threads or os.cpu_count())
    report = progress or (lambda stage, done, total: None)
    start = time.perf_counter()
    train_seconds = 0.0
    nlist = nprobe = None
    recall: float | None = 1.0
    if n <= flat_max:
        index = faiss.IndexIDMap(faiss.IndexFlatIP(dim))
        index_type = "IndexFlatIP"
    else:
        nlist = choose_nlist(n, nlist_factor)
        quantizer = faiss.IndexFlatIP(dim)
        ivf = faiss.IndexIVFFlat(quantizer, dim, nlist, faiss.METRIC_INNER_PRODUCT)
        ivf.cp.niter = 10
        ivf.cp.spherical = True  # inner product on unit vectors: keep the centroids on the sphere too
        rng = np.random.default_rng(42)
        train_n = min(n, max(39 * nlist, 10_000))  # FAISS's minimum of 39 points per list: training dominates
        sample = vectors[np.sort(rng.choice(n, size=train_n, replace=False))] if train_n < n else vectors
        report("train", 0, n)
        t0 = time.perf_counter()
        ivf.train(sample)
        train_seconds = time.perf_counter() - t0
        index = faiss.IndexIDMap(ivf)
        index_type = "IndexIVFFlat"
    step = 50_000
    for lo in range(0, n, step):
        index.add_with_ids(vectors[lo:lo + step], ids[lo:lo + step])
        report("add", min(n, lo + step), n)
    if nlist is not None:
        report("tune", n, n)
        nprobe, recall = tune_nprobe(index, vectors, ids, target=target)
    cap_threads()
    info = BuildInfo(index_type=index_type, size=n, dim=dim, nlist=nlist, nprobe=nprobe, recall_at_10=recall,
                     train_seconds=round(train_seconds, 3), build_seconds=round(time.perf_counter() - start, 3))
    return index, info


# -- storage ----------------------------------------------------------------------------------
def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_manifest() -> Manifest | None:
    path = index_dir() / MANIFEST
    try:
        data = json.loads(path.read_text())
        return Manifest(**data)
    except FileNotFoundError:
        return None
    except (ValueError, TypeError) as exc:
        raise IndexCorrupt(f"The index manifest is unreadable: {exc}") from exc


def write(index: Any, info: BuildInfo, *, feature_version: int) -> Manifest:
    """Saves a new version and swaps the manifest to it atomically. Returns the new manifest."""
    faiss = _faiss()
    folder = index_dir()
    current = None
    try:
        current = read_manifest()
    except IndexCorrupt:
        pass
    existing = [int(p.stem[1:]) for p in folder.glob("v*.faiss") if p.stem[1:].isdigit()]
    version = max([current.version if current else 0, *existing]) + 1
    name = f"v{version:06d}.faiss"
    tmp = folder / f".{name}.tmp"
    faiss.write_index(index, str(tmp))
    with tmp.open("rb") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, folder / name)
    manifest = Manifest(version=version, file=name, sha256=_sha256(folder / name), index_type=info.index_type,
                        size=info.size, dim=info.dim, built_at=datetime.now(UTC).isoformat(),
                        feature_version=feature_version, nlist=info.nlist, nprobe=info.nprobe,
                        recall_at_10=info.recall_at_10)
    tmp_manifest = folder / f".{MANIFEST}.{os.getpid()}.{threading.get_ident()}.tmp"
    tmp_manifest.write_text(json.dumps(asdict(manifest), indent=1))
    os.replace(tmp_manifest, folder / MANIFEST)
    _prune(folder, keep=version)
    return manifest


def _prune(folder: Path, *, keep: int) -> None:
    for path in folder.glob("v*.faiss"):
        stem = path.stem[1:]
        if stem.isdigit() and int(stem) <= keep - KEEP_VERSIONS:
            try:
                path.unlink()
            except OSError:
                pass


def clear() -> None:
    """Removes every index file and the manifest (tests, and a reset from the admin)."""
    folder = index_dir()
    for path in [*folder.glob("v*.faiss"), folder / MANIFEST]:
        try:
            path.unlink()
        except FileNotFoundError:
            pass
    _loaded.reset()


# -- loading ----------------------------------------------------------------------------------
@dataclass
class LoadedIndex:
    index: Any
    manifest: Manifest

    def search(self, vector: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(inner products, track ids) for one query vector; ids of -1 are dropped."""
        query = np.ascontiguousarray(vector.reshape(1, -1), dtype=np.float32)
        k = max(1, min(k, self.manifest.size))
        scores, ids = self.index.search(query, k)
        keep = ids[0] >= 0
        return scores[0][keep], ids[0][keep]


def load(manifest: Manifest, *, verify: bool = True) -> LoadedIndex:
    """Reads the manifest's file (memory-mapped where FAISS can), checking its checksum."""
    faiss = _faiss()
    path = index_dir() / manifest.file
    if not path.is_file():
        raise IndexCorrupt(f"The index file {manifest.file} named by the manifest is missing.")
    if verify and _sha256(path) != manifest.sha256:
        raise IndexCorrupt(f"The index file {manifest.file} does not match its checksum.")
    cap_threads()
    index = None
    for flags in (faiss.IO_FLAG_MMAP | getattr(faiss, "IO_FLAG_MMAP_IFC", 0), faiss.IO_FLAG_MMAP, 0):
        try:
            index = faiss.read_index(str(path), flags)
            break
        except RuntimeError:
            continue
    if index is None:
        raise IndexCorrupt(f"FAISS cannot read {manifest.file}.")
    if index.ntotal != manifest.size or index.d != manifest.dim:
        raise IndexCorrupt(f"The index file {manifest.file} holds {index.ntotal}×{index.d}, "
                           f"the manifest says {manifest.size}×{manifest.dim}.")
    if manifest.nprobe:
        faiss.extract_index_ivf(index).nprobe = manifest.nprobe
    return LoadedIndex(index=index, manifest=manifest)


class _Holder:
    """One loaded index per process, reloaded when the manifest changes on disk."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loaded: LoadedIndex | None = None
        self._stamp: tuple[int, int] | None = None
        self._pid = os.getpid()

    def reset(self) -> None:
        with self._lock:
            self._loaded = None
            self._stamp = None

    def get(self) -> LoadedIndex:
        path = index_dir() / MANIFEST
        try:
            stat = path.stat()
        except FileNotFoundError:
            self.reset()
            raise IndexUnavailable("No index has been built yet.") from None
        stamp = (stat.st_mtime_ns, stat.st_ino)
        if os.getpid() != self._pid:  # forked after a load: never reuse the parent's index
            self._pid, self._loaded, self._stamp = os.getpid(), None, None
        loaded = self._loaded
        if loaded is not None and self._stamp == stamp:
            return loaded
        with self._lock:
            if self._loaded is not None and self._stamp == stamp:
                return self._loaded
            manifest = read_manifest()
            if manifest is None:
                raise IndexUnavailable("No index has been built yet.")
            if manifest.size == 0:
                raise IndexUnavailable("The index is empty.")
            if self._loaded is not None and self._loaded.manifest.version == manifest.version:
                self._stamp = stamp
                return self._loaded
            loaded = load(manifest)
            self._loaded, self._stamp = loaded, stamp  # one assignment: readers see old or new
            log.info("recommend: loaded index v%s (%s, %s vectors)", manifest.version, manifest.index_type,
                     manifest.size)
            return loaded


_loaded = _Holder()


def current() -> LoadedIndex:
    """The index for this process (loaded lazily). Raises IndexUnavailable or IndexCorrupt."""
    return _loaded.get()


def forget() -> None:
    """Drops this process's loaded index (after a corrupt file is found)."""
    _loaded.reset()
