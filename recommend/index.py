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
NPROBE_STEPS = (1, 2, 3, 4, 6, 8, 12, 16, 20, 24, 32, 40, 48, 56, 64, 80, 96, 128, 192, 256, 384, 512, 768, 1024,
                2048, 4096)
# The IVF kinds build() can make. IVF-SQ8 + re-rank is the default: on the realistic 1M × 32 benchmark
# (bench/bench_recommend.py) it reached recall@10 ≥ 0.95 at the highest speed-up while staying under 1.3×
# the raw vectors' memory; IVFFlat is kept for comparison and as the fallback a setting can choose.
IVF_FLAT = "IndexIVFFlat"
IVF_SQ8_REFINE = "IndexIVFSQ8+Refine"
DEFAULT_IVF_KIND = IVF_SQ8_REFINE
REFINE_FACTORS = (2, 3, 4, 6, 8)  # re-rank depth: k_factor·k candidates re-scored on the fp16 copy
TUNE_QUERIES = 1000  # enough that the lower confidence bound sits within ~0.01 of the mean
TUNE_Z = 1.645  # one-sided 95% bound

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
    # how nprobe (and the re-rank depth) were chosen: the bound they met, over how many held-out queries
    k_factor: int | None = None
    recall_lcb: float | None = None
    tune_queries: int | None = None
    target_recall: float | None = None

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
    k_factor: int | None = None
    recall_lcb: float | None = None
    tune_queries: int | None = None
    target_recall: float | None = None


def _faiss():
    import faiss  # imported lazily: never before a fork

    return faiss


def faiss_module() -> Any:
    """The faiss module, imported on first use (for callers that inspect an index)."""
    return _faiss()


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
    return float(per_query_recall(found, truth, k).mean()) if len(truth) else 0.0


def per_query_recall(found: np.ndarray, truth: np.ndarray, k: int = 10) -> np.ndarray:
    """recall@k of each query: the share of its k true neighbours found."""
    return np.array([len(set(f[:k].tolist()) & set(t[:k].tolist())) / k for f, t in zip(found, truth, strict=True)])


def recall_lower_bound(per_query: np.ndarray, z: float = TUNE_Z) -> float:
    """One-sided lower confidence bound of the mean recall over independent queries (the normal
    approximation of a mean: mean − z·s/√n). Queries are the unit, not the k hits of one query, which
    are not independent. With few queries the bound is wide, so a small sample cannot pass by luck."""
    n = len(per_query)
    if n < 2:
        return 0.0
    return float(per_query.mean() - z * per_query.std(ddof=1) / math.sqrt(n))


@dataclass
class Tuning:
    nprobe: int
    k_factor: int | None
    recall: float
    recall_lcb: float
    queries: int
    seconds_per_query: float


def tuning_sample(n: int, *, queries: int, seed: int = 7) -> np.ndarray:
    """Positions of the catalogue vectors used as held-out queries."""
    return np.random.default_rng(seed).choice(n, size=min(queries, n), replace=False)


def held_out_recall(index: Any, vectors: np.ndarray, ids: np.ndarray, sample: np.ndarray, *, k: int = 10,
                    truth: np.ndarray | None = None) -> np.ndarray:
    """Per-query recall@k with catalogue vectors as queries, leave-one-out: each query's own id is dropped
    from both the exact and the index's answer, so the query is held out of what it is scored on and a
    self-match cannot flatter the recall. `truth` (from held_out_truth) saves the exact search on reuse."""
    if truth is None:
        truth = held_out_truth(vectors, ids, sample, k=k)
    _, found = index.search(vectors[sample], k + 1)
    return per_query_recall(_drop_self(found, ids[sample], k), truth, k)


def held_out_truth(vectors: np.ndarray, ids: np.ndarray, sample: np.ndarray, *, k: int = 10) -> np.ndarray:
    exact = ids[exact_neighbours(vectors, vectors[sample], k + 1)]
    return _drop_self(exact, ids[sample], k)


def _drop_self(found: np.ndarray, own: np.ndarray, k: int) -> np.ndarray:
    out = np.empty((len(found), k), dtype=found.dtype)
    for i, (row, me) in enumerate(zip(found, own, strict=True)):
        others = row[row != me]
        out[i] = others[:k] if len(others) >= k else np.pad(others, (0, k - len(others)), constant_values=-1)
    return out


def refine_of(index: Any) -> Any | None:
    """The IndexRefine inside an ID-mapped index, or None."""
    faiss = _faiss()
    inner = faiss.downcast_index(index.index) if hasattr(index, "index") else index
    return inner if isinstance(inner, faiss.IndexRefine) else None


def tune(index: Any, vectors: np.ndarray, ids: np.ndarray, *, target: float, queries: int = TUNE_QUERIES,
         seed: int = 7) -> Tuning:
    """The smallest nprobe (per re-rank depth, for a re-ranked index) whose recall@10 on held-out queries
    meets `target` by its lower confidence bound; among those, the setting that answered fastest on one
    thread. Leaves the index set to it."""
    faiss = _faiss()
    ivf = faiss.extract_index_ivf(index)
    refine = refine_of(index)
    k = min(10, len(vectors) - 1)
    sample = tuning_sample(len(vectors), queries=queries, seed=seed)
    truth = held_out_truth(vectors, ids, sample, k=k)
    steps = [s for s in NPROBE_STEPS if s < ivf.nlist] + [ivf.nlist]
    found_ok: list[Tuning] = []
    fallback: Tuning | None = None
    for k_factor in (REFINE_FACTORS if refine is not None else (None,)):
        if refine is not None and k_factor is not None:
            refine.k_factor = float(k_factor)
        for nprobe in steps:
            ivf.nprobe = nprobe
            threads = faiss.omp_get_max_threads()
            faiss.omp_set_num_threads(1)  # time it as a web process runs it
            t0 = time.perf_counter()
            per_query = held_out_recall(index, vectors, ids, sample, k=k, truth=truth)
            elapsed = (time.perf_counter() - t0) / len(sample)
            faiss.omp_set_num_threads(threads)
            tuning = Tuning(nprobe=nprobe, k_factor=k_factor, recall=round(float(per_query.mean()), 4),
                            recall_lcb=round(recall_lower_bound(per_query), 4), queries=len(sample),
                            seconds_per_query=elapsed)
            if tuning.recall_lcb >= target:
                found_ok.append(tuning)
                break
            fallback = tuning
        if found_ok and found_ok[-1].nprobe == steps[0]:
            break  # the cheapest probe already meets it: deeper re-ranks can only cost more
    best = min(found_ok, key=lambda t: t.seconds_per_query) if found_ok else fallback
    assert best is not None
    ivf.nprobe = best.nprobe
    if refine is not None and best.k_factor is not None:
        refine.k_factor = float(best.k_factor)
    return best


def tune_nprobe(index: Any, vectors: np.ndarray, ids: np.ndarray, *, target: float, queries: int = 200,
                seed: int = 7) -> tuple[int, float]:
    """(nprobe, recall) from tune(): kept for callers that only want the probe count."""
    tuning = tune(index, vectors, ids, target=target, queries=queries, seed=seed)
    return tuning.nprobe, tuning.recall


def make_ivf(dim: int, nlist: int, kind: str) -> tuple[Any, Any]:
    """(the index to train and add to, its IVF part) for an IVF kind, inner product on unit vectors."""
    faiss = _faiss()
    quantizer = faiss.IndexFlatIP(dim)
    if kind == IVF_FLAT:
        ivf = faiss.IndexIVFFlat(quantizer, dim, nlist, faiss.METRIC_INNER_PRODUCT)
        top = ivf
    elif kind == IVF_SQ8_REFINE:
        ivf = faiss.IndexIVFScalarQuantizer(quantizer, dim, nlist, faiss.ScalarQuantizer.QT_8bit,
                                            faiss.METRIC_INNER_PRODUCT)
        # re-rank on an fp16 copy: exact enough to restore the ranking SQ8 blurs, at half a Flat copy's bytes
        fine = faiss.IndexScalarQuantizer(dim, faiss.ScalarQuantizer.QT_fp16, faiss.METRIC_INNER_PRODUCT)
        top = faiss.IndexRefine(ivf, fine)
        top.referenced_objects = [ivf, fine]  # IndexRefine does not own its parts when built from Python
    else:
        raise ValueError(f"Unknown IVF kind {kind!r}")
    ivf.cp.niter = 10
    ivf.cp.spherical = True  # inner product on unit vectors: keep the centroids on the sphere too
    return top, ivf


def build(vectors: np.ndarray, ids: np.ndarray, *, flat_max: int | None = None, nlist_factor: float | None = None,
          target_recall: float | None = None, progress: Progress | None = None,
          threads: int | None = None, kind: str | None = None, tune_queries: int = TUNE_QUERIES) -> tuple[Any, BuildInfo]:
    """An ID-mapped index over L2-normalised vectors: exact IndexFlatIP below `flat_max`, else an IVF index
    (`kind`, IVF-SQ8 with an fp16 re-rank by default) trained on a sample, with nprobe and the re-rank depth
    tuned so recall@10 on held-out queries meets the target by a lower confidence bound."""
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
    nlist = None
    tuning: Tuning | None = None
    if n <= flat_max:
        index = faiss.IndexIDMap(faiss.IndexFlatIP(dim))
        index_type = "IndexFlatIP"
    else:
        index_type = kind or DEFAULT_IVF_KIND
        nlist = choose_nlist(n, nlist_factor)
        top, _ = make_ivf(dim, nlist, index_type)
        rng = np.random.default_rng(42)
        train_n = min(n, max(39 * nlist, 10_000))  # FAISS's minimum of 39 points per list: training dominates
        sample = vectors[np.sort(rng.choice(n, size=train_n, replace=False))] if train_n < n else vectors
        report("train", 0, n)
        t0 = time.perf_counter()
        top.train(sample)
        train_seconds = time.perf_counter() - t0
        index = faiss.IndexIDMap(top)
    step = 50_000
    for lo in range(0, n, step):
        index.add_with_ids(vectors[lo:lo + step], ids[lo:lo + step])
        report("add", min(n, lo + step), n)
    if nlist is not None:
        report("tune", n, n)
        tuning = tune(index, vectors, ids, target=target, queries=tune_queries)
    cap_threads()
    info = BuildInfo(index_type=index_type, size=n, dim=dim, nlist=nlist,
                     nprobe=tuning.nprobe if tuning else None,
                     recall_at_10=tuning.recall if tuning else 1.0,
                     train_seconds=round(train_seconds, 3), build_seconds=round(time.perf_counter() - start, 3),
                     k_factor=tuning.k_factor if tuning else None, recall_lcb=tuning.recall_lcb if tuning else None,
                     tune_queries=tuning.queries if tuning else None, target_recall=target if tuning else None)
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
                        recall_at_10=info.recall_at_10, k_factor=info.k_factor, recall_lcb=info.recall_lcb,
                        tune_queries=info.tune_queries, target_recall=info.target_recall)
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
    refine = refine_of(index)
    if refine is not None and manifest.k_factor:
        refine.k_factor = float(manifest.k_factor)  # not serialised by FAISS: the manifest carries it
    return LoadedIndex(index=index, manifest=manifest)


def load_writable(manifest: Manifest) -> Any:
    """A private, writable copy of the manifest's index read fully into memory (incremental adds): the
    shared one may be memory-mapped, and a mapped index cannot be copied through serialize_index."""
    faiss = _faiss()
    index = faiss.read_index(str(index_dir() / manifest.file))
    if manifest.nprobe:
        faiss.extract_index_ivf(index).nprobe = manifest.nprobe
    refine = refine_of(index)
    if refine is not None and manifest.k_factor:
        refine.k_factor = float(manifest.k_factor)
    return index


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
