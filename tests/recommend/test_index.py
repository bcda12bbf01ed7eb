"""The index lifecycle: Flat vs IVF, manifest versions, atomic swap, corrupt files, one build at a time."""
import threading

import numpy as np
import pytest
from django.core.management import call_command

from common import locks
from recommend import index as faiss_index
from recommend import services
from recommend.models import IndexBuild


def _clustered(n: int, dim: int = 13, clusters: int = 40, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(clusters, dim))
    data = centres[rng.integers(0, clusters, n)] + 0.25 * rng.normal(size=(n, dim))
    return (data / np.linalg.norm(data, axis=1, keepdims=True)).astype(np.float32)


def test_build_uses_flat_below_the_threshold_and_ivf_above():
    n = 30_000  # above ~25k, nlist = 4√N leaves FAISS its 39 training points per list
    vectors = _clustered(n)
    ids = np.arange(100, 100 + n, dtype=np.int64)
    flat, info = faiss_index.build(vectors, ids, flat_max=50_000)
    assert info.index_type == "IndexFlatIP" and info.recall_at_10 == 1.0
    for kind in (faiss_index.IVF_FLAT, faiss_index.IVF_SQ8_REFINE):
        ivf, info = faiss_index.build(vectors, ids, flat_max=1000, nlist_factor=4, target_recall=0.95, kind=kind)
        assert info.index_type == kind
        assert 4 * np.sqrt(n) - 1 <= info.nlist <= 16 * np.sqrt(n) + 1
        assert info.recall_at_10 >= 0.95
        # the ids are the track primary keys
        _, found = ivf.search(vectors[:1], 1)
        assert found[0][0] == 100
    _, info = faiss_index.build(vectors, ids, flat_max=1000, nlist_factor=4, target_recall=0.95)
    assert info.index_type == faiss_index.DEFAULT_IVF_KIND


def test_nlist_is_between_4_and_16_sqrt_n():
    for n in (50_000, 1_000_000):
        for factor in (1, 4, 8, 30):
            nlist = faiss_index.choose_nlist(n, factor)
            assert 4 * np.sqrt(n) - 1 <= nlist <= 16 * np.sqrt(n) + 1


def test_rebuild_writes_a_versioned_manifest_and_keeps_two_files(catalogue, index_dir):
    first = faiss_index.read_manifest()
    assert first.size == 41 and first.index_type == "IndexFlatIP"
    services.index_rebuild(reason="again")
    services.index_rebuild(reason="and again")
    latest = faiss_index.read_manifest()
    assert latest.version == first.version + 2
    assert sorted(p.name for p in index_dir.glob("v*.faiss")) == [f"v{latest.version - 1:06d}.faiss", latest.file]
    assert IndexBuild.objects.filter(status="succeeded").count() == 3


def test_index_loads_lazily_and_reloads_when_the_manifest_changes(catalogue):
    faiss_index.forget()
    assert faiss_index._loaded._loaded is None  # nothing loaded until the first query
    first = faiss_index.current()
    assert faiss_index.current() is first
    services.index_rebuild(reason="new version")
    second = faiss_index.current()
    assert second.manifest.version == first.manifest.version + 1


def test_rebuild_command_builds_synchronously(catalogue):
    from io import StringIO

    out = StringIO()
    call_command("rebuild_index", stdout=out, stderr=StringIO())
    assert "IndexFlatIP with 41 vectors" in out.getvalue()


def test_rebuild_command_refuses_while_another_build_runs(catalogue):
    from django.core.management.base import CommandError

    with locks.exclusive(services.BUILD_LOCK) as mine:
        assert mine
        with pytest.raises(CommandError, match="Another index build"):
            call_command("rebuild_index", stdout=None)


@pytest.mark.django_db(transaction=True)
def test_concurrent_rebuilds_run_once(catalogue, monkeypatch):
    started = threading.Event()
    release = threading.Event()
    real_build = faiss_index.build

    def slow_build(*args, **kwargs):
        started.set()
        release.wait(5)
        return real_build(*args, **kwargs)

    monkeypatch.setattr(faiss_index, "build", slow_build)
    results = []
    first = threading.Thread(target=lambda: results.append(services.index_rebuild(reason="one")))
    first.start()
    assert started.wait(5)
    second = services.index_rebuild(reason="two")
    release.set()
    first.join(10)
    assert second.status == IndexBuild.Status.SKIPPED
    assert results[0].status == IndexBuild.Status.SUCCEEDED


def test_corrupt_index_file_is_detected_and_rebuilt_from_the_database(catalogue, index_dir):
    from recommend.services import live_index

    manifest = faiss_index.read_manifest()
    path = index_dir / manifest.file
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    faiss_index.forget()
    with pytest.raises(faiss_index.IndexCorrupt):
        faiss_index.current()
    loaded = live_index()
    assert loaded.manifest.version == manifest.version + 1
    assert loaded.manifest.size == 41
    assert IndexBuild.objects.filter(reason="corrupt index detected", status="succeeded").exists()


def test_missing_index_gives_a_rebuild_hint(db):
    from common.exceptions import ServiceUnavailable
    from recommend.services import live_index

    with pytest.raises(ServiceUnavailable, match="rebuild_index"):
        live_index()


def test_incremental_add_makes_a_new_version_with_the_new_tracks(catalogue, db):
    from recommend.models import Track

    before = faiss_index.read_manifest()
    track = Track.objects.create(title="New", artist_names="Someone", spotify_id="1" * 22)
    services.features_store(track=track, source="dataset", values={"tempo": 100, "energy": 0.5, "valence": 0.3})
    build = services.index_add_tracks(track_ids=[track.pk])
    assert build.kind == "incremental"
    after = faiss_index.read_manifest()
    assert after.version == before.version + 1 and after.size == before.size + 1
    # re-adding the same track replaces it rather than duplicating it
    services.index_add_tracks(track_ids=[track.pk])
    assert faiss_index.read_manifest().size == before.size + 1


@pytest.mark.django_db(transaction=True)
def test_rebuild_swaps_atomically_under_concurrent_queries(catalogue):
    """Readers keep querying while builds swap versions: no errors, and every answer is complete."""
    from recommend.models import Track

    seed = Track.objects.filter(genre="metal").first()
    vector = seed.features.get().as_array()
    errors: list[BaseException] = []
    sizes: set[int] = set()
    stop = threading.Event()

    def reader():
        while not stop.is_set():
            try:
                loaded = faiss_index.current()
                scores, ids = loaded.search(vector, 10)
                assert len(ids) == 10 and ids[0] == seed.pk
                sizes.add(loaded.manifest.version)
            except BaseException as exc:  # noqa: BLE001 - collected and asserted below
                errors.append(exc)
                return

    threads = [threading.Thread(target=reader) for _ in range(4)]
    for t in threads:
        t.start()
    for i in range(6):
        services.index_rebuild(reason=f"swap {i}")
    stop.set()
    for t in threads:
        t.join(10)
    assert errors == []
    assert len(sizes) >= 2  # the readers saw more than one version


def test_queued_add_task_adds_the_tracks(catalogue, django_capture_on_commit_callbacks):
    from recommend.models import Track

    track = Track.objects.create(title="Queued", artist_names="Q", spotify_id="3" * 22)
    services.features_store(track=track, source="dataset", values={"tempo": 90, "energy": 0.4, "valence": 0.2})
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.index_add_later(track_ids=[track.pk, track.pk])
    assert len(callbacks) == 1
    loaded = faiss_index.current()
    assert loaded.manifest.size == 42
    _, ids = loaded.search(track.features.get().as_array(), 1)
    assert ids[0] == track.pk


def test_queued_add_retries_while_a_build_holds_the_lock(catalogue):
    from recommend.models import Track

    track = Track.objects.create(title="Later", artist_names="L", spotify_id="4" * 22)
    services.features_store(track=track, source="dataset", values={"tempo": 90, "energy": 0.4, "valence": 0.2})
    with locks.exclusive(services.BUILD_LOCK) as mine:
        assert mine
        with pytest.raises(services.IndexBusy):
            services.index_add_tracks(track_ids=[track.pk], raise_if_busy=True)
        assert services.index_add_tracks(track_ids=[track.pk]) is None
    assert faiss_index.read_manifest().size == 41


def test_corrupt_large_index_is_rebuilt_by_a_worker_while_queries_get_503(catalogue, index_dir, settings):
    from common.exceptions import ServiceUnavailable
    from recommend.services import live_index

    settings.RECOMMEND_FLAT_MAX = 10  # the catalogue counts as "large" here
    manifest = faiss_index.read_manifest()
    (index_dir / manifest.file).write_bytes(b"garbage")
    faiss_index.forget()
    with pytest.raises(ServiceUnavailable, match="being rebuilt"):
        live_index()
    # the (eager) worker task rebuilt it: the next query is served
    assert live_index().manifest.version == manifest.version + 1
    assert IndexBuild.objects.filter(reason="corrupt index detected", status="succeeded").exists()
