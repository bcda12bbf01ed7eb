"""Candidate ranking and explanations: the hot path of every recommendation."""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.conf import settings
from django.db.models import Q

from common.types import AnyUser
from recommend import features as fs
from recommend import index as faiss_index
from recommend.models import Track, TrackArtist, TrackFeatures
from recommend.text import normalise_genre, normalise_text


@dataclass
class Recommendation:
    track: Track
    similarity: float
    explanation: str
    source: str
    confidence: str
    genres: list[str]
    artists: list[str] = field(default_factory=list)


Details = tuple[dict[int, Track], dict[int, list[tuple[int, str, list]]], dict[int, tuple[str, dict, str]]]


def _candidate_details(track_ids: list[int], *, user: AnyUser | None, include_demo: bool) -> Details:
    """Visible tracks, their artists (id, name, genres) and best features, in three flat queries (no
    per-row prefetch: this is the hot path of every recommendation). Demo tracks are made up: they are
    candidates only for a demo seed."""
    visible = Q(owner__isnull=True) | Q(owner=user) if user is not None else Q(owner__isnull=True)
    if not include_demo:
        visible &= Q(is_demo=False)
    tracks = {t.pk: t for t in Track.objects.filter(visible, pk__in=track_ids).select_related("album")}
    artists: dict[int, list[tuple[int, str, list]]] = {}
    for track_id, artist_id, name, genres in TrackArtist.objects.filter(track_id__in=list(tracks)).order_by(
            "track_id", "position").values_list("track_id", "artist_id", "artist__name", "artist__genres"):
        artists.setdefault(track_id, []).append((artist_id, name, genres or []))
    best: dict[int, tuple[str, dict, str]] = {}
    for track_id, source, values, confidence in TrackFeatures.objects.filter(
            track_id__in=list(tracks), version=fs.FEATURE_VERSION).values_list("track_id", "source", "values",
                                                                               "confidence"):
        rank = TrackFeatures.PRIORITY.get(source, 9)
        if track_id not in best or rank < TrackFeatures.PRIORITY.get(best[track_id][0], 9):
            best[track_id] = (source, values, confidence)
    return tracks, artists, best


def rank_candidates(loaded: faiss_index.LoadedIndex, *, query: np.ndarray, seeds: list[Track], seed_values: dict,
                    user: AnyUser | None, limit: int, max_per_artist: int) -> list[Recommendation]:
    """The `limit` best visible tracks near `query`: seeds and their duplicates left out, at most
    `max_per_artist` per artist, a light boost for shared genres, each with its explanation."""
    seed_ids = {t.pk for t in seeds}
    include_demo = any(t.is_demo for t in seeds)
    seed_isrcs = {t.isrc for t in seeds if t.isrc}
    seed_keys = {t.match_key for t in seeds if t.match_key}
    seed_genres: list[str] = []
    for t in seeds[:50]:
        seed_genres.extend(track_genres(t))
    seed_genres = list(dict.fromkeys(seed_genres))
    seed_genre_set = set(seed_genres)
    boost = settings.RECOMMEND_GENRE_BOOST
    k = min(loaded.manifest.size, max(limit * 4 + len(seed_ids), 50))
    while True:
        scores, ids = loaded.search(query, k)
        tracks, artists, best = _candidate_details([int(i) for i in ids], user=user, include_demo=include_demo)
        scored = []
        for score, track_id in zip(scores, ids, strict=True):
            track = tracks.get(int(track_id))
            if track is None or track.pk not in best:
                continue
            genre_list = [track.genre] if track.genre else []
            for _, _, artist_genres in artists.get(track.pk, []):
                genre_list.extend(artist_genres)
            genres = list(dict.fromkeys(normalise_genre(g) for g in genre_list if g))
            similarity = fs.similarity_from_ip(score)
            if seed_genre_set and seed_genre_set.intersection(genres):
                similarity = min(1.0, similarity + boost)  # a light boost: it reorders near-ties only
            scored.append((similarity, float(score), track, genres))
        scored.sort(key=lambda s: (-s[0], -s[1], s[2].pk))
        out: list[Recommendation] = []
        seen_isrc, seen_keys = set(seed_isrcs), set(seed_keys)
        per_artist: dict[str, int] = {}
        for similarity, _, track, genres in scored:
            if track.pk in seed_ids or (track.isrc and track.isrc in seen_isrc) or \
                    (track.match_key and track.match_key in seen_keys):
                continue
            track_artists = artists.get(track.pk, [])
            artist_keys = [str(a) for a, _, _ in track_artists] or [normalise_text(track.artist_names)]
            if max_per_artist and any(per_artist.get(a, 0) >= max_per_artist for a in artist_keys):
                continue
            for a in artist_keys:
                per_artist[a] = per_artist.get(a, 0) + 1
            if track.isrc:
                seen_isrc.add(track.isrc)
            if track.match_key:
                seen_keys.add(track.match_key)
            source, values, confidence = best[track.pk]
            out.append(Recommendation(
                track=track, similarity=round(similarity, 4),
                explanation=explain(seed=seed_values, other=values, seed_genres=seed_genres, other_genres=genres),
                source=source, confidence=confidence, genres=genres,
                artists=[name for _, name, _ in track_artists] or [x for x in [track.artist_names] if x]))
            if len(out) == limit:
                return out
        if k >= loaded.manifest.size:
            return out
        k = min(loaded.manifest.size, k * 4)


def track_genres(track: Track) -> list[str]:
    genres = [track.genre] if track.genre else []
    for artist in track.artists.all():
        genres.extend(artist.genres or [])
    return list(dict.fromkeys(normalise_genre(g) for g in genres if g))


# -- explanations -----------------------------------------------------------------------------
def _level(value: float | None, *, high: float, low: float) -> str:
    if value is None:
        return ""
    return "high" if value >= high else ("low" if value <= low else "")


def explain(*, seed: Mapping[str, Any], other: Mapping[str, Any], seed_genres: Iterable[str] = (),
            other_genres: Iterable[str] = (), limit: int = 3) -> str:
    """A plain-language reason built from the real feature differences, closest matches first,
    e.g. "matching tempo around 124 BPM; high energy; shares indie rock"."""
    reasons: list[tuple[float, str]] = []  # (closeness 0..1, text)
    st, ot = fs._num(seed, "tempo"), fs._num(other, "tempo")
    if st and ot and st > 0 and ot > 0:
        diff = abs(st - ot)
        if diff <= 6:
            reasons.append((1 - diff / 12, f"matching tempo around {round((st + ot) / 2)} BPM"))
        elif abs(st - 2 * ot) <= 6 or abs(2 * st - ot) <= 6:
            reasons.append((0.4, f"half/double-time tempo ({round(st)} vs {round(ot)} BPM)"))
    for name, high, low, high_text, low_text in (
        ("energy", 0.7, 0.35, "high energy", "calm, low energy"),
        ("danceability", 0.7, 0.35, "very danceable", "not made for dancing"),
        ("valence", 0.65, 0.3, "upbeat, positive mood", "dark, melancholic mood"),
        ("acousticness", 0.6, -1, "acoustic", ""),
        ("instrumentalness", 0.5, -1, "mostly instrumental", ""),
        ("speechiness", 0.33, -1, "spoken-word or rap vocals", ""),
    ):
        a, b = fs._num(seed, name), fs._num(other, name)
        la, lb = _level(a, high=high, low=low), _level(b, high=high, low=low)
        if la and la == lb and a is not None and b is not None:  # a level implies a value; mypy needs the check
            reasons.append((0.9 - abs(a - b), high_text if la == "high" else low_text))
    sk, ok = seed.get("key"), other.get("key")
    if sk not in (None, "", -1) and sk == ok and str(seed.get("mode")) == str(other.get("mode")):
        name = fs.key_name(sk, seed.get("mode"))
        if name:
            reasons.append((0.5, f"same key ({name})"))
    sy, oy = fs._num(seed, "year"), fs._num(other, "year")
    if sy and oy and abs(sy - oy) <= 3:
        reasons.append((0.3, f"from the same era ({int(oy) // 10 * 10}s)"))
    reasons.sort(key=lambda r: -r[0])
    texts = [text for _, text in reasons[:limit]]
    shared = [g for g in other_genres if g and g in set(seed_genres)]
    if shared:
        texts.append(f"shares {shared[0].replace('-', ' ')}")
    if not texts:
        diffs = []
        for name in ("energy", "danceability", "valence"):
            a, b = fs._num(seed, name), fs._num(other, name)
            if a is not None and b is not None:
                diffs.append((abs(a - b), name, a, b))
        if diffs:
            _, name, a, b = min(diffs)
            texts.append(f"closest overall sound profile ({name} {b:.2f} vs {a:.2f})")
        else:
            texts.append("closest overall sound profile")
    return "; ".join(texts)
