"""Recommend fixtures: a private index directory per test and a small imported catalogue."""
from __future__ import annotations

import pytest

from recommend import index as faiss_index

ROCK_SEED = "6GGE7g0gKmKzOlk9ZGRBUw"  # "Indie-Rock Song 0" in tests/data/spotify/dataset_small.csv


@pytest.fixture(autouse=True)
def index_dir(settings, tmp_path):
    settings.RECOMMEND_INDEX_DIR = str(tmp_path / "index")
    settings.RECOMMEND_MAX_PER_ARTIST = 2
    faiss_index.forget()
    yield tmp_path / "index"
    faiss_index.forget()


@pytest.fixture
def small_csv(data_dir):
    return data_dir / "spotify" / "dataset_small.csv"


@pytest.fixture
def catalogue(db, small_csv):
    """The small dataset imported and indexed (40 good rows, one duplicate recording, one bad id)."""
    from recommend import services

    result = services.track_features_import(path=small_csv)
    services.index_rebuild(reason="test")
    return result


@pytest.fixture
def spotify_settings(settings, replay, data_dir):
    settings.SPOTIFY_API_URL = f"{replay.url}/v1"
    settings.SPOTIFY_ACCOUNTS_URL = replay.url
    settings.SPOTIFY_CLIENT_ID = "client-id"
    settings.SPOTIFY_CLIENT_SECRET = "client-secret"
    replay.add("/api/token", method="POST", file=data_dir / "spotify" / "token.json")
    return replay
