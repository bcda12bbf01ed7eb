"""The FAISS index lifecycle: full rebuilds, incremental adds, the live index and the nightly schedule."""
from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable

import numpy as np
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from common import locks
from common.exceptions import ServiceUnavailable
from common.metrics import metrics
from common.models import Job
from common.services import job_claim, job_finish, job_progress, job_start
from common.types import AuthUser
from recommend import features as fs
from recommend import index as faiss_index
from recommend.models import IndexBuild, TrackFeatures

log = logging.getLogger(__name__)


Progress = Callable[[int, int, str], None]
BUILD_LOCK = "recommend:index-build"


# -- index lifecycle --------------------------------------------------------------------------
def _best_vectors(track_ids: Iterable[int] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(ids, vectors) with each track's best current-version vector."""
    qs = TrackFeatures.objects.filter(version=fs.FEATURE_VERSION)
    if track_ids is not None:
        qs = qs.filter(track_id__in=list(track_ids))
    best: dict[int, tuple[int, bytes]] = {}
    for track_id, source, vector in qs.values_list("track_id", "source", "vector").iterator(chunk_size=20_000):
        rank = TrackFeatures.PRIORITY.get(source, 9)
        if track_id not in best or rank < best[track_id][0]:
            best[track_id] = (rank, bytes(vector))
    if not best:
        return np.zeros(0, dtype=np.int64), np.zeros((0, fs.FEATURE_DIM), dtype=np.float32)
    ids = np.fromiter(best.keys(), dtype=np.int64, count=len(best))
    vectors = np.frombuffer(b"".join(v for _, v in best.values()), dtype=np.float32).reshape(len(best), -1)
    return ids, vectors


def index_rebuild(*, reason: str = "manual", progress: Progress | None = None) -> IndexBuild:
    """Rebuilds the whole index from the database and swaps it in atomically. Only one build runs at a
    time: a concurrent call returns a SKIPPED record at once."""
    with locks.exclusive(BUILD_LOCK, ttl=3 * 3600) as mine:
        if not mine:
            return IndexBuild.objects.create(status=IndexBuild.Status.SKIPPED, reason=reason[:100],
                                             message="Another index build was running.", finished_at=timezone.now())
        return _rebuild_locked(reason=reason, progress=progress)


def _rebuild_locked(*, reason: str, progress: Progress | None = None) -> IndexBuild:
    build = IndexBuild.objects.create(reason=reason[:100], kind=IndexBuild.Kind.FULL)
    report = progress or (lambda done, total, message: None)
    try:
        report(0, 1, "reading vectors")
        ids, vectors = _best_vectors()
        n = len(ids)

        def step(stage: str, done: int, total: int) -> None:
            report(done, max(total, 1), {"train": "training", "add": "adding vectors", "tune": "tuning nprobe"}[stage])

        index, info = faiss_index.build(vectors, ids, progress=step)
        manifest = faiss_index.write(index, info, feature_version=fs.FEATURE_VERSION)
    except Exception as exc:
        build.status, build.message, build.finished_at = IndexBuild.Status.FAILED, str(exc)[:500], timezone.now()
        build.save()
        raise
    _record_build(build, info, manifest)
    report(n, max(n, 1), f"built {info.index_type} with {n} vectors")
    return build


def _record_build(build: IndexBuild, info: faiss_index.BuildInfo, manifest: faiss_index.Manifest) -> None:
    build.status = IndexBuild.Status.SUCCEEDED
    build.version, build.index_type, build.size, build.dim = manifest.version, info.index_type, info.size, info.dim
    build.nlist, build.nprobe, build.recall_at_10 = info.nlist, info.nprobe, info.recall_at_10
    build.train_seconds, build.build_seconds = info.train_seconds, info.build_seconds
    build.bytes_on_disk = (faiss_index.index_dir() / manifest.file).stat().st_size
    build.finished_at = timezone.now()
    build.save()
    metrics.record_timing(name="recommend.index_build", duration=info.build_seconds)


class IndexBusy(Exception):
    """Another build holds the index lock (raised only when asked: tasks retry later)."""


def index_add_later(*, track_ids: Iterable[int]) -> None:
    """Queues an incremental add after commit (request paths: never rewrite the index inside a request)."""
    from recommend.tasks import index_add_task

    ids = list(dict.fromkeys(int(i) for i in track_ids))
    if ids:
        transaction.on_commit(lambda: index_add_task.delay(ids))


def index_add_tracks(*, track_ids: Iterable[int], reason: str = "incremental",
                     raise_if_busy: bool = False) -> IndexBuild | None:
    """Adds (or replaces) these tracks' vectors in the current index as a new version. Falls back to a
    full rebuild when there is no usable index, the size crosses the Flat/IVF threshold, or the feature
    version changed. Returns None when another build holds the lock (that build, or the nightly one,
    picks the rows up)."""
    track_ids = list(dict.fromkeys(track_ids))
    if not track_ids:
        return None
    with locks.exclusive(BUILD_LOCK, ttl=3 * 3600) as mine:
        if not mine:
            if raise_if_busy:
                raise IndexBusy("Another index build is running.")
            return None
        try:
            manifest = faiss_index.read_manifest()
        except faiss_index.IndexCorrupt:
            manifest = None
        if manifest is None or manifest.feature_version != fs.FEATURE_VERSION or manifest.size == 0:
            return _rebuild_locked(reason=f"{reason} (no index yet)")
        ids, vectors = _best_vectors(track_ids)
        if len(ids) == 0:
            return None
        crossing = manifest.index_type == "IndexFlatIP" and manifest.size + len(ids) > settings.RECOMMEND_FLAT_MAX
        if crossing:
            return _rebuild_locked(reason=f"{reason} (crossed the Flat/IVF threshold)")
        try:
            loaded = faiss_index.load(manifest)
        except faiss_index.IndexCorrupt:
            return _rebuild_locked(reason=f"{reason} (corrupt index)")
        import faiss

        start = time.perf_counter()
        # a private, writable copy: the loaded one may be memory-mapped and shared with queries
        index = faiss_index.load_writable(loaded.manifest)
        if faiss_index.refine_of(index) is not None:
            # a re-ranked index cannot remove vectors (FAISS's IndexRefine has no remove_ids): new tracks are
            # appended, and a changed vector of an indexed track needs a rebuild to replace it
            if np.isin(ids, faiss.vector_to_array(index.id_map)).any():
                return _rebuild_locked(reason=f"{reason} (replaced vectors in a re-ranked index)")
        else:
            index.remove_ids(faiss.IDSelectorBatch(ids))
        index.add_with_ids(vectors, ids)
        info = faiss_index.BuildInfo(index_type=manifest.index_type, size=int(index.ntotal), dim=manifest.dim,
                                     nlist=manifest.nlist, nprobe=manifest.nprobe, recall_at_10=manifest.recall_at_10,
                                     train_seconds=0.0, build_seconds=round(time.perf_counter() - start, 3),
                                     k_factor=manifest.k_factor, recall_lcb=manifest.recall_lcb,
                                     tune_queries=manifest.tune_queries, target_recall=manifest.target_recall)
        new_manifest = faiss_index.write(index, info, feature_version=fs.FEATURE_VERSION)
        build = IndexBuild.objects.create(reason=reason[:100], kind=IndexBuild.Kind.INCREMENTAL)
        _record_build(build, info, new_manifest)
        return build


def index_rebuild_start(*, user: AuthUser) -> Job:
    """Starts a full rebuild as a Job with progress (staff button and admin action)."""
    from recommend.tasks import rebuild_index_task

    return job_start(user=user, kind="recommend.rebuild", label="Rebuild the recommendation index",
                     task=rebuild_index_task)


def index_rebuild_run(*, job_id: int | None, reason: str = "job") -> None:
    job = None
    if job_id is not None:
        if not job_claim(job_id=job_id):
            return
        job = Job.objects.get(pk=job_id)
    progress = (lambda done, total, message: job_progress(job=job, done=done, total=total, message=message)) \
        if job else None
    try:
        build = index_rebuild(reason=reason, progress=progress)
    except Exception as exc:
        if job:
            job_finish(job=job, status=Job.Status.FAILED, message=str(exc))
        raise
    if job:
        if build.status == IndexBuild.Status.SKIPPED:
            job_finish(job=job, status=Job.Status.CANCELLED, message=build.message)
        else:
            job_finish(job=job, message=f"Built {build.index_type} v{build.version} with {build.size} vectors",
                       result={"build_id": build.pk})


def live_index() -> faiss_index.LoadedIndex:
    """The current index; a corrupt file is replaced by a rebuild from the database."""
    try:
        return faiss_index.current()
    except faiss_index.IndexCorrupt as exc:
        log.error("recommend: %s; rebuilding from the database", exc)
        faiss_index.forget()
        if TrackFeatures.objects.count() > settings.RECOMMEND_FLAT_MAX:
            # too big to rebuild inside a request: a worker does it, the caller retries
            from recommend.tasks import nightly_rebuild_task

            nightly_rebuild_task.delay(reason="corrupt index detected")
            raise ServiceUnavailable("The recommendation index was damaged and is being rebuilt; try again in a "
                                     "few minutes.", retry_after=120) from exc
        build = index_rebuild(reason="corrupt index detected")
        if build.status != IndexBuild.Status.SUCCEEDED:
            raise ServiceUnavailable("The recommendation index was damaged and is being rebuilt; try again in a "
                                     "minute.", retry_after=60) from exc
        return faiss_index.current()
    except faiss_index.IndexUnavailable as exc:
        raise ServiceUnavailable(
            f"{exc} The recommendation index is not ready: import features (manage.py import_track_features) and "
            "rebuild it (manage.py rebuild_index, or Rebuild on the catalogue page).", retry_after=60) from exc


# -- periodic tasks ---------------------------------------------------------------------------
def schedule_nightly_rebuild() -> None:
    """Creates (idempotently) the django-celery-beat row for the nightly full rebuild."""
    from django_celery_beat.models import CrontabSchedule, PeriodicTask

    schedule, _ = CrontabSchedule.objects.get_or_create(minute="17", hour=str(settings.RECOMMEND_NIGHTLY_REBUILD_HOUR),
                                                        day_of_week="*", day_of_month="*", month_of_year="*",
                                                        timezone="UTC")
    PeriodicTask.objects.update_or_create(name="recommend: nightly index rebuild",
                                          defaults={"task": "recommend.tasks.nightly_rebuild_task",
                                                    "crontab": schedule, "enabled": True})
