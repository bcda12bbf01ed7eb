"""Plain-language reasons for a recommendation (recommend.ranking.explain)."""
from recommend.ranking import explain

BASE = {"danceability": 0.5, "energy": 0.8, "valence": 0.4, "acousticness": 0.1, "instrumentalness": 0.1,
        "speechiness": 0.05, "liveness": 0.1, "loudness": -6.0, "tempo": 124.0, "key": 7, "mode": 1, "year": 2011}


def test_explain_names_a_matching_tempo_and_shared_levels():
    text = explain(seed=BASE, other={**BASE, "tempo": 126.0, "energy": 0.85},
                   seed_genres=["indie rock"], other_genres=["indie rock", "rock"])
    assert "matching tempo around 125 BPM" in text
    assert "high energy" in text
    assert "shares indie rock" in text


def test_explain_does_not_claim_what_differs():
    text = explain(seed=BASE, other={**BASE, "tempo": 90.0, "energy": 0.2}, seed_genres=["indie rock"],
                   other_genres=["folk"])
    assert "tempo around" not in text
    assert "high energy" not in text
    assert "shares" not in text


def test_explain_mentions_half_time_and_same_key():
    text = explain(seed={**BASE, "tempo": 140.0}, other={**BASE, "tempo": 70.5, "energy": 0.5})
    assert "half/double-time tempo (140 vs 70 BPM)" in text or "same key (G major)" in text
    assert "same key (G major)" in explain(seed=BASE, other={**BASE, "tempo": 60.0, "energy": 0.5}, limit=5)
