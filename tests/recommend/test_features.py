import numpy as np
import pytest

from recommend import features as fs

BASE = {"danceability": 0.5, "energy": 0.8, "valence": 0.4, "acousticness": 0.1, "instrumentalness": 0.1,
        "speechiness": 0.05, "liveness": 0.1, "loudness": -6.0, "tempo": 124.0, "key": 7, "mode": 1, "year": 2011}


def test_vector_from_values_is_unit_length_with_fixed_dimension():
    vector = fs.vector_from_values(BASE)
    assert vector.dtype == np.float32
    assert vector.shape == (fs.FEATURE_DIM,)
    assert np.linalg.norm(vector) == pytest.approx(1.0, abs=1e-5)


def test_vector_from_values_leaves_unknown_features_at_the_centre():
    partial = {"tempo": 150.0, "energy": 0.9}
    vector = fs.vector_from_values(partial)
    names = [d.name for d in fs.LINEAR_DIMS]
    assert vector[names.index("valence")] == 0.0
    assert vector[names.index("tempo")] > 0
    assert vector[names.index("energy")] > 0


def test_vector_from_values_needs_two_known_features():
    with pytest.raises(fs.FeatureError):
        fs.vector_from_values({"tempo": 120})


def test_vector_close_features_are_more_similar_than_distant_ones():
    near = fs.vector_from_values({**BASE, "tempo": 126.0, "energy": 0.78})
    far = fs.vector_from_values({**BASE, "tempo": 70.0, "energy": 0.1, "acousticness": 0.95, "valence": 0.1})
    seed = fs.vector_from_values(BASE)
    assert float(seed @ near) > float(seed @ far)
    assert 0.0 <= fs.similarity_from_ip(float(seed @ far)) < fs.similarity_from_ip(float(seed @ near)) <= 1.0


def test_centroid_of_vectors_is_normalised():
    a = fs.vector_from_values(BASE)
    b = fs.vector_from_values({**BASE, "tempo": 80.0, "energy": 0.3})
    c = fs.centroid([a, b])
    assert np.linalg.norm(c) == pytest.approx(1.0, abs=1e-5)
    assert float(c @ a) > float(b @ a)
