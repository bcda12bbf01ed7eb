"""Build-time tuning: the smallest nprobe (and re-rank depth) whose recall@10 on held-out queries meets the
target by a lower confidence bound, recorded in the manifest and restored on load."""
import numpy as np
import pytest

from recommend import index as faiss_index
from recommend import services
from recommend.models import IndexBuild, Track, TrackFeatures


def _gaussian(n: int, dim: int = 16, seed: int = 3) -> np.ndarray:
    # one correlated Gaussian, no clusters: the hard case for IVF (neighbours straddle list borders)
    rng = np.random.default_rng(seed)
    mix = rng.normal(size=(dim, dim))
    data = rng.normal(size=(n, dim)) @ mix
    return (data / np.linalg.norm(data, axis=1, keepdims=True)).astype(np.float32)


def test_held_out_recall_leaves_the_query_itself_out():
    vectors = _gaussian(500)
    ids = np.arange(10, 510, dtype=np.int64)
    flat, _ = faiss_index.build(vectors, ids, flat_max=10_000)
    sample = faiss_index.tuning_sample(len(vectors), queries=50)

    assert faiss_index.held_out_recall(flat, vectors, ids, sample).min() == 1.0  # exact search: all found
    truth = faiss_index.held_out_truth(vectors, ids, sample)
    assert not any(own in row for own, row in zip(ids[sample], truth, strict=True))


def test_recall_lower_bound_sits_below_the_mean_and_tightens_with_more_queries():
    rng = np.random.default_rng(1)
    small = rng.choice([0.8, 0.9, 1.0], size=20)
    large = rng.choice([0.8, 0.9, 1.0], size=2000)
    assert faiss_index.recall_lower_bound(small) < small.mean()
    assert small.mean() - faiss_index.recall_lower_bound(small) > large.mean() - faiss_index.recall_lower_bound(large)
    assert faiss_index.recall_lower_bound(np.array([1.0])) == 0.0  # one query proves nothing


@pytest.mark.parametrize("kind", [faiss_index.IVF_FLAT, faiss_index.IVF_SQ8_REFINE])
def test_tune_picks_the_smallest_nprobe_whose_bound_meets_the_target(kind):
    vectors = _gaussian(20_000)
    ids = np.arange(1, len(vectors) + 1, dtype=np.int64)
    index, info = faiss_index.build(vectors, ids, flat_max=0, target_recall=0.9, kind=kind, tune_queries=400)

    assert info.recall_lcb >= 0.9 and info.tune_queries == 400 and info.target_recall == 0.9
    assert info.recall_at_10 >= info.recall_lcb
    assert info.nprobe > 1  # a Gaussian needs more than one list
    # one step fewer probes (same queries, same re-rank depth) would not have met the bound
    sample = faiss_index.tuning_sample(len(vectors), queries=400)
    ivf = faiss_index.faiss_module().extract_index_ivf(index)
    ivf.nprobe = max(s for s in faiss_index.NPROBE_STEPS if s < info.nprobe)
    fewer = faiss_index.held_out_recall(index, vectors, ids, sample)
    assert faiss_index.recall_lower_bound(fewer) < 0.9
    if kind == faiss_index.IVF_SQ8_REFINE:
        assert info.k_factor in faiss_index.REFINE_FACTORS
    else:
        assert info.k_factor is None


def test_build_records_the_tuning_in_the_manifest_and_load_restores_it(index_dir, settings):
    vectors = _gaussian(8_000)
    ids = np.arange(1, len(vectors) + 1, dtype=np.int64)
    index, info = faiss_index.build(vectors, ids, flat_max=0, target_recall=0.9, tune_queries=300)
    manifest = faiss_index.write(index, info, feature_version=1)

    stored = faiss_index.read_manifest()
    assert (stored.nprobe, stored.k_factor, stored.recall_lcb, stored.tune_queries, stored.target_recall) == \
        (info.nprobe, info.k_factor, info.recall_lcb, 300, 0.9)
    loaded = faiss_index.load(manifest)
    faiss = faiss_index.faiss_module()
    assert faiss.extract_index_ivf(loaded.index).nprobe == info.nprobe
    assert faiss_index.refine_of(loaded.index).k_factor == info.k_factor


def test_index_add_on_a_reranked_index_appends_new_tracks_and_rebuilds_to_replace(catalogue, settings):
    settings.RECOMMEND_FLAT_MAX = 10  # the 41-track catalogue gets an IVF index
    first = services.index_rebuild(reason="test")
    assert first.index_type == faiss_index.IVF_SQ8_REFINE
    track = Track.objects.filter(features__isnull=False).first()
    new = Track.objects.create(title="New", artist_names="Someone")
    services.features_store(track=new, source=TrackFeatures.Source.DATASET, values={"tempo": 120, "energy": 0.5})

    added = services.index_add_tracks(track_ids=[new.pk])
    assert added.kind == IndexBuild.Kind.INCREMENTAL and added.size == first.size + 1

    services.features_store(track=track, source=TrackFeatures.Source.DATASET, values={"tempo": 60, "energy": 0.1})
    replaced = services.index_add_tracks(track_ids=[track.pk])
    assert replaced.kind == IndexBuild.Kind.FULL and replaced.size == first.size + 1
    loaded = faiss_index.current()
    _, found = loaded.search(track.features.get(source="dataset").as_array(), 1)
    assert found[0] == track.pk  # the replaced vector is the one in the index
